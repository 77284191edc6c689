/** What the parts of the core share: the catalog, the job queue, events and the shell's services. */
import type { PickPurpose } from '../api/index.ts';
import type { CatalogTopic, JobFinished } from '../api/types.ts';
import type { Catalog } from '../catalog/index.ts';
import type { JobQueue } from '../jobs/job-queue.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import type { EventBus } from './event-bus.ts';

/**
 * A desktop notification as the core asks for it; the shell decides how to show it.
 * `notice`: nothing went wrong and nothing needs doing, yet the user should know (a
 * deferred Backup now).
 */
export interface DesktopNotification {
  title: string;
  body: string;
  kind: 'success' | 'failure' | 'notice';
}

/**
 * What only a shell can do. The Electron shell gives all of these; the headless host
 * gives none, and the API answers NOT_SUPPORTED for the methods that need them.
 */
export interface ShellServices {
  /** Opens the native file dialog; resolves to the chosen paths, empty when dismissed. */
  pickPaths?(purpose: PickPurpose): Promise<string[]>;
  /** Shows the file in the system's file manager. */
  reveal?(path: string): void;
  notify?(notification: DesktopNotification): void;
}

/** Handed to every part of the core instead of globals, so a test can build a core on a temporary data folder. */
export interface CoreContext {
  /** The data folder's real path (symlinks resolved). */
  dataDir: string;
  catalog: Catalog;
  queue: JobQueue;
  events: EventBus;
  shell: ShellServices;
  /** Keys of encrypted databases and backups: never in the catalog, logs or messages. */
  secrets: SecretStore;
  /** Tells every UI that part of the catalog changed. */
  changed(topic: CatalogTopic): void;
  finished(result: JobFinished): void;
  /**
   * The catalog failed outside a request (a timer, the end of a job): tells the UIs and
   * the desktop, and never throws. `what` is what could not be done ("Recording the
   * backup of 'notes'"); `next`, what happens now or what the user can do.
   */
  catalogProblem(what: string, error: unknown, next?: string): void;
}
