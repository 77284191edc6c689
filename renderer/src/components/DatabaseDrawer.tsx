import { useEffect, useRef, useState } from 'react';
import { Alert, Button, Divider, Drawer, Group, NumberInput, SegmentedControl, Skeleton, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconAlertTriangle, IconDeviceFloppy, IconTrash } from '@tabler/icons-react';
import type { BackupMode, BackupRecord, DatabaseDetails, DatabaseSummary, StorageKind } from '../../../app/api/index.ts';
import { defaults, formatMebibytes, limits } from '../../../app/api/limits.ts';
import { EncryptionSettings } from './encryption/EncryptionSettings.tsx';
import { api, ApiError } from '../api/client.ts';
import { useCatalogStore } from '../store/catalog-store.ts';
import { formatBytes, formatDuration } from '../format.ts';
import { LastBackup } from './DatabaseTable.tsx';
import { ConfirmDialog } from './ConfirmDialog.tsx';
import { FolderInput } from './FolderInput.tsx';
import { InspectDetails } from './InspectPanel.tsx';
import { StorageView } from './StorageView.tsx';

const modeHelp: Record<BackupMode, string> = {
  snapshot: 'One consistent point in time; writers keep going (best for WAL databases).',
  stepped: 'Copies a few pages at a time and lets writers in between; starts over if they write (rollback-journal databases).',
  compact: 'VACUUM INTO: a smaller copy without free pages; more CPU, no page-by-page progress.',
};

const storageHelp: Record<StorageKind, string> = {
  copies: 'Copies: each backup is a plain SQLite file that opens anywhere; cloned where the backup folder clones.',
  versions: 'Versions: each version stores only the pages that changed, in one vault file in the backup folder.',
};
const storageName: Record<StorageKind, string> = { copies: 'Copies', versions: 'Versions' };

/** Everything about one database: what it holds, where and how it is backed up, its latest backups. */
export function DatabaseDrawer({ databaseId, onClose }: { databaseId: number | undefined; onClose: () => void }) {
  const database = useCatalogStore((s) => s.databases.find((d) => d.id === databaseId));
  return (
    <Drawer opened={databaseId !== undefined && database !== undefined} onClose={onClose} position="right" size={560} closeButtonProps={{ 'aria-label': `Close the details of ${database?.label ?? 'the database'}` }} title={<Title order={3}>{database?.label}</Title>}>
      {database && <DrawerBody key={database.id} database={database} onRemoved={onClose} />}
    </Drawer>
  );
}

