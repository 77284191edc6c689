/** The schedules the Schedules screen lists, reloaded whenever schedules or the history change. */
import { create } from 'zustand';
import { notifications } from '@mantine/notifications';
import type { ScheduleInfo } from '../../../app/api/index.ts';
import { api } from '../api/client.ts';
import { loadInBackground } from './background-loads.ts';
import { usesHour12 } from './schedule-form.ts';

interface SchedulesState {
  schedules: ScheduleInfo[];
  loaded: boolean;
}

export const useSchedulesStore = create<SchedulesState>(() => ({ schedules: [], loaded: false }));

/** Reloads the schedules from the core. */
export async function reloadSchedules(): Promise<void> {
  const schedules = await api.call('schedules.list', { hour12: usesHour12() });
  useSchedulesStore.setState({ schedules, loaded: true });
}

/** Loads when connected, follows changes, and tells the user when missed runs were caught up. */
export function startSchedulesStore(): void {
  api.on('catalog.changed', ({ topic }) => {
    // A scheduled run's result shows as the schedule's last result.
    if (topic === 'schedules' || topic === 'history' || topic === 'databases') void loadInBackground('the schedules', reloadSchedules);
  });
  api.on('schedules.caughtUp', (summary) => {
    notifications.show({ color: 'blue', title: 'Missed backups caught up', message: summary.message, autoClose: 15_000 });
  });
  api.onConnection((state) => {
    if (state === 'open') void loadInBackground('the schedules', reloadSchedules);
  });
}

/** The schedule of a database, if it has one. */
export function selectScheduleOf(state: SchedulesState, databaseId: number): ScheduleInfo | undefined {
  return state.schedules.find((schedule) => schedule.databaseId === databaseId);
}
