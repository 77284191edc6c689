import { Alert, Button, Group, Skeleton, Text } from '@mantine/core';
import { IconAlertTriangle, IconRefresh } from '@tabler/icons-react';
import { reloadDatabasesInBackground, useCatalogStore } from '../store/catalog-store.ts';

/**
 * What a screen listing the databases shows before the first list arrives: a skeleton
 * while it loads, and the core's reason with a way to try again when it could not load,
 * rather than a skeleton forever.
 */
export function DatabasesLoading() {
  const error = useCatalogStore((s) => s.databasesError);
  if (!error) return <Skeleton height={120} radius="md" />;
  return (
    <Alert color="red" icon={<IconAlertTriangle size={18} />} title="Could not load the databases" role="alert">
      <Group justify="space-between" wrap="nowrap" align="flex-start">
        <Text size="sm">{error}</Text>
        <Button size="compact-sm" variant="default" leftSection={<IconRefresh size={14} />} onClick={() => void reloadDatabasesInBackground()}>
          Try again
        </Button>
      </Group>
    </Alert>
  );
}
