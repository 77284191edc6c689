import { useEffect } from 'react';
import { ActionIcon, Button, Group, Menu, Modal, Pagination, Paper, Select, Skeleton, Stack, Table, Text, Tooltip, VisuallyHidden } from '@mantine/core';
import { IconCopy, IconDots, IconFolderSearch, IconHistory, IconPin, IconPinFilled, IconPinnedOff, IconRestore, IconShieldCheck, IconTrash, IconFileImport } from '@tabler/icons-react';
import { useShallow } from 'zustand/react/shallow';
import type { BackupRecord, HistoryStatusFilter } from '../../../app/api/index.ts';
import { api } from '../api/client.ts';
import { CloneBadge, EncryptedBadge, HeldCopyBadge, StatusBadge, TriggerBadge, VersionBadge, WarningBadge } from '../components/BackupBadges.tsx';
import { ConfirmDialog } from '../components/ConfirmDialog.tsx';
import { EmptyState } from '../components/EmptyState.tsx';
import { FolderInput } from '../components/FolderInput.tsx';
import { HistoryChart } from '../components/HistoryChart.tsx';
import { ScreenHeader } from '../components/ScreenHeader.tsx';
import { useFileAction } from '../components/use-file-action.ts';
import { useCatalogStore } from '../store/catalog-store.ts';
import { copyPath, showOrCopyPath } from '../store/file-actions.ts';
import {
  confirmDelete,
  deleteConfirmed,
  filterHistory,
  HISTORY_PAGE_SIZE,
  importBackups,
  openImport,
  pinBackup,
  showHistory,
  showHistoryPage,
  useHistoryStore,
  verifyBackup,
} from '../store/history-store.ts';
import { openRestoreWith } from '../store/restore-store.ts';
import { backupNameParts, formatBytes, formatDuration, formatRate, shortenMiddle, vaultName, versionName } from '../format.ts';

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
  const { databaseId, status, page, history } = useHistoryStore(useShallow((s) => ({ databaseId: s.databaseId, status: s.status, page: s.page, history: s.history })));
  useEffect(() => {
    showHistory(true);
    return () => showHistory(false);
  }, []);

  const selected = databases.find((d) => d.id === databaseId);
  const filtered = databaseId !== undefined || status !== 'all';
  const pages = history ? Math.max(1, Math.ceil(history.total / HISTORY_PAGE_SIZE)) : 1;

  return (
    <>
      <ScreenHeader
        title="History"
        description="Every backup, newest first, with its size, duration and verification."
        actions={
          <Button variant="default" leftSection={<IconFileImport size={16} />} onClick={() => openImport(true)}>
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
              onChange={(value) => filterHistory({ databaseId: value ? Number(value) : undefined })}
              w={240}
            />
            <Select
              aria-label="Status"
              data={statusOptions}
              value={status}
              allowDeselect={false}
              onChange={(value) => filterHistory({ status: (value as HistoryStatusFilter | null) ?? 'all' })}
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
            <Paper withBorder radius="md" style={{ overflow: 'hidden' }}>
              {/* A narrow window scrolls the table inside its border rather than past it. */}
              <Table.ScrollContainer minWidth={860} type="native">
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
                    <HistoryRow key={entry.id} entry={entry} />
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
              </Table.ScrollContainer>
            </Paper>
          )}
          {pages > 1 && <Pagination total={pages} value={page} onChange={showHistoryPage} style={{ alignSelf: 'center' }} aria-label="Pages" />}
        </Stack>
      )}
      <DeleteBackup />
      <ImportFolder />
    </>
  );
}

/** A backup's file name: a long database name is cut short, never the time or the extension (`.db.age` says it is encrypted). */
function BackupFileName({ path }: { path: string }) {
  const { head, tail } = backupNameParts(path.split(/[\\/]/).pop() ?? path);
  return (
    <Group gap={0} wrap="nowrap">
      <Text size="xs" c="dimmed" ff="monospace" truncate="end">
        {head}
      </Text>
      {/* At most what the column holds (a safety copy's -…-before-restore-2.db.age is cut in its middle); the whole name is in the tooltip. */}
      <Text size="xs" c="dimmed" ff="monospace" style={{ whiteSpace: 'pre', flexShrink: 0 }}>
        {shortenMiddle(tail, 28)}
      </Text>
    </Group>
  );
}

