import { Paper, Text } from '@mantine/core';
import { IconRestore } from '@tabler/icons-react';
import { EmptyState } from '../components/EmptyState.tsx';
import { ScreenHeader } from '../components/ScreenHeader.tsx';
import { VerifyPanel } from '../components/VerifyPanel.tsx';

export function RestoreScreen() {
  return (
    <>
      <ScreenHeader title="Restore" description="Bring a database back from a backup, with a safety copy first." />
      <EmptyState icon={<IconRestore size={32} />} title="Nothing to restore yet">
        Restoring starts from a backup file. Before anything is replaced, Pagevault checks the backup and keeps a
        copy of the current database. Check a backup file below to see whether it is sound.
      </EmptyState>
      <Paper withBorder p="lg" radius="md">
        <Text fw={600} mb="sm">
          Check a backup file
        </Text>
        <VerifyPanel />
      </Paper>
    </>
  );
}
