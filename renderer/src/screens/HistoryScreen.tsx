import { Button } from '@mantine/core';
import { IconHistory } from '@tabler/icons-react';
import { EmptyState } from '../components/EmptyState.tsx';
import { ScreenHeader } from '../components/ScreenHeader.tsx';
import { navigate } from '../store/app-store.ts';

export function HistoryScreen() {
  return (
    <>
      <ScreenHeader title="History" description="Every backup taken, by hand or on a schedule, newest first." />
      <EmptyState
        icon={<IconHistory size={32} />}
        title="No backups yet"
        action={<Button variant="light" onClick={() => navigate('databases')}>Go to Databases</Button>}
      >
        Each backup appears here with its size, how long it took and whether it was verified. Take the first one
        from the Databases screen.
      </EmptyState>
    </>
  );
}