function DrawerBody({ database, onRemoved }: { database: DatabaseSummary; onRemoved: () => void }) {
  const [details, setDetails] = useState<DatabaseDetails>();
  const [latest, setLatest] = useState<BackupRecord[]>();
  // Inspecting opens the file in a worker: once per opening of the drawer, not at every backup.
  useEffect(() => {
    let live = true;
    api.call('databases.details', { id: database.id }).then(
      (value) => {
        if (!live) return;
        setDetails(value);
        setLatest((shown) => shown ?? value.latestBackups);
      },
      (error: Error) => live && notifications.show({ color: 'red', title: 'Cannot load the details', message: error.message }),
    );
    return () => {
      live = false;
    };
  }, [database.id]);
  // A backup, a deletion or an import: only the list of latest backups is asked again.
  const historyVersion = useCatalogStore((s) => s.historyVersion);
  const openedAt = useRef(historyVersion);
  useEffect(() => {
    if (historyVersion === openedAt.current) return;
    let live = true;
    api.call('history.list', { databaseId: database.id, limit: 5 }).then(
      (page) => live && setLatest(page.entries),
      (error: Error) => live && notifications.show({ color: 'red', title: 'Cannot load the latest backups', message: error.message }),
    );
    return () => {
      live = false;
    };
  }, [database.id, historyVersion]);

  return (
    <Stack gap="lg" role="region" aria-label={`Details of ${database.label}`}>
      <Text size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>
        {database.path}
      </Text>
      <SettingsForm database={database} />
      <Stack gap="xs" role="region" aria-label="Encryption at rest">
        <Title order={4}>Encryption at rest</Title>
        <EncryptionSettings key={database.id} databaseId={database.id} />
      </Stack>
      <Divider />
      <Stack gap="xs">
        <Title order={4}>Latest backups</Title>
        {!latest ? (
          <Skeleton height={60} />
        ) : latest.length === 0 ? (
          <Text size="sm" c="dimmed">
            No backups yet. Press Backup now to take the first one.
          </Text>
        ) : (
          <Table aria-label="Latest backups" verticalSpacing={6}>
            <Table.Tbody>
              {latest.map((backup) => (
                <Table.Tr key={backup.id}>
                  <Table.Td>
                    <LastBackup backup={backup} />
                  </Table.Td>
                  <Table.Td ta="right">{backup.bytes === null ? '–' : formatBytes(backup.bytes)}</Table.Td>
                  <Table.Td ta="right">{backup.durationMs === null ? '–' : formatDuration(backup.durationMs)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Stack>
      <Divider />
      <StorageView databaseId={database.id} label={database.label} />
      <Divider />
      <Stack gap="xs">
        <Title order={4}>What it holds</Title>
        {!details ? (
          <Skeleton height={160} />
        ) : details.inspect ? (
          <InspectDetails result={details.inspect} />
        ) : (
          <Alert color="red" icon={<IconAlertTriangle size={18} />} title="Cannot read the database right now">
            {details.inspectError}
          </Alert>
        )}
      </Stack>
      <Divider />
      <RemoveDatabase database={database} onRemoved={onRemoved} />
    </Stack>
  );
}

function SettingsForm({ database }: { database: DatabaseSummary }) {
  const [label, setLabel] = useState(database.label);
  const [destination, setDestination] = useState(database.destination);
  const [mode, setMode] = useState<BackupMode>(database.mode);
  const [storage, setStorage] = useState<StorageKind>(database.storage);
  const [pagesPerStep, setPagesPerStep] = useState<number | ''>(database.pagesPerStep ?? '');
  const [pauseMs, setPauseMs] = useState<number | ''>(database.pauseMs ?? '');
  const [errors, setErrors] = useState<{ label?: string; destination?: string; general?: string }>({});
  const [busy, setBusy] = useState(false);
  const dirty =
    label !== database.label || destination !== database.destination || mode !== database.mode || storage !== database.storage || (pagesPerStep || null) !== database.pagesPerStep || (pauseMs === '' ? null : pauseMs) !== database.pauseMs;

  const save = async () => {
    const found: typeof errors = {};
    if (!label.trim()) found.label = 'A name is required';
    if (!destination.trim()) found.destination = 'A backup folder is required';
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      await api.call('databases.update', {
        id: database.id,
        label: label.trim(),
        destination: destination.trim(),
        mode,
        storage,
        pagesPerStep: pagesPerStep === '' ? null : pagesPerStep,
        pauseMs: pauseMs === '' ? null : pauseMs,
      });
      notifications.show({ color: 'teal', title: 'Saved', message: `Backups of ${label.trim()} go to ${destination.trim()}` });
    } catch (caught) {
      const issues = caught instanceof ApiError ? caught.issues : [];
      const at = (path: 'label' | 'destination') => issues.find((issue) => issue.path === path)?.message;
      if (at('label') || at('destination')) setErrors({ label: at('label'), destination: at('destination') });
      else setErrors({ general: (caught as Error).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Stack gap="sm" component="form" aria-label="Backup settings" onSubmit={(event) => (event.preventDefault(), void save())}>
      <Title order={4}>Backup settings</Title>
      <TextInput label="Name" value={label} onChange={(e) => setLabel(e.currentTarget.value)} error={errors.label} maxLength={limits.labelLength} />
      <FolderInput label="Backup folder" description="Created when missing; must be writable." value={destination} onChange={setDestination} error={errors.destination} />
      <div>
        <Text size="sm" fw={500} id={`storage-${database.id}`}>
          Keep backups as
        </Text>
        <SegmentedControl
          aria-labelledby={`storage-${database.id}`}
          aria-describedby={`storage-reason-${database.id}`}
          value={storage}
          onChange={(value) => setStorage(value as StorageKind)}
          data={[
            { value: 'copies', label: 'Copies' },
            { value: 'versions', label: 'Versions' },
          ]}
          my={4}
        />
        <Text size="xs" c="dimmed" id={`storage-reason-${database.id}`}>
          {/* The core's sentence is about this database and its folder; a choice not saved yet gets the general one. */}
          {storage === database.storage ? database.storageReason : storageHelp[storage]}
          {storage !== database.storageDefault && ` Pagevault would choose ${storageName[database.storageDefault]} for this database.`}
          {storage === 'versions' && ' The backup mode below does not apply to versions.'}
          {storage === 'versions' &&
            ' With encryption at rest, the vault is encrypted with the same key: adding and restoring versions use the key Pagevault keeps, retention prunes without it. A vault made without encryption stays so (and the reverse): changing it needs a new backup folder.'}
        </Text>
      </div>
      <div>
        <Text size="sm" fw={500} id={`mode-${database.id}`}>
          Backup mode
        </Text>
        <SegmentedControl
          aria-labelledby={`mode-${database.id}`}
          value={mode}
          onChange={(value) => setMode(value as BackupMode)}
          data={[
            { value: 'snapshot', label: 'Snapshot' },
            { value: 'stepped', label: 'Stepped' },
            { value: 'compact', label: 'Compact' },
          ]}
          my={4}
        />
        <Text size="xs" c="dimmed">
          {modeHelp[mode]}
          {mode === 'stepped' && database.journalMode === 'wal' && ' Snapshot mode is usually better for this WAL database.'}
        </Text>
      </div>
      {mode === 'stepped' && (
        <Group grow align="flex-start">
          <NumberInput label="Pages per step" placeholder={`Default (${formatMebibytes(defaults.steppedBytesPerStep)})`} min={limits.pagesPerStep.min} max={limits.pagesPerStep.max} value={pagesPerStep} onChange={(v) => setPagesPerStep(typeof v === 'number' ? v : '')} allowDecimal={false} />
          <NumberInput label="Pause between steps (ms)" placeholder={`Default (${defaults.pauseMs} ms)`} min={limits.pauseMs.min} max={limits.pauseMs.max} value={pauseMs} onChange={(v) => setPauseMs(typeof v === 'number' ? v : '')} allowDecimal={false} />
        </Group>
      )}
      {errors.general && (
        <Alert color="red" icon={<IconAlertTriangle size={18} />} role="alert">
          {errors.general}
        </Alert>
      )}
      <Group justify="flex-end">
        <Button type="submit" loading={busy} disabled={!dirty} leftSection={<IconDeviceFloppy size={16} />}>
          Save settings
        </Button>
      </Group>
    </Stack>
  );
}

function RemoveDatabase({ database, onRemoved }: { database: DatabaseSummary; onRemoved: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const remove = async () => {
    try {
      const result = await api.call('databases.remove', { id: database.id });
      notifications.show({ title: `Removed ${database.label} from Pagevault`, message: `Its ${result.backupsKept} backups stay in ${result.destination}.` });
      onRemoved();
      return true;
    } catch (caught) {
      notifications.show({ color: 'red', title: 'Not removed', message: (caught as Error).message });
      return false;
    }
  };
  return (
    <>
      <Group justify="space-between" wrap="nowrap">
        <Text size="sm" c="dimmed">
          Stop backing up this database. The database and its backups stay on disk.
        </Text>
        <Button color="red" variant="light" leftSection={<IconTrash size={16} />} onClick={() => setConfirming(true)}>
          Remove…
        </Button>
      </Group>
      <ConfirmDialog opened={confirming} title={`Remove ${database.label} from Pagevault?`} closeLabel={`Close without removing ${database.label}`} confirmLabel="Remove" onConfirm={remove} onClose={() => setConfirming(false)}>
        <Text size="sm">Pagevault stops backing it up. The database file is not touched, and its backups stay on disk in:</Text>
        <Text size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>
          {database.destination}
        </Text>
        <Text size="sm">They stay listed in the history, and you can add the database again at any time.</Text>
      </ConfirmDialog>
    </>
  );
}

