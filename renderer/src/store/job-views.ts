/** The jobs store's shapes and its pure functions, kept apart from the API client so they can be tested in Node. */
import type { JobFinished, JobInfo, JobProgress } from '../../../app/api/index.ts';

export interface JobView {
  info: JobInfo;
  progress: JobProgress | null;
  /** Set once the job has ended; the row shows the outcome for a moment. */
  finished: JobFinished | null;
}

export interface JobsState {
  jobs: Record<string, JobView>;
  /** The job id of each database's backup: the running one, else the one that just finished. */
  backupOf: Record<number, string>;
  /** The databases whose Backup now was pressed and whose start the core has not answered yet. */
  starting: Record<number, true>;
}

/** Which job is each database's backup; rebuilt when jobs come and go, never on a progress tick. */
export function indexBackups(jobs: Record<string, JobView>): Record<number, string> {
  const backupOf: Record<number, string> = {};
  for (const [jobId, view] of Object.entries(jobs)) {
    const databaseId = view.info.databaseId;
    if (databaseId === null || view.info.kind !== 'backup') continue;
    const known = backupOf[databaseId];
    if (known === undefined || (jobs[known]!.finished && !view.finished)) backupOf[databaseId] = jobId;
  }
  return backupOf;
}

/** The backup job of a database, running or just finished; undefined when there is none. */
export function selectJobOfDatabase(state: Pick<JobsState, 'jobs' | 'backupOf'>, databaseId: number): JobView | undefined {
  const jobId = state.backupOf[databaseId];
  return jobId === undefined ? undefined : state.jobs[jobId];
}

/**
 * True from the press of Backup now until that backup ends: while the start is on its way,
 * and while the job is queued or runs. The bar of the backup before may still show how it
 * ended meanwhile; it does not make the database free.
 */
export function selectBackupBusy(state: JobsState, databaseId: number): boolean {
  if (state.starting[databaseId]) return true;
  const job = selectJobOfDatabase(state, databaseId);
  return job !== undefined && job.finished === null;
}

/**
 * The state once the core has answered a start with the job it queued: the job is shown at
 * once, before the queue's own event. A job already known (its event came first, or it has
 * even finished) is left as it is.
 */
export function withStartedJob(state: JobsState, info: JobInfo): Pick<JobsState, 'jobs' | 'backupOf'> {
  if (state.jobs[info.jobId]) return state;
  const jobs = { ...state.jobs, [info.jobId]: { info, progress: info.progress, finished: null } };
  return { jobs, backupOf: indexBackups(jobs) };
}
