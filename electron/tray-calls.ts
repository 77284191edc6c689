/**
 * The tray's calls to the core. The tray has no window to show an answer in, so a call
 * that fails must be reported (a desktop notification and the log) rather than dropped:
 * "Backup all now" refused, or a pause "until tomorrow" from a menu built yesterday.
 */
import type { ApiErrorBody, MethodName } from '../app/api/index.ts';
import type { Core } from '../app/core/core.ts';

/** Where a failed tray call goes: `title` says what the user asked for. */
export type TrayFailureReport = (title: string, error: ApiErrorBody) => void;

/** A caller whose every failure, answered or thrown, reaches `report`; it resolves once reported. */
export function reportingCaller(core: Pick<Core, 'handle'>, report: TrayFailureReport) {
  return (title: string, method: MethodName, params: unknown = {}): Promise<void> =>
    core.handle(method, params).then(
      (outcome) => {
        if (!outcome.ok) report(title, outcome.error);
      },
      (error: unknown) => report(title, { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) }),
    );
}
