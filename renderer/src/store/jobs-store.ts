/**
 * Running jobs and their progress, keyed by job id, from one set of subscriptions made at
 * start-up. A progress tick replaces one entry only, so only that job's row re-renders.
 */
import { create } from 'zustand';
import { notifications } from '@mantine/notifications';
import type { JobFinished, JobInfo, JobProgress } from '../../../app/api/index.ts';
import { api } from '../api/client.ts';

export interface JobView {
  info: JobInfo;
  progress: JobProgress | null;
  /** Set once the job has ended; the row shows the outcome for a moment. */
  finished: JobFinished | null;
}

interface JobsState {
  jobs: Record<string, JobView>;
}

/** How long a finished job's bar stays on screen, showing how it ended. */
export const FINISHED_LINGER_MS = 4000;

export const useJobsStore = create<JobsState>(() => ({ jobs: {} }));

/** Keeps every entry whose content did not change, so unchanged rows keep their props. */
function applyQueue(queue: JobInfo[]): void {
  useJobsStore.setState((state) => {
    const jobs: Record<string, JobView> = {};
    for (const info of queue) {
      const known = state.jobs[info.jobId];
      jobs[info.jobId] = known && known.info.state === info.state ? known : { info, progress: known?.progress ?? info.progress, finished: null };
    }
    // A job leaves the queue just before its job.finished arrives: keep it until then.
    // Finished jobs stay until their linger time is up.
    for (const [jobId, view] of Object.entries(state.jobs)) {
      if (jobs[jobId]) continue;
      jobs[jobId] = view;
      if (!view.finished) forgetLater(jobId);
    }
    return { jobs };
  });
}

/** Removes a job's view after the linger time, whatever happened to it. */
function forgetLater(jobId: string): void {
  setTimeout(() => {
    useJobsStore.setState((state) => {
      if (!state.jobs[jobId]) return state;
      const { [jobId]: _gone, ...rest } = state.jobs;
      return { jobs: rest };
    });
  }, FINISHED_LINGER_MS);
}

function applyProgress(progress: JobProgress): void {
  useJobsStore.setState((state) => {
    const view = state.jobs[progress.jobId];
    if (!view || view.finished) return state;
    return { jobs: { ...state.jobs, [progress.jobId]: { ...view, progress } } };
  });
}

function applyFinished(finished: JobFinished): void {
  useJobsStore.setState((state) => {
    const view = state.jobs[finished.jobId];
    const info: JobInfo = view?.info ?? { jobId: finished.jobId, kind: finished.kind, databaseId: finished.databaseId, label: finished.label, state: 'running', queuedAt: new Date().toISOString(), progress: null };
    const progress = view?.progress && finished.ok ? { ...view.progress, remainingPages: 0 } : (view?.progress ?? null);
    return { jobs: { ...state.jobs, [finished.jobId]: { info, progress, finished } } };
  });
  forgetLater(finished.jobId);
}

/** Subscribes once; on every (re)connection asks which jobs run, so progress survives a reload. */
/** Asks the core to cancel a job; says so when it cannot (the job may have just ended). */
export async function cancelJob(jobId: string, what: string): Promise<void> {
  try {
    await api.call('jobs.cancel', { jobId });
  } catch (caught) {
    notifications.show({ color: 'red', title: `Cannot cancel the ${what}`, message: (caught as Error).message });
  }
}

export function startJobsStore(onFinished: (finished: JobFinished) => void): void {
  api.on('jobs.changed', applyQueue);
  api.on('job.progress', applyProgress);
  api.on('job.finished', (finished) => {
    applyFinished(finished);
    onFinished(finished);
  });
  api.onConnection((state) => {
    if (state === 'open') void api.call('jobs.list', {}).then(applyQueue, () => undefined);
  });
}

/** The job of a database, running or just finished; undefined when there is none. */
export function selectJobOfDatabase(state: JobsState, databaseId: number): JobView | undefined {
  let found: JobView | undefined;
  for (const view of Object.values(state.jobs)) {
    if (view.info.databaseId !== databaseId || view.info.kind !== 'backup') continue;
    if (!found || (found.finished && !view.finished)) found = view;
  }
  return found;
}
