import { Alert, Badge, Box, Button, Checkbox, CloseButton, Group, Loader, Paper, Stack, Table, Text, Title, Tooltip, VisuallyHidden } from '@mantine/core';
import { IconAlertTriangle, IconCheck, IconLock, IconPlus, IconRefresh } from '@tabler/icons-react';
import type { DiscoveredDatabase } from '../../../app/api/index.ts';
import { addSelected, closeDiscovery, keyAsked, scanForDatabases, toggleSelected, useDiscoveryStore } from '../store/discovery-store.ts';
import { DatabaseKeyFields } from './DatabaseKeyFields.tsx';
import { addSelectedLabel, groupByApp, isSelectable } from '../store/discovery-selectors.ts';
import { formatBytes, shortenMiddle } from '../format.ts';

/** "Find databases on this computer": the databases of known apps under the home folder, to add in one go. */
export function DiscoveryPanel() {
  const open = useDiscoveryStore((s) => s.open);
  const scanning = useDiscoveryStore((s) => s.scanning);
  const result = useDiscoveryStore((s) => s.result);
  const error = useDiscoveryStore((s) => s.error);
  const selected = useDiscoveryStore((s) => s.selected);
  const added = useDiscoveryStore((s) => s.added);
  const adding = useDiscoveryStore((s) => s.adding);
  const addFailures = useDiscoveryStore((s) => s.addFailures);
  const askKeyOf = useDiscoveryStore((s) => s.needKey[0]);
  if (!open) return null;
  const count = result ? result.databases.filter((d) => selected[d.path] && isSelectable(d, added)).length : 0;

  return (
    <Paper withBorder p="lg" radius="md" component="section" aria-labelledby="discovery-title">
      <Group justify="space-between" align="flex-start" wrap="nowrap" mb="md">
        <Box>
          <Title order={4} id="discovery-title">
            Find databases on this computer
          </Title>
          <Text size="sm" c="dimmed">
            The databases of Firefox, Thunderbird, Chromium, Chrome, Edge, Brave, Zotero, Anki, Calibre, Joplin, DBeaver, VS Code and Signal in your home folder. Pagevault only looks: it does not open them.
          </Text>
        </Box>
        <Group gap="xs" wrap="nowrap">
          <Button variant="default" size="xs" leftSection={<IconRefresh size={14} />} onClick={() => void scanForDatabases()} loading={scanning}>
            Scan again
          </Button>
          <CloseButton aria-label="Close Find databases" onClick={closeDiscovery} />
        </Group>
      </Group>
      {scanning && !result ? (
        <Group gap="sm" role="status" py="md">
          <Loader size="sm" />
          <Text size="sm">Looking in the folders where these apps keep their databases…</Text>
        </Group>
      ) : error ? (
        <Alert color="red" icon={<IconAlertTriangle size={18} />} title="Could not look for databases" role="alert">
          {error}
        </Alert>
      ) : result && result.databases.length === 0 ? (
        <Text size="sm" role="status">
          No databases of known apps were found under {result.home}.
        </Text>
      ) : result ? (
        <Stack gap="md">
          {!result.heldKnown && (
            <Text size="xs" c="dimmed">
              Whether an app has a file open right now is only known on Linux; here it is not shown.
            </Text>
          )}
          {groupByApp(result.databases).map((group) => (
            <Box key={group.app}>
              <Text fw={600} size="sm" mb={4}>
                {group.app}{' '}
                <Text span c="dimmed" size="xs">
                  {group.databases.length} file{group.databases.length === 1 ? '' : 's'}
                </Text>
              </Text>
              <Table.ScrollContainer minWidth={640} type="native">
                <Table layout="fixed" verticalSpacing={6} aria-label={`Databases of ${group.app}`}>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th w={44}>
                        <VisuallyHidden>Add</VisuallyHidden>
                      </Table.Th>
                      <Table.Th>Database</Table.Th>
                      <Table.Th w={96} ta="right">
                        Size
                      </Table.Th>
                      <Table.Th w={104}>Journal</Table.Th>
                      <Table.Th w={170}>Status</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {group.databases.map((d) => (
                      <FoundRow key={d.path} found={d} selectable={isSelectable(d, added)} wasAdded={d.registered || added.has(d.path)} checked={selected[d.path] === true} />
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            </Box>
          ))}
          {result.skipped.length > 0 && (
            <Text size="xs" c="dimmed" style={{ wordBreak: 'break-all' }}>
              Left out: {result.skipped.map((s) => `${s.path} (${s.reason})`).join('; ')}
            </Text>
          )}
          {addFailures.length > 0 && (
            <Alert color="red" icon={<IconAlertTriangle size={18} />} title="Not added" role="alert" style={{ whiteSpace: 'pre-line', wordBreak: 'break-word' }}>
              {addFailures.join('\n')}
            </Alert>
          )}
          {askKeyOf && <DatabaseKeyFields key={askKeyOf.path} path={askKeyOf.path} label={askKeyOf.label} onAdded={() => keyAsked(askKeyOf.path, true)} onCancel={() => keyAsked(askKeyOf.path, false)} />}
          <Group justify="flex-end">
            <Button leftSection={<IconPlus size={16} />} disabled={count === 0} loading={adding} onClick={() => void addSelected()}>
              {addSelectedLabel(count)}
            </Button>
          </Group>
        </Stack>
      ) : null}
    </Paper>
  );
}

function FoundRow({ found, selectable, wasAdded, checked }: { found: DiscoveredDatabase; selectable: boolean; wasAdded: boolean; checked: boolean }) {
  return (
    <Table.Tr>
      <Table.Td>
        <Checkbox
          aria-label={`Add ${found.suggestedLabel}`}
          checked={wasAdded || (selectable && checked)}
          disabled={!selectable}
          onChange={(event) => toggleSelected(found.path, event.currentTarget.checked)}
        />
      </Table.Td>
      <Table.Td>
        <Text size="sm" fw={500} truncate="end">
          {found.suggestedLabel}
        </Text>
        <Tooltip label={found.path} openDelay={300} multiline maw={520} style={{ wordBreak: 'break-all' }}>
          <Text size="xs" c="dimmed" ff="monospace" truncate="end" tabIndex={0} aria-label={found.path}>
            {shortenMiddle(found.path, 52)}
          </Text>
        </Tooltip>
        {found.note && (
          <Text size="xs" c="dimmed" mt={2}>
            {found.note}
          </Text>
        )}
      </Table.Td>
      <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
        <Text size="sm">{formatBytes(found.sizeBytes)}</Text>
      </Table.Td>
      <Table.Td>
        {found.journal && (
          <Badge variant="light" color={found.journal === 'wal' ? 'blue' : 'gray'} style={{ minWidth: 'max-content' }}>
            {found.journal === 'wal' ? 'WAL' : 'Rollback'}
          </Badge>
        )}
      </Table.Td>
      <Table.Td>
        <Group gap={4}>
          {wasAdded && (
            <Badge variant="light" color="teal" leftSection={<IconCheck size={12} />}>
              Added
            </Badge>
          )}
          {found.format === 'encrypted' && (
            <Badge variant="light" color="red" leftSection={<IconLock size={12} />}>
              Encrypted
            </Badge>
          )}
          {found.held && (
            <Tooltip label="The app has this file open and locked right now" multiline maw={280}>
              <Badge variant="light" color="orange" tabIndex={0}>
                In use by the app
              </Badge>
            </Tooltip>
          )}
        </Group>
      </Table.Td>
    </Table.Tr>
  );
}
