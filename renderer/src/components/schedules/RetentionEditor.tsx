import { useEffect, useState } from 'react';
import { Alert, Button, Group, NumberInput, ScrollArea, SimpleGrid, Skeleton, Stack, Table, Text } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconAlertTriangle, IconPin, IconTrash } from '@tabler/icons-react';
import type { DatabaseSummary, RetentionPolicy, RetentionPreview } from '../../../../app/api/index.ts';
import { api, messageAt } from '../../api/client.ts';
import { describePolicy, emptyPolicy } from '../../store/schedule-form.ts';
import { formatBytes } from '../../format.ts';

const fields: Array<{ key: keyof RetentionPolicy; label: string; description: string }> = [
  { key: 'keepLast', label: 'Keep the last', description: 'backups' },
  { key: 'keepHourly', label: 'Hourly', description: 'newest of each hour' },
  { key: 'keepDaily', label: 'Daily', description: 'newest of each day' },
  { key: 'keepWeekly', label: 'Weekly', description: 'newest of each week' },
  { key: 'keepMonthly', label: 'Monthly', description: 'newest of each month' },
  { key: 'keepYearly', label: 'Yearly', description: 'newest of each year' },
];

/** A retention policy with an exact preview of what it would delete now. */
export function RetentionEditor({ database, onDone }: { database: DatabaseSummary; onDone: () => void }) {
  const [policy, setPolicy] = useState<RetentionPolicy>();
  const [preview, setPreview] = useState<RetentionPreview>();
  const [error, setError] = useState<string>();
  const [saving, setSaving] = useState(false);
  const [debounced] = useDebouncedValue(policy, 250);

  useEffect(() => {
    api.call('retention.get', { databaseId: database.id }).then(
      (stored) => setPolicy(stored ?? emptyPolicy),
      (caught: Error) => setError(caught.message),
    );
  }, [database.id]);

  useEffect(() => {
    if (!debounced) return;
    let current = true;
    api.call('retention.preview', { databaseId: database.id, policy: debounced }).then(
      (result) => {
        if (!current) return;
        setPreview(result);
        setError(undefined);
      },
      (caught: unknown) => current && setError(messageAt(caught, 'policy')),
    );
    return () => {
      current = false;
    };
  }, [database.id, debounced]);

  if (!policy) return <Skeleton height={240} />;
  const set = (key: keyof RetentionPolicy, value: string | number) => setPolicy({ ...policy, [key]: value === '' ? null : Number(value) });
  const save = async () => {
    setSaving(true);
    try {
      const stored = await api.call('retention.set', { databaseId: database.id, policy });
      notifications.show({ color: 'teal', title: `Retention of ${database.label} saved`, message: `${describePolicy(stored)}. It applies after the next successful backup.` });
      onDone();
    } catch (caught) {
      setError((caught as Error).message);
    } finally {
      setSaving(false);
    }
  };

  return (
    <Stack gap="md">
      <Text size="sm" c="dimmed">
        After each successful backup, backups the policy does not keep are deleted with their manifests. Leave a field empty to not use
        it. Pinned backups and the most recent verified backup are always kept.
      </Text>
      <SimpleGrid cols={3} spacing="sm">
        {fields.map(({ key, label, description }) => (
          <NumberInput key={key} label={label} description={description} min={1} allowDecimal={false} value={policy[key] ?? ''} onChange={(value) => set(key, value)} placeholder="—" />
        ))}
      </SimpleGrid>
      <NumberInput
        label="Keep everything younger than"
        description="days, whatever the counts above say"
        min={0}
        allowDecimal={false}
        w={320}
        value={policy.minAgeDays ?? ''}
        onChange={(value) => set('minAgeDays', value)}
        placeholder="—"
      />
      <Text size="sm" fw={600}>
        {describePolicy(policy)}
      </Text>
      {error && (
        <Alert color="red" icon={<IconAlertTriangle size={18} />} role="alert">
          {error}
        </Alert>
      )}
      {preview && <RetentionPreviewList preview={preview} />}
      <Group justify="flex-end">
        <Button variant="default" onClick={onDone}>
          Cancel
        </Button>
        <Button onClick={() => void save()} loading={saving} disabled={!!error}>
          Save retention
        </Button>
      </Group>
    </Stack>
  );
}

function RetentionPreviewList({ preview }: { preview: RetentionPreview }) {
  if (preview.deletions.length === 0) {
    return (
      <div role="region" aria-label="Retention preview">
        <Alert color="teal" variant="light">
          Nothing would be deleted now: all {preview.kept} backups are kept.
        </Alert>
      </div>
    );
  }
  return (
    <div role="region" aria-label="Retention preview">
    <Alert color="orange" variant="light" icon={<IconTrash size={18} />} title={`Would delete ${preview.deletions.length} of ${preview.deletions.length + preview.kept} backups now, freeing ${formatBytes(preview.bytes)}`}>
      <ScrollArea.Autosize mah={180} type="auto">
        <Table verticalSpacing={2} fz="sm" aria-label="Backups retention would delete">
          <Table.Tbody>
            {preview.deletions.map((backup) => (
              <Table.Tr key={backup.id}>
                <Table.Td>{new Date(backup.startedAt).toLocaleString()}</Table.Td>
                <Table.Td ta="right">{backup.bytes === null ? '–' : formatBytes(backup.bytes)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollArea.Autosize>
      <Text size="xs" c="dimmed" mt={6}>
        <IconPin size={12} style={{ verticalAlign: 'middle' }} /> Pin a backup in the History to keep it whatever the policy says.
      </Text>
    </Alert>
    </div>
  );
}
