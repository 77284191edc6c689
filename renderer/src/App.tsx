import { useEffect, type ComponentType } from 'react';
import { Alert, AppShell, Group, NavLink, ScrollArea, Text, Title, useMantineColorScheme } from '@mantine/core';
import { IconCalendarTime, IconDatabase, IconHistory, IconPlugConnectedX, IconRestore, IconSettings } from '@tabler/icons-react';
import { WindowDropTarget } from './components/WindowDropTarget.tsx';
import { navigate, useAppStore } from './store/app-store.ts';
import { useCatalogStore } from './store/catalog-store.ts';
import type { Screen } from './store/screens.ts';
import { DatabasesScreen } from './screens/DatabasesScreen.tsx';
import { HistoryScreen } from './screens/HistoryScreen.tsx';
import { RestoreScreen } from './screens/RestoreScreen.tsx';
import { SchedulesScreen } from './screens/SchedulesScreen.tsx';
import { SettingsScreen } from './screens/SettingsScreen.tsx';

const navigation: Array<{ screen: Screen; label: string; icon: ComponentType<{ size?: number; stroke?: number }>; body: ComponentType }> = [
  { screen: 'databases', label: 'Databases', icon: IconDatabase, body: DatabasesScreen },
  { screen: 'schedules', label: 'Schedules', icon: IconCalendarTime, body: SchedulesScreen },
  { screen: 'history', label: 'History', icon: IconHistory, body: HistoryScreen },
  { screen: 'restore', label: 'Restore', icon: IconRestore, body: RestoreScreen },
  { screen: 'settings', label: 'Settings', icon: IconSettings, body: SettingsScreen },
];

/** Applies the theme setting from the catalog, so every window and reload agrees. */
function useThemeSetting(): void {
  const theme = useCatalogStore((s) => s.settings?.theme);
  const { setColorScheme } = useMantineColorScheme();
  useEffect(() => {
    if (theme) setColorScheme(theme === 'system' ? 'auto' : theme);
  }, [theme, setColorScheme]);
}

export function App() {
  useThemeSetting();
  const screen = useAppStore((s) => s.screen);
  const connection = useAppStore((s) => s.connection);
  const connectionDetail = useAppStore((s) => s.connectionDetail);
  const current = navigation.find((item) => item.screen === screen) ?? navigation[0]!;
  const Body = current.body;

  return (
    <AppShell navbar={{ width: 220, breakpoint: 0 }} padding="xl">
      <AppShell.Navbar p="sm" component="nav" aria-label="Main">
        <Group gap="xs" px="xs" py="md" wrap="nowrap">
          <img src="/icon.svg" alt="" width={28} height={28} />
          <Title order={4}>Pagevault</Title>
        </Group>
        <AppShell.Section grow component={ScrollArea}>
          {navigation.map(({ screen: target, label, icon: Icon }) => (
            <NavLink
              key={target}
              href={`#/${target}`}
              label={label}
              leftSection={<Icon size={18} stroke={1.6} />}
              active={target === screen}
              aria-current={target === screen ? 'page' : undefined}
              onClick={(event) => {
                event.preventDefault();
                navigate(target);
              }}
              styles={{ root: { borderRadius: 'var(--mantine-radius-md)' } }}
            />
          ))}
        </AppShell.Section>
        <Text size="xs" c="dimmed" px="xs">
          Backups of live SQLite databases
        </Text>
      </AppShell.Navbar>
      <AppShell.Main>
        <div style={{ maxWidth: 960, margin: '0 auto' }}>
          {connection === 'reconnecting' && (
            <Alert color="yellow" icon={<IconPlugConnectedX size={18} />} mb="md" title="Connection lost" role="status">
              {connectionDetail ? `${connectionDetail}. ` : ''}Reconnecting to Pagevault… Running backups continue in the background.
            </Alert>
          )}
          {connection === 'unauthorized' && (
            <Alert color="red" icon={<IconPlugConnectedX size={18} />} mb="md" title="Not signed in" role="alert">
              {connectionDetail}
            </Alert>
          )}
          <section aria-label={current.label}>
            <Body />
          </section>
        </div>
      </AppShell.Main>
      <WindowDropTarget />
    </AppShell>
  );
}
