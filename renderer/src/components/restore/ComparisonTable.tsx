import { Badge, Table, Text, VisuallyHidden } from '@mantine/core';
import type { ComparedTable } from '../../format.ts';

const rowsText = (rows: number | null | undefined) => (rows === undefined ? '—' : rows === null ? 'not counted' : rows.toLocaleString());

const changeBadge: Record<ComparedTable['change'], { label: string; color: string } | null> = {
  same: null,
  unknown: null,
  differs: { label: 'Differs', color: 'orange' },
  added: { label: 'Comes back', color: 'teal' },
  removed: { label: 'Removed by restore', color: 'red' },
};

/** The backup's tables next to the target's, with what restoring changes. */
export function ComparisonTable({ rows, targetLabel }: { rows: ComparedTable[]; targetLabel: string | null }) {
  return (
    <Table striped verticalSpacing={6} aria-label="Tables in the backup">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Table</Table.Th>
          <Table.Th ta="right">Rows in the backup</Table.Th>
          {targetLabel && <Table.Th ta="right">Rows in {targetLabel} now</Table.Th>}
          {targetLabel && (
            <Table.Th w={150}>
              <VisuallyHidden>Change</VisuallyHidden>
            </Table.Th>
          )}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows.map((row) => {
          const badge = changeBadge[row.change];
          return (
            <Table.Tr key={row.name}>
              <Table.Td>
                <Text size="sm" ff="monospace">
                  {row.name}
                </Text>
              </Table.Td>
              <Table.Td ta="right">{rowsText(row.backupRows)}</Table.Td>
              {targetLabel && <Table.Td ta="right">{rowsText(row.targetRows)}</Table.Td>}
              {targetLabel && (
                <Table.Td ta="right">
                  {badge && (
                    <Badge size="sm" variant="light" color={badge.color}>
                      {badge.label}
                    </Badge>
                  )}
                </Table.Td>
              )}
            </Table.Tr>
          );
        })}
        {rows.length === 0 && (
          <Table.Tr>
            <Table.Td colSpan={4}>
              <Text size="sm" c="dimmed">
                The backup has no tables.
              </Text>
            </Table.Td>
          </Table.Tr>
        )}
      </Table.Tbody>
    </Table>
  );
}
