import { useState } from 'react';
import { Alert, Button, Checkbox, Group, List, Stack, Text, TextInput } from '@mantine/core';
import { IconAlertTriangle, IconCircleCheck, IconShieldCheck } from '@tabler/icons-react';
import { api } from '../api/client.ts';
import { useFileAction } from './use-file-action.ts';

/** Checks a backup file: SQLite's own check, its SHA-256 and its manifest. */
export function VerifyPanel() {
  const [full, setFull] = useState(false);
  const { path, setPath, busy, result, error, submit } = useFileAction((path) => api.call('files.verify', { path, full }), 'Type the path of a backup file');

  return (
    <Stack gap="md">
      <form onSubmit={submit}>
        <Stack gap="xs">
          <Group align="flex-end" wrap="nowrap">
            <TextInput
              flex={1}
              label="Backup file"
              placeholder="/home/you/Backups/zotero-20261120-183000.db"
              value={path}
              onChange={(event) => setPath(event.currentTarget.value)}
              spellCheck={false}
              autoComplete="off"
            />
            <Button type="submit" loading={busy} leftSection={<IconShieldCheck size={16} />}>
              Verify
            </Button>
          </Group>
          <Checkbox label="Full integrity check (slower, checks every index)" checked={full} onChange={(event) => setFull(event.currentTarget.checked)} />
        </Stack>
      </form>
      {error && (
        <Alert color="red" icon={<IconAlertTriangle size={18} />} title="Cannot verify this file" role="alert">
          {error}
        </Alert>
      )}
      {result?.ok && (
        <Alert color="green" icon={<IconCircleCheck size={18} />} title="The backup is sound" role="status">
          <Text size="sm">
            {result.check} passed on {result.pageCount.toLocaleString()} pages
            {result.manifestChecked ? '; size, page count and SHA-256 match its manifest' : '; no manifest was found beside it'}.
          </Text>
          <Text size="xs" c="dimmed" mt={4} style={{ wordBreak: 'break-all' }}>
            SHA-256 {result.sha256}
          </Text>
        </Alert>
      )}
      {result && !result.ok && (
        <Alert color="red" icon={<IconAlertTriangle size={18} />} title="The backup failed verification" role="alert">
          <List size="sm">
            {result.problems.map((problem) => (
              <List.Item key={problem}>{problem}</List.Item>
            ))}
          </List>
        </Alert>
      )}
    </Stack>
  );
}
