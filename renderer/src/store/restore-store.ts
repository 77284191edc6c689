/**
 * The restore wizard: which step it is on, the backup chosen, what its check found, the
 * target and the user's choices about it, and the restore (and undo) jobs. The core does
 * the work; this store follows the jobs by id through the jobs store's events.
 */
import { create } from 'zustand';
import type { AgeKeyInput, CipherName, JobFinished, RestoreCheck, RestoreSummary, RestoreTarget } from '../../../app/api/index.ts';
import { api } from '../api/client.ts';
import { stageFile } from '../api/stage-file.ts';
import { navigate } from './app-store.ts';
import { useJobsStore } from './jobs-store.ts';

export type RestoreStep = 'choose' | 'check' | 'target' | 'restore' | 'done';
export const restoreSteps: readonly RestoreStep[] = ['choose', 'check', 'target', 'restore', 'done'];

/** How the backup was chosen: from the history, as a path or from the dialog, or dropped. */
export type BackupSource = 'history' | 'file' | 'drop';

/** Which kind of target the user picked at step 3. */
export type TargetChoice = 'origin' | 'registered' | 'new';

export interface RestoreState {
  step: RestoreStep;
  backupPath: string | null;
  source: BackupSource | null;
  /** The name the user knows the file by (a dropped file's own name, not its staged path). */
  displayName: string | null;

  checkJobId: string | null;
  check: RestoreCheck | null;
  checkError: string | null;
  /**
   * The error code of a failed check: KEY_NEEDED (the age key) or ENCRYPTED (the database's
   * key) make the check step ask for that key; WRONG_KEY asks again for the one last typed.
   */
  checkErrorCode: string | null;
  /** Which key the user typed last: a WRONG_KEY is about that one. */
  lastKeyTyped: 'age' | 'database' | null;
  /**
   * The database key typed for this backup, in memory only: Undo restores the safety copy,
   * encrypted with it, when the target is a file Pagevault keeps no key for.
   */
  sourceKey: { key: string; cipher: CipherName | 'detect' } | null;

  targetChoice: TargetChoice;
  /** The path typed or picked for the chosen kind of target. */
  targetPath: string;
  target: RestoreTarget | null;
  targetLoading: boolean;
  targetError: string | null;
  /** The user saw that another program uses the target and chose to go ahead. */
  proceedWhileInUse: boolean;
  safetyCopy: boolean;

  restoreJobId: string | null;
  /** The restore being undone, while Undo runs and after. */
  undoOf: RestoreSummary | null;
  summary: RestoreSummary | null;
  restoreError: string | null;
  startError: string | null;

  /** A dropped file being streamed to the host (browser shell). */
  staging: { name: string; fraction: number; controller: AbortController } | null;
}

const initial = (): RestoreState => ({
  step: 'choose',
  backupPath: null,
  source: null,
  displayName: null,
  checkJobId: null,
  check: null,
  checkError: null,
  checkErrorCode: null,
  lastKeyTyped: null,
  sourceKey: null,
  targetChoice: 'origin',
  targetPath: '',
  target: null,
  targetLoading: false,
  targetError: null,
  proceedWhileInUse: false,
  safetyCopy: true,
  restoreJobId: null,
  undoOf: null,
  summary: null,
  restoreError: null,
  startError: null,
  staging: null,
});

export const useRestoreStore = create<RestoreState>(initial);

const set = (changes: Partial<RestoreState>) => useRestoreStore.setState(changes);
const get = () => useRestoreStore.getState();

/** Starts the wizard over, keeping nothing but a running upload. */
export function resetRestore(): void {
  useRestoreStore.setState({ ...initial(), staging: get().staging });
}

/** Goes back to an earlier step; later steps' results stay until they are redone. */
export function goToStep(step: RestoreStep): void {
  set({ step });
}

/** Opens the wizard at step 2 with `backupPath`, and runs its check. */
export async function openRestoreWith(backupPath: string, source: BackupSource, displayName?: string): Promise<void> {
  useRestoreStore.setState({ ...initial(), step: 'check', backupPath, source, displayName: displayName ?? null });
  navigate('restore');
  try {
    const job = await api.call('restore.check', { backupPath });
    if (get().backupPath !== backupPath) return;
    set({ checkJobId: job.jobId });
    // The check may have ended before its id came back.
    const finished = useJobsStore.getState().jobs[job.jobId]?.finished;
    if (finished) onJobFinished(finished);
  } catch (caught) {
    if (get().backupPath === backupPath) set({ checkError: (caught as Error).message });
  }
}

/** Step 2 again for an encrypted backup, with the identity or passphrase the user typed; the core keeps it in memory for the later steps. */
export async function checkWithKey(key: AgeKeyInput): Promise<void> {
  set({ lastKeyTyped: 'age' });
  await checkAgain({ key });
}

/** Step 2 again for a backup of an encrypted database, with the key and cipher the user typed; the core checks it on the backup. */
export async function checkWithSourceKey(key: string, cipher: CipherName | 'detect'): Promise<void> {
  set({ lastKeyTyped: 'database', sourceKey: { key, cipher } });
  await checkAgain({ sourceKey: { key, cipher } });
}

