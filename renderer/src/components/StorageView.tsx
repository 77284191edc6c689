import { useEffect, useState } from 'react';
import { Alert, Badge, Group, Paper, Skeleton, Stack, Table, Text, Title, Tooltip } from '@mantine/core';
import { BarChart } from '@mantine/charts';
import { IconAlertTriangle } from '@tabler/icons-react';
import type { StorageItem, StorageReport } from '../../../app/api/index.ts';
import { api } from '../api/client.ts';
import { useCatalogStore } from '../store/catalog-store.ts';
import { describeClone, describeStorage, formatBytes, shortenMiddle } from '../format.ts';

/** The file name of a copy, or "version N" of the vault, for a row and a bar. */
function itemName(item: StorageItem): string {
  if (item.kind === 'version') return `Version ${item.id}`;
  const cut = Math.max(item.path.lastIndexOf('/'), item.path.lastIndexOf('\\'));
  return item.path.slice(cut + 1);
}

/**
 * What a database's copies and versions cost on disk, as a bar per copy or version over
 * time (marked where retention would delete it), the totals in words, and a table that
 * says the same for a screen reader and a keyboard.
 */
export function StorageView({ databaseId, label }: { databaseId: number; label: string }) {
  const [report, setReport] = useState<StorageReport>();
  const [error, setError] = useState<string>();
  const historyVersion = useCatalogStore((s) => s.historyVersion);
  const [retentionVersion, setRetentionVersion] = useState(0);
  // A changed policy changes the marks: asked again then, as after every backup or deletion.
  useEffect(() => api.on('catalog.changed', ({ topic }) => topic === 'retention' && setRetentionVersion((n) => n + 1)), []);
  useEffect(() => {
    let live = true;
    api.call('storage.get', { databaseId }).then(
      (value) => {
        if (!live) return;
        setReport(value);
        setError(undefined);
      },
      (caught: Error) => live && setError(caught.message),
    );
    return () => {
      live = false;
    };
  }, [databaseId, historyVersion, retentionVersion]);

  return (
    <Stack gap="xs" role="region" aria-label={`Storage of ${label}`}>
      <Title order={4}>Storage</Title>
      {error ? (
        <Alert color="red" icon={<IconAlertTriangle size={18} />} title="Cannot tell what the backups take">
          {error}
        </Alert>
      ) : !report ? (
        <Skeleton height={200} />
      ) : (
        <StorageBody report={report} label={label} />
      )}
    </Stack>
  );
}

