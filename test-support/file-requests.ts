/**
 * Counting the fs/promises requests a call starts, to prove it looks at files off the thread
 * that serves the UI and all at once: Node creates an FSREQPROMISE resource for each
 * fs/promises request, and none for a synchronous call, as async_hooks shows.
 */
import { createHook } from 'node:async_hooks';

/** The fs/promises requests `run` starts, and how many were under way before the first answered. */
export async function countingFileRequests<T>(run: () => Promise<T>): Promise<{ value: T; requests: number; beforeFirstAnswer: number | undefined }> {
  const requests = new Set<number>();
  let beforeFirstAnswer: number | undefined;
  const hook = createHook({
    init(id, type) {
      if (type === 'FSREQPROMISE') requests.add(id);
    },
    before(id) {
      if (requests.has(id)) beforeFirstAnswer ??= requests.size;
    },
  });
  hook.enable();
  try {
    const value = await run();
    return { value, requests: requests.size, beforeFirstAnswer };
  } finally {
    hook.disable();
  }
}
