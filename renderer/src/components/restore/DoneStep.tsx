import { useState } from 'react';
import { Alert, Button, Group, Paper, Stack, Text, Tooltip } from '@mantine/core';
import { IconArrowBackUp, IconCircleCheck, IconCopy, IconFolderSearch, IconHistory, IconRestore } from '@tabler/icons-react';
import { api } from '../../api/client.ts';
import { navigate } from '../../store/app-store.ts';
import { showOrCopyPath } from '../../store/file-actions.ts';
import { resetRestore, undoRestore, useRestoreStore } from '../../store/restore-store.ts';
import { formatBytes, formatDuration, shortenMiddle } from '../../format.ts';
import { Facts } from '../Facts.tsx';

/** Step 5: what happened, where the safety copy is, and Undo restore. */
export function DoneStep() {
  const summary = useRestoreStore((s) => s.summary);
  const undoOf = useRestoreStore((s) => s.undoOf);
  const startError = useRestoreStore((s) => s.startError);
  const [undoing, setUndoing] = useState(false);
  if (!summary) return null;

  const undo = async () => {
    setUndoing(true);
    await undoRestore();
    setUndoing(false);
  };

  return (
    <Stack gap="lg">
      <Alert color="teal" icon={<IconCircleCheck size={20} />} title={undoOf ? `Undone: ${summary.label} is back as it was` : `${summary.label} was restored`} role="status">
        {undoOf
          ? `The database is as it was before the restore from ${undoOf.backupPath.split(/[\\/]/).pop()}.`
          : `It now holds the backup’s contents${summary.verified ? ' and passed SQLite’s quick_check' : ''}.`}
      </Alert>
      <Paper withBorder radius="md" p="md">
        <Facts
          facts={[
            ['Database', <span title={summary.target}>{shortenMiddle(summary.target, 56)}</span>],
            ['Restored from', <span title={summary.backupPath}>{shortenMiddle(summary.backupPath, 56)}</span>],
            ['Size', `${formatBytes(summary.bytes)} · ${summary.pageCount.toLocaleString()} pages`],
            ['Took', formatDuration(summary.durationMs)],
            ['Verified', summary.verified ? 'Yes, quick_check passed' : 'No'],
          ]}
        />
      </Paper>
      {summary.safetyCopy && (
        <Paper withBorder radius="md" p="md">
          <Group justify="space-between" wrap="nowrap">
            <div style={{ minWidth: 0 }}>
              <Text size="sm" fw={600}>
                Safety copy of the previous database
              </Text>
              <Tooltip label={summary.safetyCopy} openDelay={300} multiline maw={560} style={{ wordBreak: 'break-all' }}>
                <Text size="sm" c="dimmed" ff="monospace" truncate="end">
                  {summary.safetyCopy}
                </Text>
              </Tooltip>
              <Text size="xs" c="dimmed">
                Listed in the history as “Before restore”.
              </Text>
            </div>
            <Button
              variant="default"
              size="compact-sm"
              leftSection={api.shell === 'electron' ? <IconFolderSearch size={14} /> : <IconCopy size={14} />}
              onClick={() => void showOrCopyPath(summary.safetyCopy!)}
              style={{ flexShrink: 0 }}
            >
              {api.shell === 'electron' ? 'Show in folder' : 'Copy path'}
            </Button>
          </Group>
        </Paper>
      )}
      {startError && (
        <Alert color="red" title="Undo did not start" role="alert">
          {startError}
        </Alert>
      )}
      <Group>
        {!undoOf && summary.safetyCopy && (
          <Button color="orange" variant="light" leftSection={<IconArrowBackUp size={16} />} loading={undoing} onClick={() => void undo()}>
            Undo restore
          </Button>
        )}
        <Button variant="default" leftSection={<IconRestore size={16} />} onClick={resetRestore}>
          Restore another backup
        </Button>
        <Button variant="subtle" leftSection={<IconHistory size={16} />} onClick={() => navigate('history')}>
          Open the history
        </Button>
      </Group>
    </Stack>
  );
}
