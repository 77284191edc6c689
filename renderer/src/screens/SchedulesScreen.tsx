import { useState } from 'react';
import { Alert, Badge, Button, Group, Menu, Paper, Switch, Table, Text, Tooltip, VisuallyHidden } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconCalendarPlus, IconCalendarTime, IconChevronDown, IconPencil, IconPlayerPause, IconPlayerPlay } from '@tabler/icons-react';
import type { DatabaseSummary, ScheduleInfo } from '../../../app/api/index.ts';
import { api } from '../api/client.ts';
import { DatabasesLoading } from '../components/DatabasesLoading.tsx';
import { EmptyState } from '../components/EmptyState.tsx';
import { ScreenHeader } from '../components/ScreenHeader.tsx';
import { ScheduleEditor } from '../components/schedules/ScheduleEditor.tsx';
import { useNow } from '../components/use-now.ts';
import { navigate } from '../store/app-store.ts';
import { useCatalogStore } from '../store/catalog-store.ts';
import { formatRunTime } from '../store/schedule-form.ts';
import { useSchedulesStore } from '../store/schedules-store.ts';
import { pauseEnd, schedulesPaused } from '../../../app/api/rules.ts';
import { capitalized, formatRelativeTime, runOutcome, toneColor } from '../format.ts';

/** Every database with its schedule (or none), next run, last result and an on/off switch. */
export function SchedulesScreen() {
  const databases = useCatalogStore((s) => s.databases);
  const loaded = useCatalogStore((s) => s.databasesLoaded);
  const schedules = useSchedulesStore((s) => s.schedules);
  const pausedUntil = useCatalogStore((s) => s.settings?.schedulesPausedUntil ?? null);
  const [editing, setEditing] = useState<number>();
  const now = useNow(15_000);
  const paused = schedulesPaused(pausedUntil, now);
  const byDatabase = new Map(schedules.map((schedule) => [schedule.databaseId, schedule]));

  return (
    <>
      <ScreenHeader
        title="Schedules"
        description="Backups that happen by themselves, with retention that keeps the folder tidy."
        actions={schedules.length > 0 && <PauseMenu paused={paused} />}
      />
      {paused && (
        <Alert color="yellow" icon={<IconPlayerPause size={18} />} title={`Schedules are paused until ${formatRunTime(pausedUntil!, now)}`} mb="lg" role="status">
          <Group justify="space-between">
            <Text size="sm">Scheduled backups that fall in the pause do not run and are not caught up afterwards.</Text>
            <Button size="compact-sm" variant="white" leftSection={<IconPlayerPlay size={14} />} onClick={() => void pause(null)}>
              Resume now
            </Button>
          </Group>
        </Alert>
      )}
      {!loaded ? (
        <DatabasesLoading />
      ) : databases.length === 0 ? (
        <EmptyState icon={<IconCalendarTime size={32} />} title="No schedules yet" action={<Button variant="light" onClick={() => navigate('databases')}>Go to Databases</Button>}>
          A schedule backs a database up every few hours, daily or weekly, and catches up after the computer was asleep. Each database gets
          its schedule once it is added on the Databases screen.
        </EmptyState>
      ) : (
        <Paper withBorder radius="md">
          <Table verticalSpacing="sm" horizontalSpacing="md" aria-label="Schedules">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Database</Table.Th>
                <Table.Th>Schedule</Table.Th>
                <Table.Th>Next run</Table.Th>
                <Table.Th>Last result</Table.Th>
                <Table.Th w={90}>Enabled</Table.Th>
                <Table.Th w={120}>
                  <VisuallyHidden>Actions</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {databases.map((database) => (
                <ScheduleRow key={database.id} database={database} schedule={byDatabase.get(database.id)} paused={paused} now={now} onEdit={() => setEditing(database.id)} />
              ))}
            </Table.Tbody>
          </Table>
        </Paper>
      )}
      <ScheduleEditor database={databases.find((db) => db.id === editing)} schedule={editing === undefined ? undefined : byDatabase.get(editing)} onClose={() => setEditing(undefined)} />
    </>
  );
}

