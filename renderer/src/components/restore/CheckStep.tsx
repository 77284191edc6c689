import { Alert, Button, Group, Paper, Stack, Text, Title, Tooltip } from '@mantine/core';
import { IconAlertTriangle, IconArrowLeft, IconArrowRight, IconShieldCheck } from '@tabler/icons-react';
import type { RestoreCheck } from '../../../../app/api/index.ts';
import { api } from '../../api/client.ts';
import { useJobsStore } from '../../store/jobs-store.ts';
import { checkWithKey, checkWithSourceKey, goToStep, resetRestore, useRestoreStore } from '../../store/restore-store.ts';
import { KeyAndCipherFields } from '../DatabaseKeyFields.tsx';
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
  const lastKeyTyped = useRestoreStore((s) => s.lastKeyTyped);
  // Which key is missing: the age key around the backup, or the key of the encrypted database inside it.
  const needsDatabaseKey = checkErrorCode === 'ENCRYPTED' || (checkErrorCode === 'WRONG_KEY' && lastKeyTyped === 'database');
  const needsKey = !needsDatabaseKey && (checkErrorCode === 'KEY_NEEDED' || checkErrorCode === 'WRONG_KEY');
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
      {checkError && needsDatabaseKey ? (
        <Paper withBorder radius="md" p="md" role="region" aria-label="Key of the encrypted database in this backup">
          <Text fw={600}>{checkErrorCode === 'WRONG_KEY' ? 'That key does not open this backup' : 'This is a backup of an encrypted database'}</Text>
          <Text size="sm" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
            {staged && backupPath ? checkError.replaceAll(backupPath, name) : checkError}
          </Text>
          <KeyAndCipherFields
            label="Key of the encrypted database"
            intro="Enter the database's key and cipher. It is checked on the backup before anything else, used for this restore only and not saved."
            submitLabel="Open with this key"
            refusedTitle="Not opened"
            onSubmit={async (key, cipher) => {
              await checkWithSourceKey(key, cipher);
              return undefined;
            }}
          />
        </Paper>
      ) : checkError && needsKey ? (
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
            ...(inspect.encryption?.state === 'key-accepted' ? [['Encryption', `${inspect.encryption.cipherLabel} (key accepted)`] as [string, string]] : []),
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
