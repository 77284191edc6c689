import { useEffect, useState } from 'react';
import { ActionIcon, Button, Group, Menu, Modal, Pagination, Paper, Select, Skeleton, Stack, Table, Text, TextInput, Tooltip, VisuallyHidden } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconCopy, IconDots, IconFolderSearch, IconHistory, IconPin, IconPinFilled, IconPinnedOff, IconRestore, IconShieldCheck, IconTrash, IconFileImport, IconFolderOpen } from '@tabler/icons-react';
import type { BackupRecord, HistoryPage, HistoryStatusFilter } from '../../../app/api/index.ts';
import { api } from '../api/client.ts';
import { CloneBadge, HeldCopyBadge, StatusBadge, TriggerBadge } from '../components/BackupBadges.tsx';
import { EmptyState } from '../components/EmptyState.tsx';
import { HistoryChart } from '../components/HistoryChart.tsx';
import { ScreenHeader } from '../components/ScreenHeader.tsx';
import { useCatalogStore } from '../store/catalog-store.ts';
import { copyPath, showOrCopyPath } from '../store/file-actions.ts';
import { openRestoreWith } from '../store/restore-store.ts';
import { formatBytes, formatDuration, formatRate, shortenMiddle } from '../store/selectors.ts';

const PAGE_SIZE = 50;

const modeLabel: Record<BackupRecord['mode'], string> = { snapshot: 'Snapshot', stepped: 'Stepped', compact: 'Compact' };

const statusOptions: Array<{ value: HistoryStatusFilter; label: string }> = [
  { value: 'all', label: 'All statuses' },
  { value: 'succeeded', label: 'Succeeded' },
  { value: 'failed', label: 'Failed' },
  { value: 'cancelled', label: 'Cancelled' },
  { value: 'skipped', label: 'Skipped (unchanged)' },
  { value: 'missed', label: 'Missed' },
  { value: 'interrupted', label: 'Interrupted' },
  { value: 'deferred', label: 'Deferred' },
  { value: 'verified', label: 'Verified' },
  { value: 'unverified', label: 'Not verified' },
];

export function HistoryScreen() {
  const databases = useCatalogStore((s) => s.databases);
  const historyVersion = useCatalogStore((s) => s.historyVersion);
  const [databaseId, setDatabaseId] = useState<number>();
  const [status, setStatus] = useState<HistoryStatusFilter>('all');
  const [page, setPage] = useState(1);
  const [history, setHistory] = useState<HistoryPage>();
  const [deleting, setDeleting] = useState<BackupRecord>();
  const [importing, setImporting] = useState(false);

  useEffect(() => {
    let live = true;
    api.call('history.list', { databaseId, status, offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE }).then(
      (value) => live && setHistory(value),
      (error: Error) => live && notifications.show({ color: 'red', title: 'Cannot load the history', message: error.message }),
    );
    return () => {
      live = false;
    };
  }, [databaseId, status, page, historyVersion]);

  const selected = databases.find((d) => d.id === databaseId);
  const filtered = databaseId !== undefined || status !== 'all';
  const pages = history ? Math.max(1, Math.ceil(history.total / PAGE_SIZE)) : 1;

  return (
    <>
      <ScreenHeader
        title="History"
        description="Every backup, newest first, with its size, duration and verification."
        actions={
          <Button variant="default" leftSection={<IconFileImport size={16} />} onClick={() => setImporting(true)}>
            Import backups from folder…
          </Button>
        }
      />
      {history && history.total === 0 && !filtered ? (
        <EmptyState icon={<IconHistory size={32} />} title="No backups yet">
          Every backup Pagevault takes is listed here, with its size, duration and verification. Take the first one from the
          Databases screen, or import a folder of earlier Pagevault backups.
        </EmptyState>
      ) : (
        <Stack gap="md">
          <Group gap="sm">
            <Select
              aria-label="Database"
              placeholder="All databases"
              clearable
              data={databases.map((d) => ({ value: String(d.id), label: d.label }))}
              value={databaseId === undefined ? null : String(databaseId)}
              onChange={(value) => {
                setDatabaseId(value ? Number(value) : undefined);
                setPage(1);
              }}
              w={240}
            />
            <Select
              aria-label="Status"
              data={statusOptions}
              value={status}
              allowDeselect={false}
              onChange={(value) => {
                setStatus((value as HistoryStatusFilter | null) ?? 'all');
                setPage(1);
              }}
              w={180}
            />
            {history && (
              <Text size="sm" c="dimmed" ml="auto" role="status">
                {history.total.toLocaleString()} {history.total === 1 ? 'backup' : 'backups'}
              </Text>
            )}
          </Group>
          {selected ? (
            <HistoryChart databaseId={selected.id} label={selected.label} />
          ) : (
            databases.length > 0 && (
              <Text size="sm" c="dimmed">
                Choose a database to see a chart of its backups' size and duration.
              </Text>
            )
          )}
          {!history ? (
            <Skeleton height={240} radius="md" />
          ) : (
            <Paper withBorder radius="md">
              <Table verticalSpacing="xs" horizontalSpacing="sm" highlightOnHover aria-label="Backups">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>When</Table.Th>
                    <Table.Th>Database</Table.Th>
                    <Table.Th>Status</Table.Th>
                    <Table.Th ta="right">Size</Table.Th>
                    <Table.Th ta="right">Duration</Table.Th>
                    <Table.Th ta="right">Speed</Table.Th>
                    <Table.Th>Mode</Table.Th>
                    <Table.Th>
                      <VisuallyHidden>Actions</VisuallyHidden>
                    </Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {history.entries.map((entry) => (
                    <HistoryRow key={entry.id} entry={entry} onDelete={setDeleting} />
                  ))}
                  {history.entries.length === 0 && (
                    <Table.Tr>
                      <Table.Td colSpan={8}>
                        <Text size="sm" c="dimmed" ta="center" py="md">
                          No backups match these filters.
                        </Text>
                      </Table.Td>
                    </Table.Tr>
                  )}
                </Table.Tbody>
              </Table>
            </Paper>
          )}
          {pages > 1 && <Pagination total={pages} value={page} onChange={setPage} style={{ alignSelf: 'center' }} aria-label="Pages" />}
        </Stack>
      )}
      <DeleteBackup entry={deleting} onClose={() => setDeleting(undefined)} />
      <ImportFolder opened={importing} onClose={() => setImporting(false)} />
    </>
  );
}