function HistoryRow({ entry }: { entry: BackupRecord }) {
  const verifying = useHistoryStore((s) => s.verifying[entry.id] === true);
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
            {entry.version ? (
              // A long vault name is cut short, never the version number that tells the rows apart.
              <Group gap={0} wrap="nowrap">
                <Text size="xs" c="dimmed" ff="monospace" truncate="end">
                  {vaultName(entry.version)}
                </Text>
                <Text size="xs" c="dimmed" ff="monospace" style={{ whiteSpace: 'pre', flexShrink: 0 }}>
                  {` · version ${entry.version.id}`}
                </Text>
              </Group>
            ) : (
              <BackupFileName path={entry.path} />
            )}
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
          <VersionBadge entry={entry} />
          <EncryptedBadge entry={entry} />
          <WarningBadge warnings={entry.warnings} />
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
        <Text size="sm">{entry.version ? 'Version' : modeLabel[entry.mode]}</Text>
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
            <Menu.Item leftSection={entry.pinned ? <IconPinnedOff size={16} /> : <IconPin size={16} />} disabled={!entry.path} onClick={() => void pinBackup(entry, !entry.pinned)}>
              {entry.pinned ? 'Unpin' : 'Pin (retention keeps it)'}
            </Menu.Item>
            <Menu.Item leftSection={<IconShieldCheck size={16} />} disabled={!entry.path || !entry.fileExists} onClick={() => void verifyBackup(entry)}>
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
            <Menu.Item color="red" style={{ color: 'var(--mantine-color-red-text)' }} leftSection={<IconTrash size={16} />} onClick={() => confirmDelete(entry)}>
              Delete…
            </Menu.Item>
          </Menu.Dropdown>
        </Menu>
      </Table.Td>
    </Table.Tr>
  );
}

function DeleteBackup() {
  const entry = useHistoryStore((s) => s.deleting);
  return (
    <ConfirmDialog
      opened={entry !== undefined}
      title={entry?.version ? 'Delete this version?' : 'Delete this backup?'}
      closeLabel={entry?.version ? 'Close without deleting the version' : 'Close without deleting the backup'}
      confirmLabel="Delete"
      onConfirm={deleteConfirmed}
      onClose={() => confirmDelete(undefined)}
    >
      {entry?.version ? (
        <>
          <Text size="sm">
            {/* A version frees the pages it added that no other version names; the ones it shares stay. */}
            The version is deleted from its vault. This frees up to {formatBytes(entry.version.newBytes)}; pages shared with other versions stay. This cannot be undone.
          </Text>
          <Text size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>
            {versionName(entry.version)} in {entry.version.vault}
          </Text>
        </>
      ) : entry?.path ? (
        <>
          <Text size="sm">The backup file and its manifest are deleted from disk. This cannot be undone.</Text>
          <Text size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>
            {entry.path}
          </Text>
        </>
      ) : (
        entry && <Text size="sm">This {entry.status} run left no file; only its entry is removed from the history.</Text>
      )}
    </ConfirmDialog>
  );
}

function ImportFolder() {
  const opened = useHistoryStore((s) => s.importing);
  return (
    <Modal opened={opened} onClose={() => openImport(false)} title="Import backups from a folder" closeButtonProps={{ 'aria-label': 'Close without importing' }} centered size="lg">
      {/* Mounted while open, so each opening starts with an empty field. */}
      {opened && <ImportForm />}
    </Modal>
  );
}

function ImportForm() {
  const action = useFileAction(importBackups, 'Type or paste the path of a folder of Pagevault backups');
  return (
    <form onSubmit={(event) => void action.submit(event)}>
      <Stack>
        <Text size="sm">Pagevault reads the manifest beside each backup and adds the backups it does not list yet. Nothing in the folder changes.</Text>
        <FolderInput label="Folder" autoFocus value={action.path} onChange={action.setPath} error={action.error} placeholder="/home/you/Backups/zotero" />
        <Group justify="flex-end">
          <Button variant="default" onClick={() => openImport(false)}>
            Cancel
          </Button>
          <Button type="submit" loading={action.busy}>
            Import
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
