import { useState, type FormEvent } from 'react';
import { Alert, Button, Group, PasswordInput, Select, Stack, Text } from '@mantine/core';
import { IconAlertTriangle, IconKey, IconLockOpenOff } from '@tabler/icons-react';
import type { CipherName } from '../../../app/api/index.ts';
import { addEncryptedDatabase, addEncryptedDatabaseWithoutKey } from '../store/database-actions.ts';

/** Every cipher the core offers, by the name the user knows; a missing one is a compile error. */
const cipherLabels: Record<CipherName, string> = {
  'sqlcipher-4': 'SQLCipher 4',
  'sqlcipher-3': 'SQLCipher 3',
  'sqlcipher-2': 'SQLCipher 2',
  'sqlcipher-1': 'SQLCipher 1',
  aes256cbc: 'wxSQLite3 AES-256',
  aes128cbc: 'wxSQLite3 AES-128',
  sqleet: 'sqleet (ChaCha20)',
  chacha20: 'SQLite3MultipleCiphers ChaCha20',
  rc4: 'System.Data.SQLite RC4',
  ascon128: 'Ascon-128',
};
const cipherOptions = [
  ...Object.entries(cipherLabels).map(([value, label]) => ({ value, label })),
  { value: 'detect', label: 'Detect (try the common ciphers)' },
];

/**
 * Asks for the key of the encrypted database `path` (added as `label` when given); the core
 * checks it before it keeps it. Or adds it without the key, for raw copies.
 */
export function DatabaseKeyFields({ path, label, onAdded, onCancel }: { path: string; label?: string; onAdded: () => void; onCancel: () => void }) {
  const added = (refused: string | undefined) => {
    if (!refused) onAdded();
    return refused;
  };
  return (
    <KeyAndCipherFields
      label="Key of the encrypted database"
      intro={`${path} is encrypted. Enter its key to add it: Pagevault keeps it in the system keychain (or a key file only you can read), never in its catalog.`}
      submitLabel="Add with key"
      refusedTitle="Not added"
      onSubmit={async (key, cipher) => added(await addEncryptedDatabase(path, key, cipher, label))}
      onCancel={onCancel}
      withoutKey={{
        label: 'Add without key',
        note: 'Backups will be raw copies of its encrypted pages, taken consistently while its app writes, that Pagevault cannot check inside: only their SHA-256.',
        run: async () => added(await addEncryptedDatabaseWithoutKey(path, label)),
      }}
    />
  );
}

/**
 * The key and cipher of an encrypted database, for whatever needs them (adding one,
 * opening a backup of one); `onSubmit` checks them and resolves with why they were refused.
 */
export function KeyAndCipherFields({
  label,
  intro,
  submitLabel,
  refusedTitle,
  onSubmit,
  onCancel,
  withoutKey,
}: {
  label: string;
  intro: string;
  submitLabel: string;
  refusedTitle: string;
  onSubmit: (key: string, cipher: CipherName | 'detect') => Promise<string | undefined>;
  onCancel?: () => void;
  /** A way on without the key, with what it means; resolves with why it was refused. */
  withoutKey?: { label: string; note: string; run: () => Promise<string | undefined> };
}) {
  const [key, setKey] = useState('');
  const [cipher, setCipher] = useState<CipherName | 'detect'>('sqlcipher-4');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!key) {
      setError('Enter the passphrase, or the raw key as x\'…\'');
      return;
    }
    setBusy(true);
    const refused = await onSubmit(key, cipher);
    setBusy(false);
    setError(refused);
  };

  const goOnWithoutKey = async (run: () => Promise<string | undefined>) => {
    setBusy(true);
    setError(undefined);
    const refused = await run();
    setBusy(false);
    setError(refused);
  };

  return (
    <form onSubmit={(event) => void submit(event)} aria-label={label}>
      <Stack gap="xs" mt="sm">
        <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
          {intro}
        </Text>
        <Group align="flex-end" wrap="nowrap" gap="sm">
          <PasswordInput flex={1} label="Key" description="The passphrase, or a raw key written x'…'" value={key} onChange={(event) => setKey(event.currentTarget.value)} autoComplete="off" />
          <Select label="Cipher" data={cipherOptions} value={cipher} onChange={(value) => value && setCipher(value as CipherName | 'detect')} allowDeselect={false} w={260} />
          <Button type="submit" loading={busy} leftSection={<IconKey size={16} />}>
            {submitLabel}
          </Button>
          {onCancel && (
            <Button variant="default" onClick={onCancel}>
              Cancel
            </Button>
          )}
        </Group>
        {withoutKey && (
          <Group gap="sm" wrap="nowrap">
            <Button variant="light" color="gray" leftSection={<IconLockOpenOff size={16} />} onClick={() => void goOnWithoutKey(withoutKey.run)} disabled={busy} style={{ flexShrink: 0 }}>
              {withoutKey.label}
            </Button>
            <Text size="xs" c="dimmed">
              {withoutKey.note}
            </Text>
          </Group>
        )}
        {error && (
          <Alert color="red" icon={<IconAlertTriangle size={18} />} title={refusedTitle} role="alert" style={{ whiteSpace: 'pre-line', wordBreak: 'break-word' }}>
            {error}
          </Alert>
        )}
      </Stack>
    </form>
  );
}
