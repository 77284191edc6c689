import { useState, type FormEvent } from 'react';
import { Alert, Button, Group, TextInput } from '@mantine/core';
import { IconAlertTriangle, IconFolderOpen, IconPlus } from '@tabler/icons-react';
import { api } from '../api/client.ts';
import { addDatabases } from '../store/database-actions.ts';
import { DatabaseKeyFields } from './DatabaseKeyFields.tsx';

/** Add a database by typing or pasting its path, or (desktop app) with the file dialog. */
export function AddDatabaseForm() {
  const [path, setPath] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  /** The encrypted database whose key is asked for. */
  const [keyFor, setKeyFor] = useState<string>();

  const add = async (paths: string[]) => {
    setBusy(true);
    setError(undefined);
    const { failures, needKey } = await addDatabases(paths);
    setBusy(false);
    // One encrypted file: ask for its key instead of only refusing it.
    if (paths.length === 1 && needKey.length === 1) {
      setKeyFor(needKey[0]);
      return;
    }
    if (failures.length > 0) setError(failures.join('\n'));
    else setPath('');
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!path.trim()) {
      setError('Type or paste the path of a SQLite database file');
      return;
    }
    void add([path.trim()]);
  };

  const choose = async () => {
    try {
      const { paths } = await api.call('files.pick', { purpose: 'databases' });
      if (paths.length > 0) await add(paths);
    } catch (caught) {
      setError((caught as Error).message);
    }
  };

  return (
    <>
      <form onSubmit={submit} aria-label="Add a database">
        <Group align="flex-end" wrap="nowrap" gap="sm">
          <TextInput
            flex={1}
            label="Add a database"
            placeholder="/home/you/Zotero/zotero.sqlite"
            description="Type or paste the path of a SQLite database file, or drop files onto the list."
            value={path}
            onChange={(event) => setPath(event.currentTarget.value)}
            error={error ? true : undefined}
            spellCheck={false}
            autoComplete="off"
          />
          <Button type="submit" loading={busy} leftSection={<IconPlus size={16} />}>
            Add
          </Button>
          {api.shell === 'electron' && (
            <Button variant="default" leftSection={<IconFolderOpen size={16} />} onClick={() => void choose()}>
              Choose files…
            </Button>
          )}
        </Group>
        {error && (
          <Alert mt="sm" color="red" icon={<IconAlertTriangle size={18} />} title="Not added" role="alert" style={{ whiteSpace: 'pre-line', wordBreak: 'break-word' }}>
            {error}
          </Alert>
        )}
      </form>
      {keyFor && (
        <DatabaseKeyFields
          path={keyFor}
          onAdded={() => {
            setKeyFor(undefined);
            setPath('');
          }}
          onCancel={() => setKeyFor(undefined)}
        />
      )}
    </>
  );
}
