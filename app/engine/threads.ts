/**
 * The options a worker thread of this process is started with. Undefined, so that the
 * thread inherits the process's own, as Node leaves out those a thread cannot take (V8's,
 * such as `--max-old-space-size` or `--trace-gc`, and the process's, such as `--title`):
 * given explicitly, any of them made every operation fail (ERR_WORKER_INVALID_EXEC_ARGV).
 * Only a process run as `node --input-type=module -e …` gets a list: `--input-type` is
 * meant for `-e` text only, and a thread inheriting it cannot load its file.
 */
export function threadExecArgv(): string[] | undefined {
  if (!process.execArgv.some((option) => option.startsWith('--input-type'))) return undefined;
  return process.execArgv.filter((option) => !option.startsWith('--input-type'));
}