function ScheduleRow({ database, schedule, paused, now, onEdit }: { database: DatabaseSummary; schedule: ScheduleInfo | undefined; paused: boolean; now: Date; onEdit: () => void }) {
  const toggle = async (enabled: boolean) => {
    if (!schedule) return;
    try {
      await api.call('schedules.set', { databaseId: database.id, schedule: { ...schedule.schedule, enabled } });
    } catch (caught) {
      notifications.show({ color: 'red', title: 'Schedule not changed', message: (caught as Error).message });
    }
  };
  const next = schedule?.nextRuns[0];
  return (
    <Table.Tr>
      <Table.Td maw={200}>
        <Text size="sm" fw={500} truncate="end" title={database.path}>
          {database.label}
        </Text>
      </Table.Td>
      <Table.Td>
        {schedule ? (
          <Text size="sm">{schedule.description}</Text>
        ) : (
          <Text size="sm" c="dimmed">
            Not scheduled
          </Text>
        )}
        {schedule?.schedule.skipIfUnchanged && (
          <Text size="xs" c="dimmed">
            Skips when unchanged
          </Text>
        )}
      </Table.Td>
      <Table.Td style={{ whiteSpace: 'nowrap' }}>
        {!schedule || !next ? (
          <Text size="sm" c="dimmed">
            –
          </Text>
        ) : !schedule.schedule.enabled ? (
          <Text size="sm" c="dimmed">
            Disabled
          </Text>
        ) : (
          <Tooltip label={schedule.nextRuns.map((run) => formatRunTime(run, now)).join(' · ')} multiline maw={320} openDelay={300}>
            <Text size="sm" td={paused ? 'line-through' : undefined}>
              {formatRunTime(next, now)}
            </Text>
          </Tooltip>
        )}
      </Table.Td>
      <Table.Td>
        <LastResult schedule={schedule} now={now} />
      </Table.Td>
      <Table.Td>
        {schedule && <Switch checked={schedule.schedule.enabled} onChange={(event) => void toggle(event.currentTarget.checked)} aria-label={`Schedule of ${database.label} enabled`} />}
      </Table.Td>
      <Table.Td ta="right">
        <Button
          size="compact-sm"
          variant={schedule ? 'default' : 'light'}
          leftSection={schedule ? <IconPencil size={14} /> : <IconCalendarPlus size={14} />}
          onClick={onEdit}
          aria-label={schedule ? `Edit the schedule of ${database.label}` : `Add a schedule for ${database.label}`}
        >
          {schedule ? 'Edit' : 'Add'}
        </Button>
      </Table.Td>
    </Table.Tr>
  );
}

function LastResult({ schedule, now }: { schedule: ScheduleInfo | undefined; now: Date }) {
  const last = schedule?.lastRun;
  if (!last) {
    return (
      <Text size="sm" c="dimmed">
        {schedule ? 'Not run yet' : '–'}
      </Text>
    );
  }
  const outcome = runOutcome[last.status];
  return (
    <Group gap={6} wrap="nowrap">
      <Badge size="sm" variant="light" color={toneColor[outcome.tone]} title={last.error?.message}>
        {capitalized(outcome.word)}
      </Badge>
      <Text size="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
        {formatRelativeTime(last.finishedAt ?? last.startedAt, now)}
      </Text>
    </Group>
  );
}

async function pause(until: Date | null): Promise<void> {
  try {
    await api.call('schedules.pause', { until: until?.toISOString() ?? null });
  } catch (caught) {
    notifications.show({ color: 'red', title: 'Schedules not changed', message: (caught as Error).message });
  }
}

function PauseMenu({ paused }: { paused: boolean }) {
  if (paused) {
    return (
      <Button variant="light" leftSection={<IconPlayerPlay size={16} />} onClick={() => void pause(null)}>
        Resume schedules
      </Button>
    );
  }
  return (
    <Menu position="bottom-end">
      <Menu.Target>
        <Button variant="default" leftSection={<IconPlayerPause size={16} />} rightSection={<IconChevronDown size={14} />}>
          Pause
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Item onClick={() => void pause(pauseEnd('hour', new Date()))}>For 1 hour</Menu.Item>
        <Menu.Item onClick={() => void pause(pauseEnd('tomorrow', new Date()))}>Until tomorrow</Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
