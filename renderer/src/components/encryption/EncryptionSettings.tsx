import { useEffect, useState } from 'react';
import { Alert, Button, Code, CopyButton, Group, Modal, PasswordInput, SegmentedControl, Stack, Text } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import type { BackupEncryptionInfo, BackupEncryptionMode } from '../../../../app/api/index.ts';
import { api } from '../../api/client.ts';

type Choice = BackupEncryptionMode | 'inherit';

/**
 * Encryption at rest of a database's backups (or, with `databaseId` null, the default):
 * none, an age key Pagevault generates and keeps, or a passphrase. A generated key is
 * shown once, to be saved as the recovery key: without it, no one can open the backups
 * once this computer's key store is gone.
 */
export function EncryptionSettings({ databaseId }: { databaseId: number | null }) {
  const [info, setInfo] = useState<BackupEncryptionInfo | null>(null);
  const [passphrase, setPassphrase] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [recoveryKey, setRecoveryKey] = useState<string | null>(null);
  const [askPassphrase, setAskPassphrase] = useState(false);

  useEffect(() => {
    let live = true;
    api.call('encryption.get', { databaseId }).then(
      (value) => live && setInfo(value),
      (caught: Error) => live && setError(caught.message),
    );
    return () => {
      live = false;
    };
  }, [databaseId]);

  const save = async (mode: Choice, extra: { passphrase?: string; newIdentity?: boolean } = {}) => {
    setError(null);
    try {
      const saved = await api.call('encryption.set', { databaseId, mode, ...extra });
      setInfo(saved);
      if (saved.recoveryKey) setRecoveryKey(saved.recoveryKey);
      setAskPassphrase(false);
      setPassphrase('');
    } catch (caught) {
      setError((caught as Error).message.replace(/^Invalid request to encryption\.set: \w+: /, ''));
    }
  };

  const current: Choice = info ? (info.inherited ? 'inherit' : info.mode) : 'none';
  const data = [
    ...(databaseId !== null ? [{ value: 'inherit', label: 'As the default' }] : []),
    { value: 'none', label: 'Not encrypted' },
    { value: 'x25519', label: 'age key' },
    { value: 'passphrase', label: 'Passphrase' },
  ];
  return (
    <Stack gap="sm">
      <SegmentedControl
        aria-label="Encrypt backups"
        // Until the setting is known, nothing is shown chosen and nothing can be: read-only,
        // not disabled, so its labels keep their contrast while they load.
        value={info ? (askPassphrase ? 'passphrase' : current) : ''}
        readOnly={!info}
        aria-busy={!info}
        data={data}
        onChange={(next) => {
          if (next === 'passphrase') setAskPassphrase(true);
          else void save(next as Choice);
        }}
      />
      <Text size="sm" c="dimmed">
        {info?.mode === 'x25519' && info.recipient
          ? `Backups are ${'<name>'}.db.age, encrypted to ${info.recipient}${info.inherited ? ' (the default key)' : ''}; age -d -i recovery-key.txt opens them.`
          : info?.mode === 'passphrase'
            ? `Backups are .db.age files encrypted with a passphrase${info.inherited ? ' (the default one)' : ''}; age -d asks for it.`
            : 'Backups are plain SQLite files, as readable as the database.'}
        {info?.mode !== 'none' && info?.mode !== undefined && ' Versions go into an encrypted vault with the same key (pagevault vault restore --identity or --passphrase-file opens it).'}
      </Text>
      {info && !info.keyStored && (
        <Alert color="red" icon={<IconAlertTriangle size={18} />} title="The key is gone" role="alert">
          The key for these backups is no longer in {info.store === 'keychain' ? 'the keychain-sealed key store' : 'the key file'}; backups fail until you choose the encryption again.
        </Alert>
      )}
      {askPassphrase && (
        <form onSubmit={(event) => (event.preventDefault(), void save('passphrase', { passphrase }))}>
          <Group align="flex-end">
            <PasswordInput label="Backup passphrase" description="At least 8 characters; kept in the key store. Without it no backup opens." value={passphrase} onChange={(event) => setPassphrase(event.currentTarget.value)} w={320} />
            <Button type="submit" disabled={passphrase.length < 8}>
              Use this passphrase
            </Button>
            <Button variant="default" onClick={() => (setAskPassphrase(false), setPassphrase(''))}>
              Cancel
            </Button>
          </Group>
        </form>
      )}
      {info?.mode === 'x25519' && !info.inherited && (
        <Button variant="default" w="fit-content" onClick={() => void save('x25519', { newIdentity: true })}>
          New key
        </Button>
      )}
      {error && (
        <Text size="sm" c="red" role="alert">
          {error}
        </Text>
      )}
      <Modal opened={recoveryKey !== null} onClose={() => setRecoveryKey(null)} title="Save this recovery key now" closeButtonProps={{ 'aria-label': 'Close' }} size="lg">
        <Stack gap="sm">
          <Text size="sm">
            It is shown only this once. Keep it somewhere safe and apart from this computer (a password manager, or printed). With it, <Code>age -d -i recovery-key.txt backup.db.age</Code> opens the backups without Pagevault; without it, they cannot be opened once this computer&apos;s key store is lost.
          </Text>
          <Code block style={{ overflowWrap: 'anywhere', whiteSpace: 'pre-wrap' }} aria-label="Recovery key">
            {recoveryKey}
          </Code>
          <Group>
            <CopyButton value={recoveryKey ?? ''}>{({ copied, copy }) => <Button onClick={copy}>{copied ? 'Copied' : 'Copy recovery key'}</Button>}</CopyButton>
            <Button variant="default" onClick={() => setRecoveryKey(null)}>
              I have saved it
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
