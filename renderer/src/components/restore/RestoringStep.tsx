import { Alert, Button, Group, Loader, Paper, Stack, Text } from '@mantine/core';
import { IconAlertTriangle, IconArrowLeft } from '@tabler/icons-react';
import { useJobsStore } from '../../store/jobs-store.ts';
import { goToStep, useRestoreStore } from '../../store/restore-store.ts';
import { JobProgressBar } from '../JobProgressBar.tsx';

/** Step 4: the restore's live progress: check, safety copy, pages, verification. */
export function RestoringStep() {
  const jobId = useRestoreStore((s) => s.restoreJobId);
  const error = useRestoreStore((s) => s.restoreError);
  const undoOf = useRestoreStore((s) => s.undoOf);
  const view = useJobsStore((s) => (jobId ? s.jobs[jobId] : undefined));

  return (
    <Stack gap="lg">
      <Text c="dimmed" size="sm">
        {undoOf
          ? `Putting ${undoOf.label} back as it was before the restore.`
          : 'The current database is kept aside, then the backup, proven unchanged since its check, takes its place in one step: other programs see the old database or the new one, never a mix.'}
      </Text>
      {view ? (
        <Paper withBorder radius="md" p="md">
          <JobProgressBar view={view} />
        </Paper>
      ) : (
        !error && (
          <Group gap="xs">
            <Loader size="sm" />
            <Text size="sm">Starting…</Text>
          </Group>
        )
      )}
      {error && (
        <>
          <Alert color="red" icon={<IconAlertTriangle size={18} />} title="The restore did not complete" role="alert">
            <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
              {error}
            </Text>
          </Alert>
          <Group>
            <Button variant="default" leftSection={<IconArrowLeft size={16} />} onClick={() => goToStep(undoOf ? 'done' : 'target')}>
              Back
            </Button>
          </Group>
        </>
      )}
    </Stack>
  );
}
