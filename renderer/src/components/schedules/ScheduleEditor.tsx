import { useEffect, useState } from 'react';
import { Alert, Button, Checkbox, Chip, Group, List, Modal, NumberInput, SegmentedControl, Select, Skeleton, Stack, Switch, Tabs, Text, TextInput, ThemeIcon } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconAlertTriangle, IconCalendarTime, IconClockHour4, IconTrash } from '@tabler/icons-react';
import type { DatabaseSummary, Result, ScheduleInfo } from '../../../../app/api/index.ts';
import { api, ApiError, messageAt } from '../../api/client.ts';
import { defaultScheduleForm, formatRunTime, formFromSpec, specFromForm, usesHour12, type ScheduleForm } from '../../store/schedule-form.ts';
import { RetentionEditor } from './RetentionEditor.tsx';

const kinds = [
  { value: 'interval', label: 'Every…' },
  { value: 'daily', label: 'Daily' },
  { value: 'weekly', label: 'Weekly' },
  { value: 'cron', label: 'Cron' },
];

/** Monday first, as calendars in most places show the week. */
const weekdays = [
  { value: 1, label: 'Mon' },
  { value: 2, label: 'Tue' },
  { value: 3, label: 'Wed' },
  { value: 4, label: 'Thu' },
  { value: 5, label: 'Fri' },
  { value: 6, label: 'Sat' },
  { value: 0, label: 'Sun' },
];

type Preview = Result<'schedules.preview'>;

/** The schedule and retention of one database, each previewed before it is saved. */
export function ScheduleEditor({ database, schedule, onClose }: { database: DatabaseSummary | undefined; schedule: ScheduleInfo | undefined; onClose: () => void }) {
  return (
    <Modal opened={database !== undefined} onClose={onClose} title={database ? `Schedule of ${database.label}` : ''} closeButtonProps={{ 'aria-label': `Close the schedule of ${database?.label ?? 'the database'}` }} size="lg" centered>
      {database && (
        <Tabs defaultValue="schedule" keepMounted={false}>
          <Tabs.List mb="md">
            <Tabs.Tab value="schedule" leftSection={<IconCalendarTime size={16} />}>
              When
            </Tabs.Tab>
            <Tabs.Tab value="retention" leftSection={<IconClockHour4 size={16} />}>
              Retention
            </Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="schedule">
            <WhenForm key={database.id} database={database} schedule={schedule} onDone={onClose} />
          </Tabs.Panel>
          <Tabs.Panel value="retention">
            <RetentionEditor key={database.id} database={database} onDone={onClose} />
          </Tabs.Panel>
        </Tabs>
      )}
    </Modal>
  );
}

