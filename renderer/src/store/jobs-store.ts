/**
 * Running jobs and their progress, keyed by job id, from one set of subscriptions made at
 * start-up, with each database's backup job indexed by the database (progress carries its
 * databaseId). A progress tick replaces one entry only, so only that job's row re-renders,
 * and a row finds its job without looking at every job.
 */
import { create } from 'zustand';
import { notifications } from '@mantine/notifications';
import type { JobFinished, JobInfo, JobProgress } from '../../../app/api/index.ts';
import { api } from '../api/client.ts';
import { loadInBackground } from './background-loads.ts';
import { indexBackups, withStartedJob, type JobsState, type JobView } from './job-views.ts';

export { selectBackupBusy, selectJobOfDatabase, type JobView } from './job-views.ts';

/** How long a finished job's bar stays on screen, showing how it ended. */
export const FINISHED_LINGER_MS = 4000;

export const useJobsStore = create<JobsState>(() => ({ jobs: {}, backupOf: {}, starting: {} }));

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
    return { jobs, backupOf: indexBackups(jobs) };
  });
}

/** Removes a job's view after the linger time, whatever happened to it. */
function forgetLater(jobId: string): void {
  setTimeout(() => {
    useJobsStore.setState((state) => {
      if (!state.jobs[jobId]) return state;
      const { [jobId]: _gone, ...rest } = state.jobs;
      return { jobs: rest, backupOf: indexBackups(rest) };
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
    const jobs = { ...state.jobs, [finished.jobId]: { info, progress, finished } };
    return { jobs, backupOf: indexBackups(jobs) };
  });
  forgetLater(finished.jobId);
}

/**
 * Runs a start call with `databaseIds` busy until it answers, then shows the jobs it
 * queued at once (before the queue's own event), so no Backup now can be pressed into a
 * duplicate meanwhile.
 */
async function whileStarting<T>(databaseIds: number[], call: () => Promise<T>, queued: (answer: T) => JobInfo[]): Promise<T> {
  useJobsStore.setState((state) => ({ starting: { ...state.starting, ...Object.fromEntries(databaseIds.map((id) => [id, true as const])) } }));
  try {
    const answer = await call();
    useJobsStore.setState((state) => queued(answer).reduce<JobsState>((next, info) => ({ ...next, ...withStartedJob(next, info) }), state));
    return answer;
  } finally {
    useJobsStore.setState((state) => ({ starting: Object.fromEntries(Object.entries(state.starting).filter(([id]) => !databaseIds.includes(Number(id)))) }));
  }
}

/** Starts a backup of a database; its Backup now stays disabled from the press until the backup ends. Throws what the core refused. */
export async function startBackup(databaseId: number): Promise<void> {
  await whileStarting([databaseId], () => api.call('backups.start', { databaseId }), (info) => [info]);
}

/** Starts a backup of every database (`databaseIds`: those listed, busy until the core answers). Resolves to the core's answer. */
export function startAllBackups(databaseIds: number[]): Promise<{ started: JobInfo[]; refused: Array<{ databaseId: number; message: string }> }> {
  return whileStarting(databaseIds, () => api.call('backups.startAll', {}), (answer) => answer.started);
}

/** Asks the core to cancel a job; says so when it cannot (the job may have just ended). */
export async function cancelJob(jobId: string, what: string): Promise<void> {
  try {
    await api.call('jobs.cancel', { jobId });
  } catch (caught) {
    notifications.show({ color: 'red', title: `Cannot cancel the ${what}`, message: (caught as Error).message, autoClose: false });
  }
}

/** Subscribes once; on every (re)connection asks which jobs run, so progress survives a reload. */
export function startJobsStore(onFinished: (finished: JobFinished) => void): void {
  api.on('jobs.changed', applyQueue);
  api.on('job.progress', applyProgress);
  api.on('job.finished', (finished) => {
    applyFinished(finished);
    onFinished(finished);
  });
  api.onConnection((state) => {
    if (state === 'open') void loadInBackground('the running backups and restores', () => api.call('jobs.list', {}).then(applyQueue));
  });
}
