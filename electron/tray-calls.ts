/**
 * The tray's calls to the core. The tray has no window to show an answer in, so a call
 * that fails must be reported (a desktop notification and the log) rather than dropped:
 * "Backup all now" refused, or a pause "until tomorrow" from a menu built yesterday.
 */
import { PagevaultError } from '../app/api/errors.ts';
import type { ApiErrorBody, MethodName, Params } from '../app/api/index.ts';
import type { Core } from '../app/core/core.ts';

/** Where a failed tray call goes: `title` says what the user asked for. */
export type TrayFailureReport = (title: string, error: ApiErrorBody) => void;

/** A caller whose every failure, answered or thrown, reaches `report`; it resolves once reported. */
export function reportingCaller(core: Pick<Core, 'call'>, report: TrayFailureReport) {
  return <M extends MethodName>(title: string, method: M, params: Params<M>): Promise<void> =>
    core.call(method, params).then(
      () => undefined,
      (error: unknown) => report(title, error instanceof PagevaultError ? error.toBody() : { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) }),
    );
}
