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
export function selectJobOfDatabase(state: JobsState, databaseId: number): JobView | undefined {
  const jobId = state.backupOf[databaseId];
  return jobId === undefined ? undefined : state.jobs[jobId];
}
