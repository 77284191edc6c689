import { useState, type ReactNode } from 'react';
import { Button, NumberInput, Paper, SegmentedControl, SimpleGrid, Skeleton, Stack, Switch, Text, useMantineColorScheme } from '@mantine/core';
import type { Params, Settings, ThemeSetting } from '../../../app/api/index.ts';
import { limits } from '../../../app/api/limits.ts';
import { api, messageAt } from '../api/client.ts';
import { FolderInput } from '../components/FolderInput.tsx';
import { EncryptionSettings } from '../components/encryption/EncryptionSettings.tsx';
import { ScreenHeader } from '../components/ScreenHeader.tsx';
import { useAppStore } from '../store/app-store.ts';
import { useCatalogStore } from '../store/catalog-store.ts';

/** Saves one setting; resolves to the error message when the core refused it. */
async function saveSetting(changes: Params<'settings.update'>): Promise<string | undefined> {
  try {
    useCatalogStore.setState({ settings: await api.call('settings.update', changes) });
    return undefined;
  } catch (caught) {
    return messageAt(caught, Object.keys(changes)[0] ?? '');
  }
}

/** The settings that are on or off. */
type SwitchSetting = { [K in keyof Settings]: Settings[K] extends boolean ? K : never }[keyof Settings];

/** A switch that saves one on/off setting as it is flipped. */
function SettingSwitch({ settings, name, label, description }: { settings: Settings; name: SwitchSetting; label: string; description: string }) {
  return <Switch label={label} description={description} checked={settings[name]} onChange={(event) => void saveSetting({ [name]: event.currentTarget.checked })} />;
}

function Section({ title, description, children }: { title: string; description: string; children: ReactNode }) {
  return (
    <Paper withBorder p="lg" radius="md" role="region" aria-label={title}>
      <Text fw={600}>{title}</Text>
      <Text size="sm" c="dimmed" mb="md">
        {description}
      </Text>
      {children}
    </Paper>
  );
}

export function SettingsScreen() {
  const settings = useCatalogStore((s) => s.settings);
  return (
    <>
      <ScreenHeader title="Settings" description="How Pagevault backs up, tells you about it, and looks. Changes apply at once." />
      <Stack gap="lg">
        {settings ? <BackupSettings key={settings.defaultBackupFolder} settings={settings} /> : <Skeleton height={260} radius="md" />}
        <Section title="Encryption at rest" description="The default for every database's backups; a database can choose its own in its details. Encrypted backups open with the standard age tool.">
          <EncryptionSettings databaseId={null} />
        </Section>
        {settings && api.shell === 'electron' && <DesktopSettings settings={settings} />}
        <Appearance theme={settings?.theme} />
        <About />
      </Stack>
    </>
  );
}

function BackupSettings({ settings }: { settings: Settings }) {
  const [folder, setFolder] = useState(settings.defaultBackupFolder);
  const [folderError, setFolderError] = useState<string>();
  const [concurrency, setConcurrency] = useState<number | string>(settings.concurrency);
  const [concurrencyError, setConcurrencyError] = useState<string>();

  const saveFolder = async (value = folder) => {
    if (!value.trim()) return setFolderError('A folder is required');
    setFolderError(await saveSetting({ defaultBackupFolder: value.trim() }));
  };
  const saveConcurrency = async (value: number | string) => {
    setConcurrency(value);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 8) return setConcurrencyError('A number from 1 to 8');
    setConcurrencyError(await saveSetting({ concurrency: value }));
  };

  return (
    <Section title="Backups" description="Defaults for every database; each database's own folder and mode are set in its details.">
      <Stack gap="md">
        <form onSubmit={(event) => (event.preventDefault(), void saveFolder())}>
          <FolderInput
            label="Default backup folder"
            description="Databases added from now on get a subfolder here."
            value={folder}
            onChange={setFolder}
            onPicked={(picked) => (setFolder(picked), void saveFolder(picked))}
            error={folderError}
          >
            <Button mt={46} type="submit" variant="default" disabled={folder === settings.defaultBackupFolder}>
              Save
            </Button>
          </FolderInput>
        </form>
        <NumberInput
          label="Backups at the same time"
          description="More finishes sooner on fast disks; 1 is gentlest on the computer."
          min={limits.concurrency.min}
          max={limits.concurrency.max}
          allowDecimal={false}
          value={concurrency}
          onChange={(value) => void saveConcurrency(value)}
          error={concurrencyError}
          w={260}
        />
        <SettingSwitch
          settings={settings}
          name="verifyAfterBackup"
          label="Verify each backup after writing it"
          description="Runs quick_check and records the SHA-256; takes a little longer."
        />
        <SettingSwitch settings={settings} name="notifyOnSuccess" label="Notify me when a backup succeeds" description="A failed backup always notifies you, with the reason." />
      </Stack>
    </Section>
  );
}

function DesktopSettings({ settings }: { settings: Settings }) {
  return (
    <Section title="Desktop" description="How Pagevault runs on this computer, so scheduled backups happen while you work.">
      <Stack gap="md">
        <SettingSwitch
          settings={settings}
          name="closeToTray"
          label="Keep running in the tray when the window is closed"
          description="Schedules keep running; quit from the tray icon’s menu."
        />
        <SettingSwitch settings={settings} name="startAtLogin" label="Start Pagevault when I log in" description="It starts in the tray, so scheduled backups are not missed." />
      </Stack>
    </Section>
  );
}

function Appearance({ theme }: { theme: ThemeSetting | undefined }) {
  const { colorScheme, setColorScheme } = useMantineColorScheme();
  const value = theme ?? (colorScheme === 'auto' ? 'system' : colorScheme);
  return (
    <Section title="Theme" description="System follows your computer's light or dark setting.">
      <SegmentedControl
        aria-label="Theme"
        value={value}
        onChange={(next) => {
          setColorScheme(next === 'system' ? 'auto' : (next as 'light' | 'dark'));
          void saveSetting({ theme: next as ThemeSetting });
        }}
        data={[
          { value: 'system', label: 'System' },
          { value: 'light', label: 'Light' },
          { value: 'dark', label: 'Dark' },
        ]}
      />
    </Section>
  );
}

function About() {
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
  );
}
