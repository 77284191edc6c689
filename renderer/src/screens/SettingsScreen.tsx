import { Paper, SegmentedControl, SimpleGrid, Skeleton, Stack, Text, useMantineColorScheme, type MantineColorScheme } from '@mantine/core';
import { ScreenHeader } from '../components/ScreenHeader.tsx';
import { useAppStore } from '../store/app-store.ts';

export function SettingsScreen() {
  const { colorScheme, setColorScheme } = useMantineColorScheme();
  const info = useAppStore((s) => s.appInfo);
  const about: Array<[string, string | undefined]> = [
    ['Version', info?.version],
    ['Running as', info ? (info.shell === 'electron' ? 'Desktop app' : 'Browser UI (npm run web)') : undefined],
    ['Data folder', info?.dataDir],
    ['SQLite', info?.sqliteVersion],
    ['Node.js', info?.nodeVersion],
    ['Platform', info?.platform],
  ];
  return (
    <>
      <ScreenHeader title="Settings" description="How Pagevault looks and where it keeps its data." />
      <Stack gap="lg">
        <Paper withBorder p="lg" radius="md">
          <Text fw={600} id="theme-label">
            Theme
          </Text>
          <Text size="sm" c="dimmed" mb="sm">
            System follows your computer's light or dark setting.
          </Text>
          <SegmentedControl
            aria-labelledby="theme-label"
            value={colorScheme}
            onChange={(value) => setColorScheme(value as MantineColorScheme)}
            data={[
              { value: 'auto', label: 'System' },
              { value: 'light', label: 'Light' },
              { value: 'dark', label: 'Dark' },
            ]}
          />
        </Paper>
        <Paper withBorder p="lg" radius="md" role="region" aria-label="About Pagevault">
          <Text fw={600} mb="sm">
            About Pagevault
          </Text>
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            {about.map(([label, value]) => (
              <div key={label}>
                <Text size="xs" c="dimmed">
                  {label}
                </Text>
                {value ? (
                  <Text size="sm" style={{ wordBreak: 'break-all' }}>
                    {value}
                  </Text>
                ) : (
                  <Skeleton height={16} mt={4} width="60%" />
                )}
              </div>
            ))}
          </SimpleGrid>
        </Paper>
      </Stack>
    </>
  );
}
