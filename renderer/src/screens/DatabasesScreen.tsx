import { useState } from 'react';
import { Alert, Button, Paper, Skeleton, Stack, Text } from '@mantine/core';
import { IconAlertTriangle, IconDatabase, IconPlayerPlay } from '@tabler/icons-react';
import { AddDatabaseForm } from '../components/AddDatabaseForm.tsx';
import { DatabaseDrawer } from '../components/DatabaseDrawer.tsx';
import { DatabaseTable } from '../components/DatabaseTable.tsx';
import { FileDropZone } from '../components/FileDropZone.tsx';
import { EmptyState } from '../components/EmptyState.tsx';
import { InspectPanel } from '../components/InspectPanel.tsx';
import { ScreenHeader } from '../components/ScreenHeader.tsx';
import { useCatalogStore } from '../store/catalog-store.ts';
import { api } from '../api/client.ts';
import { addDatabases, backupAllNow } from '../store/database-actions.ts';

export function DatabasesScreen() {
  const databases = useCatalogStore((s) => s.databases);
  const loaded = useCatalogStore((s) => s.databasesLoaded);
  const [detailsOf, setDetailsOf] = useState<number>();
  const [dropError, setDropError] = useState<string>();

  const onFiles = async (files: File[]) => {
    if (!api.pathForFile) {
      setDropError('A browser does not tell Pagevault where a dropped file is on disk. Type or paste its path above; dropping files works in the desktop app.');
      return;
    }
    const failures = await addDatabases(files.map((file) => api.pathForFile!(file)));
    setDropError(failures.length > 0 ? failures.join('\n') : undefined);
  };

  return (
    <>
      <ScreenHeader
        title="Databases"
        description="The SQLite databases Pagevault keeps safe, and their latest backups."
        actions={
          databases.length > 0 && (
            <Button variant="light" leftSection={<IconPlayerPlay size={16} />} onClick={() => void backupAllNow()}>
              Backup all now
            </Button>
          )
        }
      />
      <FileDropZone label="Drop database files to add them" onFiles={(files) => void onFiles(files)}>
      <Stack gap="lg">
        <AddDatabaseForm />
        {dropError && (
          <Alert color="red" icon={<IconAlertTriangle size={18} />} title="Not added" withCloseButton onClose={() => setDropError(undefined)} role="alert" style={{ whiteSpace: 'pre-line' }}>
            {dropError}
          </Alert>
        )}
        {!loaded ? (
          <Skeleton height={120} radius="md" />
        ) : databases.length === 0 ? (
          <>
            <EmptyState icon={<IconDatabase size={32} />} title="No databases yet">
              Pagevault copies SQLite databases while the apps that own them keep running: Zotero, Anki, Lightroom, Firefox
              profiles, your own projects. Add one above to take its first backup.
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
      </FileDropZone>
      <DatabaseDrawer databaseId={detailsOf} onClose={() => setDetailsOf(undefined)} />
    </>
  );
}
