import { Button } from '@mantine/core';
import { IconCalendarTime } from '@tabler/icons-react';
import { EmptyState } from '../components/EmptyState.tsx';
import { ScreenHeader } from '../components/ScreenHeader.tsx';
import { navigate } from '../store/app-store.ts';

export function SchedulesScreen() {
  return (
    <>
      <ScreenHeader title="Schedules" description="Backups that happen by themselves, with retention that keeps the folder tidy." />
      <EmptyState
        icon={<IconCalendarTime size={32} />}
        title="No schedules yet"
        action={<Button variant="light" onClick={() => navigate('databases')}>Go to Databases</Button>}
      >
        A schedule backs a database up every few hours, daily or weekly, and catches up after the computer was
        asleep. Each database gets its schedule once it is added on the Databases screen.
      </EmptyState>
    </>
  );
}
