import { useEffect, useState, type ReactNode } from 'react';
import { Box, Button, Group, Modal, Portal, Progress, Stack, Text, ThemeIcon } from '@mantine/core';
import { useReducedMotion } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconDatabasePlus, IconRestore } from '@tabler/icons-react';
import type { ErrorCode } from '../../../app/api/index.ts';
import { api } from '../api/client.ts';
import { useAppStore } from '../store/app-store.ts';
import { addDatabases } from '../store/database-actions.ts';
import { judgeDrop, restorableExtensions } from '../store/drop-rules.ts';
import { cancelStaging, restoreDroppedFile, useRestoreStore } from '../store/restore-store.ts';

type DropAction = 'restore' | 'add';

const hasFiles = (event: DragEvent) => event.dataTransfer?.types.includes('Files') ?? false;
const actionAt = (target: EventTarget | null): DropAction =>
  (target instanceof Element ? target.closest('[data-drop-action]')?.getAttribute('data-drop-action') : null) === 'add' ? 'add' : 'restore';

/**
 * Files dragged anywhere over the window: a full-window drop target. A backup dropped on
 * it opens the restore wizard at its check; on the Databases screen a second target adds
 * databases instead. Anything else is refused with what was expected, and nothing changes.
 */
export function WindowDropTarget() {
  const screen = useAppStore((s) => s.screen);
  const [dragging, setDragging] = useState(false);
  const [hovered, setHovered] = useState<DropAction>('restore');
  const offerAdd = screen === 'databases';

  useEffect(() => {
    let depth = 0;
    const enter = (event: DragEvent) => {
      if (!hasFiles(event)) return;
      depth += 1;
      setDragging(true);
    };
    const leave = (event: DragEvent) => {
      if (!hasFiles(event)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const over = (event: DragEvent) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      event.dataTransfer!.dropEffect = 'copy';
      setDragging(true);
      setHovered(actionAt(event.target));
    };
    const drop = (event: DragEvent) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      depth = 0;
      setDragging(false);
      void handleDrop(event.dataTransfer!, offerAdd ? actionAt(event.target) : 'restore');
    };
    const end = () => {
      depth = 0;
      setDragging(false);
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragleave', leave);
    window.addEventListener('dragover', over);
    window.addEventListener('drop', drop);
    window.addEventListener('dragend', end);
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('dragover', over);
      window.removeEventListener('drop', drop);
      window.removeEventListener('dragend', end);
    };
  }, [offerAdd]);

  return (
    <>
      {dragging && (
        <Portal>
          <Box
            role="dialog"
            aria-label="Drop files"
            style={{
              position: 'fixed',
              inset: 0,
              zIndex: 400,
              display: 'flex',
              gap: 'var(--mantine-spacing-lg)',
              padding: 'var(--mantine-spacing-xl)',
              background: 'color-mix(in srgb, var(--mantine-color-body) 88%, transparent)',
              backdropFilter: 'blur(3px)',
            }}
          >
            <DropZone action="restore" active={!offerAdd || hovered === 'restore'} icon={<IconRestore size={40} />} title="Drop a backup to restore it">
              A {restorableExtensions.filter((extension) => extension !== '.age').join(', ')} file or a Pagevault backup, encrypted (.db.age) or not. It is checked before anything changes.
            </DropZone>
            {offerAdd && (
              <DropZone action="add" active={hovered === 'add'} icon={<IconDatabasePlus size={40} />} title="Drop databases to add them">
                {api.pathForFile ? 'Pagevault backs them up from then on.' : 'Adding by drop needs the desktop app; here, type the path instead.'}
              </DropZone>
            )}
          </Box>
        </Portal>
      )}
      <StagingProgress />
    </>
  );
}

function DropZone({ action, active, icon, title, children }: { action: DropAction; active: boolean; icon: ReactNode; title: string; children: ReactNode }) {
  const reduceMotion = useReducedMotion();
  return (
    <Stack
      data-drop-action={action}
      align="center"
      justify="center"
      gap="xs"
      flex={1}
      p="xl"
      ta="center"
      style={{
        borderRadius: 'var(--mantine-radius-lg)',
        border: `2px dashed ${active ? 'var(--mantine-primary-color-filled)' : 'var(--mantine-color-default-border)'}`,
        background: active ? 'var(--mantine-primary-color-light)' : 'transparent',
        transition: reduceMotion ? 'none' : 'background 120ms, border-color 120ms',
      }}
    >
      <ThemeIcon size={72} radius="xl" variant={active ? 'filled' : 'light'} style={{ pointerEvents: 'none' }}>
        {icon}
      </ThemeIcon>
      <Text fw={700} size="xl" style={{ pointerEvents: 'none' }}>
        {title}
      </Text>
      <Text c="dimmed" maw={360} style={{ pointerEvents: 'none' }}>
        {children}
      </Text>
    </Stack>
  );
}

/** The upload of a dropped file to the host (browser shell), with Cancel. */
function StagingProgress() {
  const staging = useRestoreStore((s) => s.staging);
  const percent = Math.floor((staging?.fraction ?? 0) * 100);
  return (
    <Modal opened={staging !== null} onClose={cancelStaging} withCloseButton={false} closeOnClickOutside={false} centered title={staging ? `Copying ${staging.name} into Pagevault` : ''}>
      <Stack gap="sm">
        <Text size="sm" c="dimmed">
          A browser cannot tell Pagevault where a dropped file is, so it is copied into Pagevault’s data folder first.
        </Text>
        <Progress value={percent} size="lg" animated aria-label={`Copying ${staging?.name ?? ''}`} />
        <Group justify="space-between">
          <Text size="sm" ff="monospace">
            {percent}%
          </Text>
          <Button variant="default" size="compact-sm" onClick={cancelStaging}>
            Cancel
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

async function handleDrop(transfer: DataTransfer, action: DropAction): Promise<void> {
  const items = [...transfer.items]
    .filter((item) => item.kind === 'file')
    .map((item) => {
      const file = item.getAsFile();
      const entry = item.webkitGetAsEntry?.();
      return { file, name: file?.name ?? 'The dropped item', kind: entry?.isDirectory ? ('directory' as const) : ('file' as const) };
    });
  if (action === 'add') {
    if (!api.pathForFile) {
      refuse('Not added', 'A browser does not tell Pagevault where a dropped file is on disk. Type or paste its path instead; dropping files to add them works in the desktop app.');
      return;
    }
    const { failures } = await addDatabases(items.flatMap((item) => (item.file ? [api.pathForFile!(item.file)] : [])));
    if (failures.length > 0) refuse('Not added', failures.join('\n'));
    return;
  }
  const verdict = judgeDrop(items);
  if (!verdict.ok) {
    refuse('Nothing to restore', verdict.message);
    return;
  }
  try {
    await restoreDroppedFile(verdict.item.file!);
  } catch (caught) {
    const error = caught as Error & { code?: ErrorCode };
    if (error.code !== 'CANCELLED') refuse('Cannot restore from this file', error.message);
  }
}

function refuse(title: string, message: string): void {
  notifications.show({ color: 'red', title, message, autoClose: 10_000, style: { whiteSpace: 'pre-line' } });
}