function HistoryRow({ entry, onDelete }: { entry: BackupRecord; onDelete: (entry: BackupRecord) => void }) {
  const [verifying, setVerifying] = useState(false);
  const verify = async () => {
    setVerifying(true);
    try {
      const result = await api.call('history.verify', { backupId: entry.id });
      if (result.verification === 'passed') notifications.show({ color: 'teal', title: 'Backup verified', message: `${entry.path} passed quick_check and matches its SHA-256.` });
      else notifications.show({ color: 'red', title: 'Backup damaged', message: result.verificationProblems.join('\n'), autoClose: false });
    } catch (caught) {
      notifications.show({ color: 'red', title: 'Cannot verify', message: (caught as Error).message });
    } finally {
      setVerifying(false);
    }
  };
  const pin = async (pinned: boolean) => {
    try {
      await api.call('history.pin', { backupId: entry.id, pinned });
    } catch (caught) {
      notifications.show({ color: 'red', title: pinned ? 'Not pinned' : 'Not unpinned', message: (caught as Error).message });
    }
  };
  const started = new Date(entry.startedAt);
  const rate = entry.bytes && entry.durationMs ? (entry.bytes / entry.durationMs) * 1000 : 0;
  return (
    <Table.Tr>
      <Table.Td style={{ whiteSpace: 'nowrap' }}>
        <Text size="sm">{started.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' })}</Text>
        <Text size="xs" c="dimmed">
          {started.toLocaleTimeString()}
        </Text>
      </Table.Td>
      <Table.Td maw={220}>
        <Group gap={6} wrap="nowrap">
          <Text size="sm" truncate="end">
            {entry.databaseLabel}
          </Text>
          <TriggerBadge trigger={entry.trigger} />
          {entry.pinned && (
            <Tooltip label="Pinned: retention never deletes it">
              <IconPinFilled size={14} aria-label="Pinned" style={{ flexShrink: 0, color: 'var(--mantine-color-grape-6)' }} />
            </Tooltip>
          )}
        </Group>
        {entry.path ? (
          <Tooltip label={entry.path} openDelay={300} multiline maw={520} style={{ wordBreak: 'break-all' }}>
            <Text size="xs" c="dimmed" ff="monospace" truncate="end">
              {shortenMiddle(entry.path.split(/[\\/]/).pop() ?? entry.path, 34)}
            </Text>
          </Tooltip>
        ) : (
          entry.error && (
            <Text size="xs" c={entry.status === 'failed' ? 'red' : 'dimmed'} lineClamp={2} title={entry.error.message} style={{ overflowWrap: 'anywhere' }}>
              {entry.error.message}
            </Text>
          )
        )}
      </Table.Td>
      <Table.Td>
        <Stack gap={4} align="flex-start">
          <StatusBadge entry={entry} />
          <HeldCopyBadge heldCopy={entry.heldCopy} />
          <CloneBadge entry={entry} />
        </Stack>
      </Table.Td>
      <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
        {entry.bytes === null ? '–' : formatBytes(entry.bytes)}
      </Table.Td>
      <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
        {entry.durationMs === null ? '–' : formatDuration(entry.durationMs)}
      </Table.Td>
      <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
        {formatRate(rate)}
      </Table.Td>
      <Table.Td>
        <Text size="sm">{modeLabel[entry.mode]}</Text>
      </Table.Td>
      <Table.Td>
        <Menu position="bottom-end" withinPortal>
          <Menu.Target>
            <ActionIcon variant="subtle" color="gray" loading={verifying} aria-label={`Actions for the backup of ${entry.databaseLabel} from ${started.toLocaleString()}`}>
              <IconDots size={18} />
            </ActionIcon>
          </Menu.Target>
          <Menu.Dropdown>
            <Menu.Item leftSection={<IconRestore size={16} />} disabled={!entry.path || !entry.fileExists} onClick={() => void openRestoreWith(entry.path!, 'history')}>
              Restore…
            </Menu.Item>
            <Menu.Item leftSection={entry.pinned ? <IconPinnedOff size={16} /> : <IconPin size={16} />} disabled={!entry.path} onClick={() => void pin(!entry.pinned)}>
              {entry.pinned ? 'Unpin' : 'Pin (retention keeps it)'}
            </Menu.Item>
            <Menu.Item leftSection={<IconShieldCheck size={16} />} disabled={!entry.path || !entry.fileExists} onClick={() => void verify()}>
              Verify again
            </Menu.Item>
            {api.shell === 'electron' ? (
              <Menu.Item leftSection={<IconFolderSearch size={16} />} disabled={!entry.path || !entry.fileExists} onClick={() => void showOrCopyPath(entry.path!)}>
                Show in folder
              </Menu.Item>
            ) : (
              <Menu.Item leftSection={<IconCopy size={16} />} disabled={!entry.path} onClick={() => void copyPath(entry.path!)}>
                Copy path
              </Menu.Item>
            )}
            <Menu.Divider />
            {/* Mantine colours an item with shade 6 (3.3:1 on white); red's text shade reads at AA in both schemes. */}
            <Menu.Item color="red" style={{ color: 'var(--mantine-color-red-text)' }} leftSection={<IconTrash size={16} />} onClick={() => onDelete(entry)}>
              Delete…
            </Menu.Item>
          </Menu.Dropdown>
        </Menu>
      </Table.Td>
    </Table.Tr>
  );
}

function DeleteBackup({ entry, onClose }: { entry: BackupRecord | undefined; onClose: () => void }) {
  const [busy, setBusy] = useState(false);
  const remove = async () => {
    if (!entry) return;
    setBusy(true);
    try {
      const { deleted } = await api.call('history.delete', { backupId: entry.id });
      notifications.show({ title: 'Backup deleted', message: deleted.length > 0 ? `Deleted ${deleted.join(' and ')}` : 'The entry was removed from the history.' });
      onClose();
    } catch (caught) {
      notifications.show({ color: 'red', title: 'Not deleted', message: (caught as Error).message });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal opened={entry !== undefined} onClose={onClose} title="Delete this backup?" closeButtonProps={{ 'aria-label': 'Close without deleting the backup' }} centered>
      {entry && (
        <Stack>
          {entry.path ? (
            <>
              <Text size="sm">The backup file and its manifest are deleted from disk. This cannot be undone.</Text>
              <Text size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>
                {entry.path}
              </Text>
            </>
          ) : (
            <Text size="sm">This {entry.status} run left no file; only its entry is removed from the history.</Text>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Keep it
            </Button>
            <Button color="red" loading={busy} onClick={() => void remove()}>
              Delete
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}

function ImportFolder({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const [folder, setFolder] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const run = async () => {
    if (!folder.trim()) return setError('Type or paste the path of a folder of Pagevault backups');
    setBusy(true);
    setError(undefined);
    try {
      const result = await api.call('history.import', { folder: folder.trim() });
      const known = result.alreadyKnown > 0 ? `; ${result.alreadyKnown} were already listed` : '';
      notifications.show({ color: 'teal', title: `Imported ${result.imported} backups`, message: `From ${result.folder}${known}.${result.problems.length ? ` Skipped: ${result.problems.join('; ')}` : ''}` });
      setFolder('');
      onClose();
    } catch (caught) {
      setError((caught as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal opened={opened} onClose={onClose} title="Import backups from a folder" closeButtonProps={{ 'aria-label': 'Close without importing' }} centered size="lg">
      <form onSubmit={(event) => (event.preventDefault(), void run())}>
        <Stack>
          <Text size="sm">Pagevault reads the manifest beside each backup and adds the backups it does not list yet. Nothing in the folder changes.</Text>
          <Group align="flex-start" gap="xs" wrap="nowrap">
            <TextInput flex={1} label="Folder" data-autofocus value={folder} onChange={(e) => setFolder(e.currentTarget.value)} error={error} spellCheck={false} placeholder="/home/you/Backups/zotero" />
            {api.shell === 'electron' && (
              <Button mt={25} variant="default" leftSection={<IconFolderOpen size={16} />} onClick={() => void api.call('files.pick', { purpose: 'folder' }).then(({ paths }) => paths[0] && setFolder(paths[0]))}>
                Choose…
              </Button>
            )}
          </Group>
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={busy}>
              Import
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

