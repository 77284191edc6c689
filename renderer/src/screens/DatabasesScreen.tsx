import { Paper, Text } from '@mantine/core';
import { IconDatabase } from '@tabler/icons-react';
import { EmptyState } from '../components/EmptyState.tsx';
import { InspectPanel } from '../components/InspectPanel.tsx';
import { ScreenHeader } from '../components/ScreenHeader.tsx';

export function DatabasesScreen() {
  return (
    <>
      <ScreenHeader title="Databases" description="The SQLite databases Pagevault keeps safe, and their latest backups." />
      <EmptyState icon={<IconDatabase size={32} />} title="No databases yet">
        Pagevault copies SQLite databases while the apps that own them keep running: Zotero, Anki, Lightroom,
        Firefox profiles, your own projects. Start by checking a database file below to see what Pagevault reads
        from it.
      </EmptyState>
      <Paper withBorder p="lg" radius="md">
        <Text fw={600} mb="sm">
          Check a database file
        </Text>
        <InspectPanel />
      </Paper>
    </>
  );
}
