/**
 * The tray's calls to the core. The tray has no window to show an answer in, so a call
 * that fails must be reported (a desktop notification and the log) rather than dropped:
 * "Backup all now" refused, or a pause "until tomorrow" from a menu built yesterday. An
 * answer that is a success in part ("Backup all now" with databases it did not start) is
 * reported the same way.
 */
import { PagevaultError } from '../app/api/errors.ts';
import type { ApiErrorBody, MethodName, Params, Result } from '../app/api/index.ts';
import type { Core } from '../app/core/core.ts';

/**
 * Where a tray call's bad news goes: `title` is the notification's title, whole; `failed`
 * is false for an answer that succeeded in part (nothing went wrong that the icon should show).
 */
export type TrayFailureReport = (title: string, error: ApiErrorBody, failed: boolean) => void;

/** What of a successful answer still needs telling, or null when nothing does. */
type PartialFailure<M extends MethodName> = (result: Result<M>) => { title: string; error: ApiErrorBody } | null;

function bodyOf(error: unknown): ApiErrorBody {
  return error instanceof PagevaultError ? error.toBody() : { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}

/**
 * The databases "Backup all now" did not start (already running, or refused with the
 * reason), one line each, so nobody believes from the tray that every database was backed up.
 */
export const notStarted: PartialFailure<'backups.startAll'> = ({ started, refused }) =>
  refused.length === 0
    ? null
    : {
        title: `Backup all now: ${refused.length} of ${started.length + refused.length} databases not started`,
        error: { code: 'INVALID_REQUEST', message: refused.map((entry) => entry.message).join('\n') },
      };

/**
 * A caller whose every failure, answered or thrown, reaches `report` as "<what> failed",
 * and whose partly failed answers reach it through `partly`; it resolves once reported.
 */
export function reportingCaller(core: Pick<Core, 'call'>, report: TrayFailureReport) {
  return <M extends MethodName>(title: string, method: M, params: Params<M>, partly?: PartialFailure<M>): Promise<void> =>
    core.call(method, params).then(
      (result) => {
        const partial = partly?.(result);
        if (partial) report(partial.title, partial.error, false);
      },
      (error: unknown) => report(`${title} failed`, bodyOf(error), true),
    );
}
