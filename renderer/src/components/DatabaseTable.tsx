import { memo } from 'react';
import { ActionIcon, Badge, Box, Button, Group, Paper, Table, Text, Tooltip, VisuallyHidden } from '@mantine/core';
import { IconAlertTriangle, IconCircleCheck, IconCircleMinus, IconCircleX, IconClockPause, IconDatabase, IconDotsVertical, IconPlayerPlay } from '@tabler/icons-react';
import type { BackupRecord, DatabaseSummary } from '../../../app/api/index.ts';
import { backupNow } from '../store/database-actions.ts';
import { selectBackupBusy, selectJobOfDatabase, useJobsStore } from '../store/jobs-store.ts';
import { backupOutcome, describeHeldCopy, formatBytes, formatRelativeTime, shortenMiddle, toneColor, type OutcomeTone } from '../format.ts';
import { JobProgressBar } from './JobProgressBar.tsx';
import { useNow } from './use-now.ts';


/** The registered databases, one row each, with Backup now and live progress. */
export function DatabaseTable({ databases, onDetails }: { databases: DatabaseSummary[]; onDetails: (id: number) => void }) {
  return (
    <Paper withBorder radius="md" style={{ overflow: 'hidden' }}>
      <Table.ScrollContainer minWidth={760} type="native">
      <Table verticalSpacing="sm" horizontalSpacing="md" aria-label="Databases" layout="fixed">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Database</Table.Th>
            <Table.Th ta="right" w={96}>
              Size
            </Table.Th>
            <Table.Th w={104}>Journal</Table.Th>
            <Table.Th w={200}>Last backup</Table.Th>
            <Table.Th w={204}>
              <VisuallyHidden>Actions</VisuallyHidden>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {databases.map((database) => (
            <DatabaseRow key={database.id} database={database} onDetails={onDetails} />
          ))}
        </Table.Tbody>
      </Table>
      </Table.ScrollContainer>
    </Paper>
  );
}

const DatabaseRow = memo(function DatabaseRow({ database, onDetails }: { database: DatabaseSummary; onDetails: (id: number) => void }) {
  const job = useJobsStore((state) => selectJobOfDatabase(state, database.id));
  const busy = useJobsStore((state) => selectBackupBusy(state, database.id));
  return (
    <>
      <Table.Tr style={job ? { borderBottom: 'none' } : undefined}>
        <Table.Td>
          <Group gap="sm" wrap="nowrap">
            <IconDatabase size={20} stroke={1.5} color="var(--mantine-color-dimmed)" style={{ flexShrink: 0 }} />
            <Box miw={0}>
              <Text fw={600} size="sm" truncate="end">
                {database.label}
              </Text>
              <Tooltip label={database.path} openDelay={300} multiline maw={520} style={{ wordBreak: 'break-all' }}>
                <Text size="xs" c="dimmed" ff="monospace" truncate="end">
                  {shortenMiddle(database.path, 40)}
                </Text>
              </Tooltip>
            </Box>
          </Group>
        </Table.Td>
        <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
          {database.sizeBytes === null ? (
            <Badge color="red" variant="light" leftSection={<IconAlertTriangle size={12} />}>
              Missing
            </Badge>
          ) : (
            <Text size="sm">{formatBytes(database.sizeBytes)}</Text>
          )}
        </Table.Td>
        <Table.Td>
          <Badge variant="light" color={database.journalMode === 'wal' ? 'blue' : 'gray'} style={{ minWidth: 'max-content' }}>
            {database.journalMode.toUpperCase()}
          </Badge>
        </Table.Td>
        <Table.Td>
          <LastBackup backup={database.lastBackup} />
        </Table.Td>
        <Table.Td>
          <Group gap="xs" justify="flex-end" wrap="nowrap">
            <Button
              size="xs"
              leftSection={<IconPlayerPlay size={14} />}
              onClick={() => void backupNow(database.id)}
              disabled={busy}
              aria-label={`Backup now: ${database.label}`}
            >
              Backup now
            </Button>
            <Tooltip label="Details and settings">
              <ActionIcon variant="subtle" color="gray" onClick={() => onDetails(database.id)} aria-label={`Details of ${database.label}`}>
                <IconDotsVertical size={18} />
              </ActionIcon>
            </Tooltip>
          </Group>
        </Table.Td>
      </Table.Tr>
      {job && (
        <Table.Tr>
          <Table.Td colSpan={5} pt={0}>
            <JobProgressBar view={job} />
          </Table.Td>
        </Table.Tr>
      )}
    </>
  );
});

const outcomeIcon: Record<OutcomeTone, typeof IconCircleCheck> = { good: IconCircleCheck, warn: IconCircleX, calm: IconClockPause, muted: IconCircleMinus, bad: IconCircleX };

/** "5 min ago", with whether it succeeded and was verified; the reason or how it was copied on hover and focus. */
export function LastBackup({ backup }: { backup: BackupRecord | null }) {
  const now = useNow();
  if (!backup) {
    return (
      <Text size="sm" c="dimmed">
        Never
      </Text>
    );
  }
  const { word, tone } = backupOutcome(backup);
  const Icon = outcomeIcon[tone];
  const when = new Date(backup.startedAt).toLocaleString();
  const detail = backup.error?.message ?? (backup.heldCopy ? `${when}. ${describeHeldCopy(backup.heldCopy)}` : when);
  return (
    <Tooltip label={detail} multiline maw={420} events={{ hover: true, focus: true, touch: true }}>
      <Group gap={6} wrap="nowrap" tabIndex={0} className="mantine-focus-auto" style={{ borderRadius: 4 }}>
        <Icon size={16} color={`var(--mantine-color-${toneColor[tone]}-6)`} aria-hidden />
        <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
          {formatRelativeTime(backup.startedAt, now)}
          <Text span size="xs" c="dimmed">
            {' · '}
            {word}
            {backup.heldCopy && ' · copied while in use'}
          </Text>
        </Text>
      </Group>
    </Tooltip>
  );
}
