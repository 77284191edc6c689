import { useState } from 'react';
import { Button, Paper, PasswordInput, SegmentedControl, Stack, Text, Textarea } from '@mantine/core';
import type { AgeKeyInput } from '../../../../app/api/index.ts';

/** Asks for the key of an encrypted (.age) backup: the age identity (recovery key) or the passphrase. */
export function BackupKeyForm({ onSubmit, wrongKey }: { onSubmit: (key: AgeKeyInput) => void; wrongKey: boolean }) {
  const [kind, setKind] = useState<'identity' | 'passphrase'>('identity');
  const [value, setValue] = useState('');
  const submit = () => {
    if (!value.trim()) return;
    onSubmit(kind === 'identity' ? { kind, identity: value } : { kind, passphrase: value });
  };
  return (
    <Paper withBorder radius="md" p="md" role="region" aria-label="Key for this encrypted backup">
      <form onSubmit={(event) => (event.preventDefault(), submit())}>
        <Stack gap="sm">
          <Text fw={600}>{wrongKey ? 'That key does not open this backup' : 'This backup is encrypted'}</Text>
          <Text size="sm">Give its recovery key (an age identity, AGE-SECRET-KEY-1…) or its passphrase. It is used for this restore only and not saved.</Text>
          <SegmentedControl
            aria-label="Kind of key"
            value={kind}
            onChange={(next) => (setKind(next as 'identity' | 'passphrase'), setValue(''))}
            data={[
              { value: 'identity', label: 'Recovery key' },
              { value: 'passphrase', label: 'Passphrase' },
            ]}
          />
          {kind === 'identity' ? (
            <Textarea label="Recovery key" placeholder="AGE-SECRET-KEY-1…" autosize minRows={2} value={value} onChange={(event) => setValue(event.currentTarget.value)} spellCheck={false} />
          ) : (
            <PasswordInput label="Passphrase" value={value} onChange={(event) => setValue(event.currentTarget.value)} />
          )}
          <Button type="submit" disabled={!value.trim()} w="fit-content">
            Open with this key
          </Button>
        </Stack>
      </form>
    </Paper>
  );
}
