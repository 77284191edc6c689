import { Alert, Button, Group, Paper, Stack, Text, Title, Tooltip } from '@mantine/core';
import { IconAlertTriangle, IconArrowLeft, IconArrowRight, IconShieldCheck } from '@tabler/icons-react';
import type { RestoreCheck } from '../../../../app/api/index.ts';
import { api } from '../../api/client.ts';
import { useJobsStore } from '../../store/jobs-store.ts';
import { checkWithKey, goToStep, resetRestore, useRestoreStore } from '../../store/restore-store.ts';
import { BackupKeyForm } from '../encryption/BackupKeyForm.tsx';
import { backupName, compareForDisplay, describeComparison, formatBytes, formatRelativeTime, shortenMiddle } from '../../format.ts';
import { Facts } from '../Facts.tsx';
import { JobProgressBar } from '../JobProgressBar.tsx';
import { useNow } from '../use-now.ts';
import { ComparisonTable } from './ComparisonTable.tsx';

/** Step 2: the check runs with progress, then what the backup holds and how it differs from now. */
export function CheckStep() {
  const backupPath = useRestoreStore((s) => s.backupPath);
  const displayName = useRestoreStore((s) => s.displayName);
  const check = useRestoreStore((s) => s.check);
  const checkError = useRestoreStore((s) => s.checkError);
  const checkErrorCode = useRestoreStore((s) => s.checkErrorCode);
  const needsKey = checkErrorCode === 'KEY_NEEDED' || checkErrorCode === 'WRONG_KEY';
  const jobId = useRestoreStore((s) => s.checkJobId);
  const view = useJobsStore((s) => (jobId ? s.jobs[jobId] : undefined));
  const source = useRestoreStore((s) => s.source);
  const name = displayName ?? (backupPath ? backupName(backupPath) : '');
  // A file dropped onto the browser window lives in the staging folder; say so instead of showing that path.
  const staged = source === 'drop' && !api.pathForFile;

  return (
    <Stack gap="lg">
      <div>
        <Title order={4}>Checking {name}</Title>
        {staged ? (
          <Text size="sm" c="dimmed">
            Dropped onto the window; Pagevault keeps its copy for a day.
          </Text>
        ) : (
          <Tooltip label={backupPath} openDelay={300} multiline maw={560} style={{ wordBreak: 'break-all' }}>
            <Text size="sm" c="dimmed" ff="monospace" truncate="end">
              {shortenMiddle(backupPath ?? '', 90)}
            </Text>
          </Tooltip>
        )}
      </div>
      {checkError && needsKey ? (
        <Stack gap="sm">
          {/* "Key needed" is what the form says; a wrong key's message says which key was tried and why it failed. */}
          {checkErrorCode === 'WRONG_KEY' && (
            <Text size="sm" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
              {checkError}
            </Text>
          )}
          <BackupKeyForm wrongKey={checkErrorCode === 'WRONG_KEY'} onSubmit={(key) => void checkWithKey(key)} />
        </Stack>
      ) : checkError ? (
        <Alert color="red" icon={<IconAlertTriangle size={18} />} title="This file cannot be restored" role="alert">
          <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
            {checkError}
          </Text>
          <Text size="sm" mt="xs">
            Nothing was changed. Choose another backup.
          </Text>
        </Alert>
      ) : check ? (
        <CheckResult check={check} />
      ) : view ? (
        <Paper withBorder radius="md" p="md">
          <JobProgressBar view={view} />
        </Paper>
      ) : (
        <Text c="dimmed">Starting the check…</Text>
      )}
      <Group justify="space-between">
        <Button variant="default" leftSection={<IconArrowLeft size={16} />} onClick={resetRestore}>
          Choose another backup
        </Button>
        <Button rightSection={<IconArrowRight size={16} />} disabled={!check} onClick={() => goToStep('target')}>
          Continue
        </Button>
      </Group>
    </Stack>
  );
}

const takenFrom: Record<RestoreCheck['takenAtSource'], string> = {
  manifest: 'from its manifest',
  history: 'from the history',
  file: 'the file’s modification time',
};

function CheckResult({ check }: { check: RestoreCheck }) {
  const now = useNow();
  const { inspect, verification, manifest, origin } = check;
  const taken = new Date(check.takenAt);
  const rows = compareForDisplay(inspect.tables, origin?.comparison ?? null);
  const from = manifest?.source ?? check.entry?.source ?? null;
  return (
    <Stack gap="md">
      <Alert color="teal" icon={<IconShieldCheck size={18} />} title="The backup is sound" role="status">
        It passed SQLite’s {verification.check}
        {check.entry?.version
          ? `, and every page of version ${check.entry.version.id} matched its SHA-256 in the vault`
          : verification.manifestChecked
          ? ' and matches the size, page count and SHA-256 in its manifest'
          : check.entryMatchedBy === 'checksum' && check.entry
            ? `, and its SHA-256 matches the backup of ${check.entry.databaseLabel} taken ${new Date(check.entry.startedAt).toLocaleString()}`
            : '; it has no manifest to compare with'}
        .
      </Alert>
      <Paper withBorder radius="md" p="md">
        <Facts
          facts={[
            ['Taken', <span title={`${taken.toLocaleString()} (${takenFrom[check.takenAtSource]})`}>{`${taken.toLocaleString()} · ${formatRelativeTime(check.takenAt, now)}`}</span>],
            ['From', from ? <span title={from}>{shortenMiddle(from, 48)}</span> : 'Unknown (no manifest or history entry)'],
            ['Size', formatBytes(inspect.sizeBytes)],
            ['Pages', `${inspect.pageCount.toLocaleString()} × ${inspect.pageSize.toLocaleString()} bytes`],
            ['Tables', inspect.tables.length.toLocaleString()],
            ['Journal mode', inspect.journalMode.toUpperCase()],
          ]}
        />
      </Paper>
      {origin?.comparison && (
        <div>
          <Text size="sm" fw={600}>
            Compared with {origin.label} as it is now
          </Text>
          <Text size="sm" c="dimmed">
            {describeComparison(rows)}
          </Text>
        </div>
      )}
      <ComparisonTable rows={rows} targetLabel={origin?.comparison ? origin.label : null} />
    </Stack>
  );
}