function StorageBody({ report, label }: { report: StorageReport; label: string }) {
  const words = describeStorage(report);
  if (report.items.length === 0) {
    return (
      <Stack gap={4}>
        <Text size="sm" c="dimmed">
          No backups of {label} on disk yet, so they take no space. Press Backup now to take the first one.
        </Text>
        {report.vaultProblem && <VaultProblem problem={report.vaultProblem} />}
      </Stack>
    );
  }
  const spanMs = Date.parse(report.items.at(-1)!.createdAt) - Date.parse(report.items[0]!.createdAt);
  const whenFormat: Intl.DateTimeFormatOptions = spanMs < 86_400_000 ? { hour: '2-digit', minute: '2-digit', second: '2-digit' } : { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' };
  // One series per look: a bar is a kept copy, a kept version, or one retention would delete.
  const data = report.items.map((item) => ({
    when: `${new Date(item.createdAt).toLocaleString(undefined, whenFormat)} · ${item.kind === 'version' ? `v${item.id}` : `#${item.id}`}`,
    item,
    copy: item.kind === 'copy' && !item.retentionWouldDelete ? (item.bytes ?? 0) : 0,
    version: item.kind === 'version' && !item.retentionWouldDelete ? item.bytes! : 0,
    deleted: item.retentionWouldDelete ? (item.bytes ?? 0) : 0,
  }));
  const series = [
    { name: 'copy', label: 'Copy', color: 'blue.6' },
    { name: 'version', label: 'Version (its new data)', color: 'teal.6' },
    { name: 'deleted', label: 'Retention would delete', color: 'red.6' },
  ].filter((one) => data.some((row) => row[one.name as 'copy' | 'version' | 'deleted'] > 0));

  return (
    <Stack gap="sm">
      <div>
        <Text size="sm" fw={600} data-testid="storage-total">
          {words.total}
        </Text>
        <Text size="sm" data-testid="storage-retention">
          {words.retention}
        </Text>
        {words.notes.map((note) => (
          <Text key={note} size="xs" c="dimmed">
            {note}
          </Text>
        ))}
      </div>
      {report.vaultProblem && <VaultProblem problem={report.vaultProblem} />}
      {report.vault && (
        <Text size="xs" c="dimmed">
          Vault: <span style={{ fontFamily: 'monospace', overflowWrap: 'anywhere' }}>{report.vault.path}</span> ({formatBytes(report.vault.bytes)}, {report.vault.versions.toLocaleString()} {report.vault.versions === 1 ? 'version' : 'versions'})
        </Text>
      )}
      <Paper withBorder p="sm" radius="md" role="figure" aria-label={`Bytes on disk of each backup of ${label}, over time`}>
        <BarChart
          h={200}
          data={data}
          dataKey="when"
          type="stacked"
          withLegend
          series={series}
          withXAxis={false}
          valueFormatter={formatBytes}
          // A version that added a few pages is a sliver, not nothing; an empty series stays empty.
          barProps={(one) => ({ minPointSize: (_value, index) => (data[index]![one.name as 'copy' | 'version' | 'deleted'] > 0 ? 3 : 0) })}
          yAxisProps={{ width: 70 }}
          tooltipAnimationDuration={0}
          tooltipProps={{ content: ({ payload }) => <BarTooltip item={(payload?.[0]?.payload as { item?: StorageItem } | undefined)?.item} /> }}
        />
      </Paper>
      {/* A region that scrolls is focusable, so a keyboard can scroll it too. */}
      <div role="region" tabIndex={0} aria-label={`Backups of ${label} and their bytes on disk`} style={{ maxHeight: 340, overflowY: 'auto' }}>
        <Table verticalSpacing={4} aria-label="Bytes on disk per backup" style={{ tableLayout: 'fixed' }}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Backup</Table.Th>
              <Table.Th w={100} ta="right">
                On disk
              </Table.Th>
              <Table.Th w={150}>Retention</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {[...report.items].reverse().map((item) => (
              <Table.Tr key={`${item.kind}-${item.id}`}>
                <Table.Td>
                  <Text size="sm" title={item.path} style={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>
                    {shortenMiddle(itemName(item), 40)}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {new Date(item.createdAt).toLocaleString()}
                  </Text>
                </Table.Td>
                <Table.Td ta="right">{item.missing ? 'missing' : formatBytes(item.bytes ?? 0)}</Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    {item.retentionWouldDelete ? (
                      <Badge color="red" variant="light" size="sm">
                        Would delete
                      </Badge>
                    ) : (
                      <Badge color="gray" variant="light" size="sm">
                        {item.pinned ? 'Pinned' : 'Kept'}
                      </Badge>
                    )}
                    {item.cloned && (
                      <Tooltip label={describeClone(item.bytes)} multiline w={300} events={{ hover: true, focus: true, touch: true }}>
                        <Badge color="indigo" variant="light" size="sm" tabIndex={0}>
                          Cloned
                        </Badge>
                      </Tooltip>
                    )}
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </div>
    </Stack>
  );
}

/** A bar's copy or version in words: name, when, size and what retention does to it. */
function BarTooltip({ item }: { item: StorageItem | undefined }) {
  if (!item) return null;
  return (
    <Paper withBorder shadow="md" p="xs" radius="md" maw={320}>
      <Text size="sm" fw={600} style={{ overflowWrap: 'anywhere' }}>
        {itemName(item)}
      </Text>
      <Text size="xs" c="dimmed">
        {new Date(item.createdAt).toLocaleString()}
      </Text>
      <Text size="sm">
        {item.missing ? 'Missing from disk' : `${formatBytes(item.bytes ?? 0)} on disk${item.kind === 'version' ? ' (its new data)' : item.cloned ? ' at most (cloned)' : ''}`}
      </Text>
      <Text size="sm" c={item.retentionWouldDelete ? 'red' : undefined}>
        {item.retentionWouldDelete ? 'Retention would delete it' : item.pinned ? 'Pinned: retention keeps it' : 'Retention keeps it'}
      </Text>
    </Paper>
  );
}

function VaultProblem({ problem }: { problem: string }) {
  return (
    <Alert color="yellow" icon={<IconAlertTriangle size={18} />} title="The vault cannot be read" style={{ wordBreak: 'break-word' }}>
      {problem}
    </Alert>
  );
}
