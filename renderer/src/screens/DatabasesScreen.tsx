import { useState } from 'react';
import { Button, Group, Paper, Stack, Text } from '@mantine/core';
import { IconDatabase, IconDeviceDesktopSearch, IconPlayerPlay } from '@tabler/icons-react';
import { AddDatabaseForm } from '../components/AddDatabaseForm.tsx';
import { DatabaseDrawer } from '../components/DatabaseDrawer.tsx';
import { DatabasesLoading } from '../components/DatabasesLoading.tsx';
import { DatabaseTable } from '../components/DatabaseTable.tsx';
import { DiscoveryPanel } from '../components/DiscoveryPanel.tsx';
import { EmptyState } from '../components/EmptyState.tsx';
import { InspectPanel } from '../components/InspectPanel.tsx';
import { ScreenHeader } from '../components/ScreenHeader.tsx';
import { useCatalogStore } from '../store/catalog-store.ts';
import { backupAllNow } from '../store/database-actions.ts';
import { scanForDatabases, useDiscoveryStore } from '../store/discovery-store.ts';

export function DatabasesScreen() {
  const databases = useCatalogStore((s) => s.databases);
  const loaded = useCatalogStore((s) => s.databasesLoaded);
  const [detailsOf, setDetailsOf] = useState<number>();
  const discovering = useDiscoveryStore((s) => s.open);
  // From the press until the core answers: a second press would only be refused for every database.
  const [startingAll, setStartingAll] = useState(false);
  const startAll = () => {
    setStartingAll(true);
    void backupAllNow().finally(() => setStartingAll(false));
  };
  const find = (
    <Button variant="default" leftSection={<IconDeviceDesktopSearch size={16} />} onClick={() => void scanForDatabases()}>
      Find databases on this computer
    </Button>
  );

  return (
    <>
      <ScreenHeader
        title="Databases"
        description="The SQLite databases Pagevault keeps safe, and their latest backups."
        actions={
          databases.length > 0 && (
            <Group gap="sm" wrap="nowrap">
              {!discovering && find}
              <Button variant="light" leftSection={<IconPlayerPlay size={16} />} loading={startingAll} onClick={startAll}>
                Backup all now
              </Button>
            </Group>
          )
        }
      />
      <Stack gap="lg">
        <AddDatabaseForm />
        <DiscoveryPanel />
        {!loaded ? (
          <DatabasesLoading />
        ) : databases.length === 0 ? (
          <>
            <EmptyState icon={<IconDatabase size={32} />} title="No databases yet" action={!discovering && find}>
              Pagevault copies SQLite databases while the apps that own them keep running: Zotero, Anki, Lightroom, Firefox
              profiles, your own projects. Add one above to take its first backup, or let Pagevault find the databases of the apps you use.
            </EmptyState>
            <Paper withBorder p="lg" radius="md">
              <Text fw={600} mb="sm">
                Check a database file first
              </Text>
              <InspectPanel />
            </Paper>
          </>
        ) : (
          <DatabaseTable databases={databases} onDetails={setDetailsOf} />
        )}
      </Stack>
      <DatabaseDrawer databaseId={detailsOf} onClose={() => setDetailsOf(undefined)} />
    </>
  );
}
