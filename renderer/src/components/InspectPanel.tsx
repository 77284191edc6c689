import type { ReactNode } from 'react';
import { Alert, Badge, Box, Button, Group, Paper, Stack, Table, Text, TextInput, Title, Tooltip } from '@mantine/core';
import { IconAlertTriangle, IconSearch } from '@tabler/icons-react';
import type { InspectResult } from '../../../app/api/index.ts';
import { api } from '../api/client.ts';
import { Facts } from './Facts.tsx';
import { useFileAction } from './use-file-action.ts';
import { formatBytes, shortenMiddle } from '../format.ts';

/** Type or paste a path; see what Pagevault reads from the file, or why it cannot. */
export function InspectPanel() {
  const { path, setPath, busy, result, error, submit } = useFileAction((path) => api.call('files.inspect', { path }), 'Type the path of a SQLite database file');

  return (
    <Stack gap="md">
      <form onSubmit={submit}>
        <Group align="flex-end" wrap="nowrap">
          <TextInput
            flex={1}
            label="Database file"
            placeholder="/home/you/Zotero/zotero.sqlite"
            value={path}
            onChange={(event) => setPath(event.currentTarget.value)}
            spellCheck={false}
            autoComplete="off"
          />
          <Button type="submit" loading={busy} leftSection={<IconSearch size={16} />}>
            Inspect
          </Button>
        </Group>
      </form>
      {error && (
        <Alert color="red" icon={<IconAlertTriangle size={18} />} title="Cannot read this file" role="alert">
          {error}
        </Alert>
      )}
      {result && <InspectDetails result={result} />}
    </Stack>
  );
}

/** What inspect found: facts, journal mode, tables with row counts. */
export function InspectDetails({ result }: { result: InspectResult }) {
  const facts: Array<[string, ReactNode]> = [
    ['Size', formatBytes(result.sizeBytes)],
    ['Pages', `${result.pageCount.toLocaleString()} × ${result.pageSize.toLocaleString()} bytes`],
    ['Free pages', result.freePages.toLocaleString()],
    ['Encoding', result.encoding],
    ['User version', String(result.userVersion)],
    ['Modified', new Date(result.modifiedAt).toLocaleString()],
  ];
  return (
    <Paper withBorder p="md" radius="md" role="region" aria-label="Inspection result">
      <Group justify="space-between" mb="sm" wrap="nowrap">
        <Tooltip label={result.path} openDelay={300}>
          <Title order={4} style={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap', minWidth: 0 }}>
            {shortenMiddle(result.path, 70)}
          </Title>
        </Tooltip>
        <Group gap="xs" wrap="nowrap" style={{ flexShrink: 0 }}>
          <Badge variant="light">{result.journalMode.toUpperCase()}</Badge>
          {result.hasWal && <Badge variant="light" color="yellow">-wal {formatBytes(result.walBytes)}</Badge>}
          {result.heldByAnotherProgram && <Badge variant="light" color="grape">Held by another program</Badge>}
        </Group>
      </Group>
      <Box mb="md">
        <Facts facts={facts} />
      </Box>
      <Table striped highlightOnHover aria-label="Tables">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Table</Table.Th>
            <Table.Th ta="right">Rows</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {result.tables.map((table) => (
            <Table.Tr key={table.name}>
              <Table.Td>{table.name}</Table.Td>
              <Table.Td ta="right">{table.rows === null ? 'not counted' : table.rows.toLocaleString()}</Table.Td>
            </Table.Tr>
          ))}
          {result.tables.length === 0 && (
            <Table.Tr>
              <Table.Td colSpan={2}>
                <Text c="dimmed" size="sm">
                  {result.heldByAnotherProgram
                    ? 'Another program holds this database open exclusively, so its tables cannot be listed while it runs. The facts above are from its header. Backups copy it without a lock and check the copy.'
                    : 'This database has no tables yet.'}
                </Text>
              </Table.Td>
            </Table.Tr>
          )}
        </Table.Tbody>
      </Table>
      {result.rowCountsIncomplete && (
        <Text size="xs" c="dimmed" mt="xs">
          Some tables were not counted to keep this quick.
        </Text>
      )}
    </Paper>
  );
}
