/**
 * The options a worker thread of this process is started with: the process's own, minus
 * `--input-type`, which is meant for `-e` text only: a thread started with it cannot load
 * its file, so a process run as `node --input-type=module -e …` failed every operation.
 */
export function threadExecArgv(): string[] {
  return process.execArgv.filter((option) => !option.startsWith('--input-type'));
}
