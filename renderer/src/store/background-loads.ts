/**
 * Loads nobody awaits for an answer: the lists a store fetches on connecting and on a
 * change event, and the reload after an action that itself succeeded. A failure cannot go
 * back to a button, so it is shown once per list (a notification that stays until the next
 * load of that list succeeds, which hides it) instead of vanishing, and the screen keeps
 * what it had.
 */
import { notifications } from '@mantine/notifications';

interface BackgroundLoadOptions {
  /** True while a screen shows this failure itself (a first load has nothing to keep). */
  shownElsewhere?: () => boolean;
}

/** Runs `load` for the list named `what` ("the databases"); resolves once it ended, either way. */
export async function loadInBackground(what: string, load: () => Promise<unknown>, options: BackgroundLoadOptions = {}): Promise<void> {
  const id = `load-${what.replace(/\W+/g, '-')}`;
  try {
    await load();
    notifications.hide(id);
  } catch (error) {
    if (options.shownElsewhere?.()) return;
    const reason = error instanceof Error ? error.message : String(error);
    notifications.show({
      id,
      color: 'red',
      title: `Could not load ${what}`,
      message: `${reason}. What is shown may be out of date; it loads again at the next change, or reload the window.`,
      autoClose: false,
    });
  }
}
