import { useState } from 'react';
import { Alert, Button, Checkbox, Group, List, Loader, Modal, Paper, Radio, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { IconAlertTriangle, IconArrowLeft, IconFilePlus, IconFolderOpen, IconInfoCircle, IconLock, IconRestore } from '@tabler/icons-react';
import type { RestoreTarget } from '../../../../app/api/index.ts';
import { api } from '../../api/client.ts';
import { useCatalogStore } from '../../store/catalog-store.ts';
import {
  chooseTarget,
  goToStep,
  setProceedWhileInUse,
  setSafetyCopy,
  startRestore,
  useRestoreStore,
  type TargetChoice,
} from '../../store/restore-store.ts';
import { compareForDisplay, describeComparison, formatBytes, formatRelativeTime, shortenMiddle } from '../../format.ts';
import { useNow } from '../use-now.ts';

/** Step 3: where the backup goes, what that replaces, who else uses it, and the safety copy. */
export function TargetStep() {
  const check = useRestoreStore((s) => s.check);
  const choice = useRestoreStore((s) => s.targetChoice);
  const target = useRestoreStore((s) => s.target);
  const loading = useRestoreStore((s) => s.targetLoading);
  const targetError = useRestoreStore((s) => s.targetError);
  const proceed = useRestoreStore((s) => s.proceedWhileInUse);
  const safetyCopy = useRestoreStore((s) => s.safetyCopy);
  const startError = useRestoreStore((s) => s.startError);
  const [starting, setStarting] = useState(false);
  if (!check) return null;

  const blocked = !target || loading || target.problem !== null || (target.usage?.inUse === true && !proceed);
  const start = async () => {
    setStarting(true);
    await startRestore();
    setStarting(false);
  };

  return (
    <Stack gap="lg">
      <Paper withBorder radius="md" p="lg">
        <Title order={4} mb="md">
          Restore into
        </Title>
        <TargetChooser choice={choice} />
      </Paper>

      {loading && (
        <Group gap="xs">
          <Loader size="sm" />
          <Text size="sm" c="dimmed">
            Looking at the target…
          </Text>
        </Group>
      )}
      {targetError && (
        <Alert color="red" icon={<IconAlertTriangle size={18} />} title="Cannot look at this target" role="alert">
          {targetError}
        </Alert>
      )}
      {target && !loading && <TargetReport target={target} backupTables={check.inspect.tables} />}
      {target?.usage?.inUse && !target.problem && (
        <Alert color="red" icon={<IconLock size={18} />} title={`Another program is using ${target.label}`} role="alert">
          <List size="sm" mb="sm">
            {target.usage.reasons.map((reason) => (
              <List.Item key={reason}>{reason[0]!.toUpperCase() + reason.slice(1)}.</List.Item>
            ))}
          </List>
          <Text size="sm" mb="sm">
            Close that program first if you can. Restoring waits for its transactions, but the program may then show stale data until it is restarted.
          </Text>
          <Checkbox checked={proceed} onChange={(event) => setProceedWhileInUse(event.currentTarget.checked)} label="I understand; restore anyway" color="red" />
        </Alert>
      )}
      {target?.exists && !target.problem && <SafetyCopyChoice checked={safetyCopy} label={target.label} />}
      {startError && (
        <Alert color="red" icon={<IconAlertTriangle size={18} />} title="The restore did not start" role="alert">
          {startError}
        </Alert>
      )}
      <Group justify="space-between">
        <Button variant="default" leftSection={<IconArrowLeft size={16} />} onClick={() => goToStep('check')}>
          Back
        </Button>
        <Button
          color={target?.exists ? 'red' : undefined}
          leftSection={target?.exists ? <IconRestore size={16} /> : <IconFilePlus size={16} />}
          disabled={blocked}
          loading={starting}
          onClick={() => void start()}
        >
          {!target ? 'Restore' : target.exists ? `Replace ${target.label}` : 'Restore into the new file'}
        </Button>
      </Group>
    </Stack>
  );
}

function TargetChooser({ choice }: { choice: TargetChoice }) {
  const check = useRestoreStore((s) => s.check)!;
  const targetPath = useRestoreStore((s) => s.targetPath);
  const databases = useCatalogStore((s) => s.databases);
  const origin = check.origin;
  const others = databases.filter((db) => db.path !== origin?.path);
  const [newPath, setNewPath] = useState(choice === 'new' ? targetPath : '');
  const [registered, setRegistered] = useState<string | null>(choice === 'registered' ? targetPath : null);

  const pick = (next: TargetChoice) => {
    if (next === 'origin' && origin) void chooseTarget('origin', origin.path);
    if (next === 'registered') void chooseTarget('registered', registered ?? '');
    if (next === 'new') void chooseTarget('new', newPath);
  };
  const browse = async () => {
    const { paths } = await api.call('files.pick', { purpose: 'new-database' });
    if (paths[0]) {
      setNewPath(paths[0]);
      void chooseTarget('new', paths[0]);
    }
  };

  return (
    <Radio.Group value={choice} onChange={(value) => pick(value as TargetChoice)} aria-label="Restore into">
      <Stack gap="md">
        {origin && (
          <Radio
            value="origin"
            label={`The database it came from: ${origin.label}`}
            description={<span title={origin.path}>{shortenMiddle(origin.path, 80)}</span>}
          />
        )}
        <Radio
          value="registered"
          disabled={others.length === 0}
          label="Another database in Pagevault"
          description={others.length === 0 ? 'No other databases are registered.' : 'Replaces that database with the backup’s contents.'}
        />
        {choice === 'registered' && others.length > 0 && (
          <Select
            ml={32}
            aria-label="Database to replace"
            placeholder="Choose a database"
            data={others.map((db) => ({ value: db.path, label: `${db.label} — ${shortenMiddle(db.path, 60)}` }))}
            value={registered}
            onChange={(value) => {
              setRegistered(value);
              if (value) void chooseTarget('registered', value);
            }}
            allowDeselect={false}
            searchable
          />
        )}
        <Radio value="new" label="A new file" description="Leaves every existing database as it is." />
        {choice === 'new' && (
          <form
            onSubmit={(event) => {
              event.preventDefault();
              void chooseTarget('new', newPath.trim());
            }}
          >
            <Group ml={32} align="flex-start" wrap="nowrap">
              <TextInput
                flex={1}
                aria-label="New file"
                placeholder="/home/you/restored/zotero.sqlite"
                value={newPath}
                onChange={(event) => setNewPath(event.currentTarget.value)}
                onBlur={() => newPath.trim() !== targetPath && void chooseTarget('new', newPath.trim())}
                spellCheck={false}
                autoComplete="off"
              />
              {api.shell === 'electron' ? (
                <Button variant="default" leftSection={<IconFolderOpen size={16} />} onClick={() => void browse()}>
                  Choose…
                </Button>
              ) : (
                <Button type="submit" variant="default">
                  Use this path
                </Button>
              )}
            </Group>
          </form>
        )}
      </Stack>
    </Radio.Group>
  );
}

function TargetReport({ target, backupTables }: { target: RestoreTarget; backupTables: Array<{ name: string; rows: number | null }> }) {
  const now = useNow();
  if (target.problem) {
    return (
      <Alert color="red" icon={<IconAlertTriangle size={18} />} title="Cannot restore here" role="alert">
        <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
          {target.problem[0]!.toUpperCase() + target.problem.slice(1)}.
        </Text>
      </Alert>
    );
  }
  if (!target.exists) {
    return (
      <Alert color="blue" icon={<IconInfoCircle size={18} />} title="A new database file will be created" role="status">
        <Text size="sm" ff="monospace" style={{ overflowWrap: 'anywhere' }}>
          {target.path}
        </Text>
      </Alert>
    );
  }
  const modified = target.modifiedAt ? new Date(target.modifiedAt) : null;
  const rows = compareForDisplay(backupTables, target.comparison);
  return (
    <Alert color="orange" icon={<IconAlertTriangle size={18} />} title={`This replaces ${target.label}`} role="status">
      <Text size="sm" ff="monospace" mb={6} style={{ overflowWrap: 'anywhere' }}>
        {target.path}
      </Text>
      <Text size="sm">
        Now {target.sizeBytes === null ? 'of unknown size' : formatBytes(target.sizeBytes)}
        {modified && `, last changed ${formatRelativeTime(target.modifiedAt!, now)} (${modified.toLocaleString()})`}. Its current contents are replaced by the backup’s.
      </Text>
      {target.comparison && (
        <Text size="sm" mt={6}>
          {describeComparison(rows)}
        </Text>
      )}
    </Alert>
  );
}

function SafetyCopyChoice({ checked, label }: { checked: boolean; label: string }) {
  const [confirming, setConfirming] = useState(false);
  return (
    <>
      <Checkbox
        checked={checked}
        onChange={(event) => (event.currentTarget.checked ? setSafetyCopy(true) : setConfirming(true))}
        label="Take a safety copy of the current database first (recommended)"
        description="It is the database as it is now, hashed as it is written, listed in the history as “Before restore”; Undo restore checks it and brings it back."
      />
      <Modal opened={confirming} onClose={() => setConfirming(false)} title="Restore without a safety copy?" closeButtonProps={{ 'aria-label': 'Close without turning off the safety copy' }} centered>
        <Text size="sm" mb="lg">
          Without a safety copy, the current contents of {label} are gone once the restore finishes, and Pagevault cannot undo it.
        </Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={() => setConfirming(false)} data-autofocus>
            Keep the safety copy
          </Button>
          <Button
            color="red"
            onClick={() => {
              setSafetyCopy(false);
              setConfirming(false);
            }}
          >
            Turn it off
          </Button>
        </Group>
      </Modal>
    </>
  );
}
