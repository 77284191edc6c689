import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { Alert, Button, Group, Paper, Skeleton, Stack, Table, Text, TextInput, Title, VisuallyHidden } from '@mantine/core';
import { IconAlertTriangle, IconFileSearch, IconFolderOpen } from '@tabler/icons-react';
import type { BackupRecord } from '../../../../app/api/index.ts';
import { api } from '../../api/client.ts';
import { useCatalogStore } from '../../store/catalog-store.ts';
import { openRestoreWith } from '../../store/restore-store.ts';
import { formatBytes, formatRelativeTime } from '../../format.ts';
import { StatusBadge, TriggerBadge, VersionBadge } from '../BackupBadges.tsx';
import { useNow } from '../use-now.ts';

const RECENT_COUNT = 8;

/** One of the places a backup can be chosen from. */
function SourcePanel({ title, description, children }: { title: string; description: string; children: ReactNode }) {
  return (
    <Paper withBorder radius="md" p="lg">
      <Title order={4} mb={4}>
        {title}
      </Title>
      <Text size="sm" c="dimmed" mb="md">
        {description}
      </Text>
      {children}
    </Paper>
  );
}

/** Step 1: a recent backup from the history, or any file by path, dialog or drop. */
export function ChooseBackupStep() {
  return (
    <Stack gap="lg">
      <RecentBackups />
      <BackupFileForm />
    </Stack>
  );
}

function RecentBackups() {
  const historyVersion = useCatalogStore((s) => s.historyVersion);
  const [recent, setRecent] = useState<BackupRecord[]>();
  const [error, setError] = useState<string>();
  const now = useNow(30_000);

  useEffect(() => {
    let current = true;
    api.call('history.list', { status: 'succeeded', limit: RECENT_COUNT }).then(
      (page) => current && setRecent(page.entries.filter((entry) => entry.path && entry.fileExists)),
      (caught: Error) => current && setError(caught.message),
    );
    return () => {
      current = false;
    };
  }, [historyVersion]);

  return (
    <SourcePanel title="From the history" description="The latest backups Pagevault took or imported.">
      {error ? (
        <Alert color="red" icon={<IconAlertTriangle size={18} />}>
          {error}
        </Alert>
      ) : !recent ? (
        <Skeleton height={96} />
      ) : recent.length === 0 ? (
        <Text size="sm" c="dimmed">
          No backups yet. Take one with Backup now on the Databases screen, or choose a backup file below.
        </Text>
      ) : (
        <Table verticalSpacing="xs" aria-label="Recent backups">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Database</Table.Th>
              <Table.Th>Taken</Table.Th>
              <Table.Th ta="right">Size</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th w={110}>
                <VisuallyHidden>Action</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {recent.map((entry) => (
              <Table.Tr key={entry.id}>
                <Table.Td maw={260}>
                  <Group gap={6} wrap="nowrap">
                    <Text size="sm" truncate="end">
                      {entry.databaseLabel}
                    </Text>
                    <TriggerBadge trigger={entry.trigger} />
                    <VersionBadge entry={entry} />
                  </Group>
                </Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>
                  <Text size="sm" title={new Date(entry.startedAt).toLocaleString()}>
                    {formatRelativeTime(entry.startedAt, now)}
                  </Text>
                </Table.Td>
                <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
                  {entry.bytes === null ? '–' : formatBytes(entry.bytes)}
                </Table.Td>
                <Table.Td>
                  <StatusBadge entry={entry} />
                </Table.Td>
                <Table.Td ta="right">
                  <Button
                    size="compact-sm"
                    variant="light"
                    onClick={() => void openRestoreWith(entry.path!, 'history')}
                    aria-label={`Choose the backup of ${entry.databaseLabel} from ${new Date(entry.startedAt).toLocaleString()}`}
                  >
                    Choose
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </SourcePanel>
  );
}

function BackupFileForm() {
  const [path, setPath] = useState('');
  const [error, setError] = useState<string>();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!path.trim()) {
      setError('Type the path of a backup file, for example /home/you/backups/zotero-20261120-0930.db');
      return;
    }
    void openRestoreWith(path.trim(), 'file');
  };
  const browse = async () => {
    try {
      const { paths } = await api.call('files.pick', { purpose: 'backup' });
      if (paths[0]) void openRestoreWith(paths[0], 'file');
    } catch (caught) {
      setError((caught as Error).message);
    }
  };
  return (
    <SourcePanel title="From a file" description="Any SQLite database or Pagevault backup. You can also drop the file anywhere on this window.">
      <form onSubmit={submit} noValidate>
        <Group align="flex-start" wrap="nowrap">
          <TextInput
            flex={1}
            aria-label="Backup file"
            placeholder="/home/you/backups/zotero-20261120-0930.db"
            value={path}
            onChange={(event) => {
              setPath(event.currentTarget.value);
              setError(undefined);
            }}
            error={error}
            spellCheck={false}
            autoComplete="off"
          />
          {api.shell === 'electron' && (
            <Button variant="default" leftSection={<IconFolderOpen size={16} />} onClick={() => void browse()}>
              Browse…
            </Button>
          )}
          <Button type="submit" leftSection={<IconFileSearch size={16} />}>
            Check this backup
          </Button>
        </Group>
      </form>
    </SourcePanel>
  );
}