async function checkAgain(keys: { key?: AgeKeyInput; sourceKey?: { key: string; cipher: CipherName | 'detect' } }): Promise<void> {
  const { backupPath, sourceKey } = get();
  if (!backupPath) return;
  set({ check: null, checkError: null, checkErrorCode: null, checkJobId: null });
  try {
    // A database key typed before an age key (or after) goes along: the core needs both.
    const job = await api.call('restore.check', { backupPath, ...(sourceKey && { sourceKey }), ...keys });
    if (get().backupPath !== backupPath) return;
    set({ checkJobId: job.jobId });
    const finished = useJobsStore.getState().jobs[job.jobId]?.finished;
    if (finished) onJobFinished(finished);
  } catch (caught) {
    if (get().backupPath === backupPath) set({ checkError: (caught as Error).message, checkErrorCode: (caught as { code?: string }).code ?? null });
  }
}

/** Step 3: describes the target for the current choice and path. */
export async function chooseTarget(choice: TargetChoice, path: string): Promise<void> {
  const { backupPath } = get();
  set({ targetChoice: choice, targetPath: path, target: null, targetError: null, proceedWhileInUse: false, startError: null });
  if (!backupPath || !path.trim()) return;
  set({ targetLoading: true });
  try {
    const target = await api.call('restore.target', { backupPath, targetPath: path });
    // A later choice wins over an answer that came back late.
    if (get().targetPath === path && get().targetChoice === choice) set({ target, safetyCopy: true });
  } catch (caught) {
    if (get().targetPath === path) set({ targetError: (caught as Error).message });
  } finally {
    if (get().targetPath === path) set({ targetLoading: false });
  }
}

export function setSafetyCopy(safetyCopy: boolean): void {
  set({ safetyCopy });
}

export function setProceedWhileInUse(proceedWhileInUse: boolean): void {
  set({ proceedWhileInUse });
}

/** Step 4: starts the restore into the described target. */
export async function startRestore(): Promise<void> {
  const { backupPath, target, safetyCopy, proceedWhileInUse, sourceKey } = get();
  if (!backupPath || !target) return;
  await runRestore(backupPath, target.path, safetyCopy, proceedWhileInUse, null, sourceKey);
}

/** Restores the safety copy of the last restore: its Undo. */
export async function undoRestore(): Promise<void> {
  const { summary, sourceKey } = get();
  if (!summary?.safetyCopy) return;
  // A registered target's safety copy opens with the key kept for it; only a file Pagevault keeps no key for needs the typed one.
  await runRestore(summary.safetyCopy, summary.target, true, true, summary, summary.databaseId === null ? sourceKey : null);
}

async function runRestore(backupPath: string, targetPath: string, safetyCopy: boolean, proceedWhileInUse: boolean, undoOf: RestoreSummary | null, sourceKey: RestoreState['sourceKey']): Promise<void> {
  set({ startError: null, restoreError: null });
  try {
    const job = await api.call('restore.start', { backupPath, targetPath, safetyCopy, proceedWhileInUse, ...(sourceKey && { sourceKey }) });
    set({ step: 'restore', restoreJobId: job.jobId, undoOf, summary: undoOf ? get().summary : null });
    const finished = useJobsStore.getState().jobs[job.jobId]?.finished;
    if (finished) onJobFinished(finished);
  } catch (caught) {
    set({ startError: (caught as Error).message });
  }
}

/** Streams a file dropped onto the browser window to the host, then opens the wizard with it. */
export async function restoreDroppedFile(file: File): Promise<void> {
  if (api.pathForFile) {
    await openRestoreWith(api.pathForFile(file), 'drop', file.name);
    return;
  }
  get().staging?.controller.abort();
  const controller = new AbortController();
  set({ staging: { name: file.name, fraction: 0, controller } });
  try {
    const staged = await stageFile(file, (fraction) => set({ staging: { name: file.name, fraction, controller } }), controller.signal);
    set({ staging: null });
    await openRestoreWith(staged.path, 'drop', file.name);
  } catch (caught) {
    if (get().staging?.controller === controller) set({ staging: null });
    throw caught;
  }
}

/** Cancels the upload of a dropped file. */
export function cancelStaging(): void {
  get().staging?.controller.abort();
}

/** Follows the wizard's jobs; called for every job.finished. */
export function onJobFinished(finished: JobFinished): void {
  const state = get();
  if (finished.jobId === state.checkJobId && !state.check && !state.checkError) {
    if (finished.check) {
      const origin = finished.check.origin;
      set({ check: finished.check, targetChoice: origin ? 'origin' : 'new', targetPath: origin?.path ?? '', target: origin });
    } else {
      set({ checkError: finished.error?.message ?? 'The check ended without a result', checkErrorCode: finished.error?.code ?? null });
    }
  }
  if (finished.jobId === state.restoreJobId) {
    if (finished.restore) set({ step: 'done', summary: finished.restore });
    else set({ restoreError: finished.cancelled ? 'The restore was cancelled; the database was left as it was.' : (finished.error?.message ?? 'The restore failed') });
  }
}

/** Subscribes once at start-up. */
export function startRestoreStore(): void {
  api.on('job.finished', onJobFinished);
}
