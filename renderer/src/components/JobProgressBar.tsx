import { memo } from 'react';
import { Button, Group, Progress, Stack, Text } from '@mantine/core';
import { IconPlayerStopFilled } from '@tabler/icons-react';
import type { JobPhase } from '../../../app/api/index.ts';
import { cancelJob, type JobView } from '../store/jobs-store.ts';
import { formatDuration, formatRate, fractionDone, secondsLeft } from '../format.ts';

type JobKind = JobView['info']['kind'];

/** How each kind of job words its phases and its ending. */
const wording: Record<JobKind, { noun: string; phases: Record<JobPhase, string>; done: string; cancelled: string }> = {
  backup: {
    noun: 'Backup',
    phases: {
      prepare: 'Opening the database…',
      check: 'Checking…',
      'safety-copy': 'Taking a safety copy…',
      copy: 'Copying pages',
      finalize: 'Finishing the file…',
      verify: 'Verifying the copy…',
    },
    done: 'Backup complete',
    cancelled: 'Cancelled; nothing was kept',
  },
  verify: {
    noun: 'Check',
    phases: {
      prepare: 'Opening the backup…',
      check: 'Checking the backup…',
      'safety-copy': 'Taking a safety copy…',
      copy: 'Reading pages',
      finalize: 'Finishing…',
      verify: 'Verifying the backup: checksum and SQLite’s quick_check',
    },
    done: 'Check complete',
    cancelled: 'Check cancelled',
  },
  restore: {
    noun: 'Restore',
    phases: {
      prepare: 'Opening the databases…',
      check: 'Verifying the backup before anything is changed…',
      'safety-copy': 'Taking a safety copy of the current database…',
      copy: 'Restoring pages',
      finalize: 'Finishing…',
      verify: 'Verifying the restored database…',
    },
    done: 'Restore complete',
    cancelled: 'Cancelled; the database is unchanged',
  },
};

/** One job's live progress: bar, percent, pages, speed, time left, restarts, and Cancel. */
export const JobProgressBar = memo(function JobProgressBar({ view }: { view: JobView }) {
  const { info, progress, finished } = view;
  const fraction = finished?.ok ? 1 : fractionDone(progress);
  const percent = Math.floor(fraction * 100);
  const left = progress && progress.phase === 'copy' ? secondsLeft(progress) : undefined;
  const deferred = finished?.error?.code === 'DEFERRED';
  const color = finished ? (finished.ok ? 'teal' : finished.cancelled ? 'gray' : deferred ? 'indigo' : 'red') : 'blue';

  const words = wording[info.kind];
  let status: string;
  if (finished?.backup?.status === 'skipped') status = 'Skipped: unchanged since the last backup';
  else if (deferred) status = finished.error!.message;
  else if (finished) status = finished.ok ? words.done : finished.cancelled ? words.cancelled : `Failed: ${finished.error?.message ?? 'unknown error'}`;
  else if (info.state === 'queued') status = 'Waiting for another job to finish…';
  else if (!progress) status = 'Starting…';
  else status = words.phases[progress.phase];

  const details: string[] = [];
  if (progress && !finished && info.state === 'running') {
    details.push(`${(progress.totalPages - progress.remainingPages).toLocaleString()} of ${progress.totalPages.toLocaleString()} pages`);
    if (progress.phase === 'copy' || progress.phase === 'safety-copy') details.push(formatRate(progress.bytesPerSecond));
    if (left !== undefined) details.push(left < 1 ? 'under a second left' : `about ${formatDuration(left * 1000)} left`);
  }

  return (
    <Stack gap={4} role="group" aria-label={`${words.noun} of ${info.label}`}>
      <Group justify="space-between" wrap="nowrap" gap="sm">
        <Text size="sm" fw={500} c={finished && !finished.ok && !finished.cancelled ? (deferred ? 'indigo' : 'red') : undefined} lineClamp={2} role={finished ? 'status' : undefined}>
          {status}
        </Text>
        <Group gap="sm" wrap="nowrap">
          <Text size="sm" fw={600} ff="monospace" aria-hidden>
            {percent}%
          </Text>
          {!finished && (
            <Button
              size="compact-sm"
              variant="default"
              leftSection={<IconPlayerStopFilled size={12} />}
              onClick={() => void cancelJob(info.jobId, `${words.noun.toLowerCase()} of ${info.label}`)}
              aria-label={`Cancel the ${words.noun.toLowerCase()} of ${info.label}`}
            >
              Cancel
            </Button>
          )}
        </Group>
      </Group>
      <Progress
        value={percent}
        color={color}
        size="lg"
        animated={!finished && info.state === 'running'}
        striped={info.state === 'queued'}
        aria-label={`${words.noun} of ${info.label}`}
        transitionDuration={120}
      />
      {details.length > 0 && (
        <Text size="xs" c="dimmed">
          {details.join(' · ')}
        </Text>
      )}
      {progress && progress.restarts > 0 && !finished && (
        <Text size="xs" c="orange">
          Started over {progress.restarts === 1 ? 'once' : `${progress.restarts} times`}: another program wrote to the database, so the copy began
          again to stay consistent.
        </Text>
      )}
    </Stack>
  );
});