function WhenForm({ database, schedule, onDone }: { database: DatabaseSummary; schedule: ScheduleInfo | undefined; onDone: () => void }) {
  const [form, setForm] = useState<ScheduleForm>(() => (schedule ? formFromSpec(schedule.schedule.spec) : defaultScheduleForm));
  const [enabled, setEnabled] = useState(schedule?.schedule.enabled ?? true);
  const [skipIfUnchanged, setSkipIfUnchanged] = useState(schedule?.schedule.skipIfUnchanged ?? true);
  const [preview, setPreview] = useState<Preview>();
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string>();
  const [debounced] = useDebouncedValue(form, 250);
  const update = (changes: Partial<ScheduleForm>) => setForm((current) => ({ ...current, ...changes }));

  useEffect(() => {
    let current = true;
    api.call('schedules.preview', { spec: specFromForm(debounced), hour12: usesHour12() }).then(
      (result) => current && setPreview(result),
      (caught: unknown) => current && setPreview({ description: '', nextRuns: [], problem: problemOf(caught, debounced) }),
    );
    return () => {
      current = false;
    };
  }, [debounced]);

  const problem = preview?.problem;
  const errorAt = (field: Field) => (problem?.field === field ? problem.message : undefined);
  const save = async () => {
    setSaving(true);
    setError(undefined);
    try {
      await api.call('schedules.set', { databaseId: database.id, schedule: { spec: specFromForm(form), enabled, skipIfUnchanged } });
      notifications.show({ color: 'teal', title: `Schedule of ${database.label} saved`, message: preview?.description ?? '' });
      onDone();
    } catch (caught) {
      setError((caught as Error).message);
    } finally {
      setSaving(false);
    }
  };
  const remove = async () => {
    try {
      await api.call('schedules.remove', { databaseId: database.id });
      notifications.show({ title: `Schedule of ${database.label} removed`, message: 'Its backups stay where they are.' });
      onDone();
    } catch (caught) {
      setError((caught as Error).message);
    }
  };

  return (
    <Stack gap="md">
      <SegmentedControl fullWidth data={kinds} value={form.kind} onChange={(kind) => update({ kind: kind as ScheduleForm['kind'] })} aria-label="Kind of schedule" />
      {form.kind === 'interval' && (
        <Group align="flex-start" grow>
          <NumberInput label="Every" min={1} value={form.intervalValue} onChange={(value) => update({ intervalValue: value === '' ? '' : Number(value) })} error={errorAt('everyMinutes')} allowDecimal={false} />
          <Select label="Unit" data={[{ value: 'minutes', label: 'minutes' }, { value: 'hours', label: 'hours' }]} value={form.intervalUnit} onChange={(unit) => unit && update({ intervalUnit: unit as ScheduleForm['intervalUnit'] })} allowDeselect={false} />
        </Group>
      )}
      {form.kind === 'weekly' && (
        <Stack gap={4}>
          <Text size="sm" fw={500} id="schedule-days">
            On
          </Text>
          <Chip.Group multiple value={form.days.map(String)} onChange={(days) => update({ days: days.map(Number) })}>
            <Group gap="xs" role="group" aria-labelledby="schedule-days">
              {weekdays.map((day) => (
                <Chip key={day.value} value={String(day.value)} size="sm">
                  {day.label}
                </Chip>
              ))}
            </Group>
          </Chip.Group>
          {errorAt('days') && (
            <Text size="xs" c="red">
              {errorAt('days')}
            </Text>
          )}
        </Stack>
      )}
      {(form.kind === 'daily' || form.kind === 'weekly') && (
        <TextInput type="time" label="At" value={form.time} onChange={(event) => update({ time: event.currentTarget.value })} error={errorAt('time')} w={160} />
      )}
      {form.kind === 'cron' && (
        <TextInput
          label="Cron expression"
          description="minute hour day-of-month month day-of-week, or six fields with seconds first; in local time"
          value={form.expression}
          onChange={(event) => update({ expression: event.currentTarget.value })}
          error={errorAt('expression')}
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
          spellCheck={false}
          autoComplete="off"
        />
      )}
      <Checkbox
        checked={skipIfUnchanged}
        onChange={(event) => setSkipIfUnchanged(event.currentTarget.checked)}
        label="Skip if unchanged"
        description="A run finds the database as it was at its last successful backup: nothing is copied, and the history says so."
      />
      <Switch checked={enabled} onChange={(event) => setEnabled(event.currentTarget.checked)} label="Enabled" description="A disabled schedule keeps its settings." />
      <SchedulePreview preview={preview} />
      {error && (
        <Alert color="red" icon={<IconAlertTriangle size={18} />} role="alert">
          {error}
        </Alert>
      )}
      <Group justify="space-between">
        {schedule ? (
          <Button variant="subtle" color="red" leftSection={<IconTrash size={16} />} onClick={() => void remove()}>
            Remove schedule
          </Button>
        ) : (
          <span />
        )}
        <Group>
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button onClick={() => void save()} loading={saving} disabled={!preview || preview.problem !== null}>
            Save schedule
          </Button>
        </Group>
      </Group>
    </Stack>
  );
}

function SchedulePreview({ preview }: { preview: Preview | undefined }) {
  if (!preview) return <Skeleton height={120} />;
  if (preview.problem) return null;
  return (
    <Stack gap={6} p="md" bg="var(--mantine-color-default-hover)" style={{ borderRadius: 'var(--mantine-radius-md)' }} role="region" aria-label="Next runs">
      <Group gap="xs">
        <ThemeIcon size="sm" variant="light">
          <IconCalendarTime size={14} />
        </ThemeIcon>
        <Text fw={600} size="sm">
          {preview.description}
        </Text>
      </Group>
      <Text size="xs" c="dimmed">
        The next five runs:
      </Text>
      <List size="sm" spacing={2} withPadding>
        {preview.nextRuns.map((run) => (
          <List.Item key={run}>{formatRunTime(run)}</List.Item>
        ))}
      </List>
    </Stack>
  );
}

type Field = NonNullable<Preview['problem']>['field'];
const fields: readonly string[] = ['everyMinutes', 'time', 'days', 'expression'] satisfies Field[];

/**
 * A preview the core refused (a value of the wrong shape): shown at the field its issue
 * names; a failure about no field (the connection) at the field being edited.
 */
function problemOf(caught: unknown, form: ScheduleForm): NonNullable<Preview['problem']> {
  const issue = caught instanceof ApiError ? caught.issues.find((candidate) => candidate.path.startsWith('spec.')) : undefined;
  const named = issue?.path.split('.')[1];
  if (issue && named && fields.includes(named)) return { field: named as Field, message: issue.message };
  return { field: fieldOf(form), message: messageAt(caught, 'spec') };
}

function fieldOf(form: ScheduleForm): Field {
  if (form.kind === 'interval') return 'everyMinutes';
  if (form.kind === 'cron') return 'expression';
  if (form.kind === 'weekly' && form.days.length === 0) return 'days';
  return 'time';
}
