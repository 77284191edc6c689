import type { ReactNode } from 'react';
import { Button, Group, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconFolderOpen } from '@tabler/icons-react';
import { api } from '../api/client.ts';

const monospace = { input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 'var(--mantine-font-size-xs)' } };

/**
 * A folder path to type or paste, with "Choose…" for the system's folder dialog in the
 * desktop app. `children` (a Save button, say) sits between the field and "Choose…".
 */
export function FolderInput({
  label,
  description,
  placeholder,
  autoFocus,
  value,
  onChange,
  onPicked = onChange,
  error,
  children,
}: {
  label: string;
  description?: string;
  placeholder?: string;
  /** Focused when its dialog opens. */
  autoFocus?: boolean;
  value: string;
  onChange: (value: string) => void;
  /** Called with the folder chosen in the dialog (default: `onChange`). */
  onPicked?: (value: string) => void;
  error?: string;
  children?: ReactNode;
}) {
  const choose = async () => {
    try {
      const { paths } = await api.call('files.pick', { purpose: 'folder' });
      if (paths[0]) onPicked(paths[0]);
    } catch (caught) {
      notifications.show({ color: 'red', title: 'Cannot open the folder dialog', message: (caught as Error).message });
    }
  };
  return (
    <Group align="flex-start" gap="xs" wrap="nowrap">
      <TextInput
        flex={1}
        label={label}
        description={description}
        placeholder={placeholder}
        data-autofocus={autoFocus || undefined}
        value={value}
        onChange={(event) => onChange(event.currentTarget.value)}
        error={error}
        spellCheck={false}
        styles={monospace}
      />
      {children}
      {api.shell === 'electron' && (
        <Button mt={description ? 46 : 25} variant="default" leftSection={<IconFolderOpen size={16} />} onClick={() => void choose()}>
          Choose…
        </Button>
      )}
    </Group>
  );
}
