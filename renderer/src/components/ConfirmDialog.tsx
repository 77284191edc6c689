import { useState, type ReactNode } from 'react';
import { Button, Group, Modal, Stack } from '@mantine/core';

/**
 * "Delete this backup?", "Remove this database?": what happens, a button that keeps
 * things as they are and a red one that goes ahead. `onConfirm` resolves to true when
 * the dialog may close (it reports its own failure and stays open otherwise).
 */
export function ConfirmDialog({
  opened,
  title,
  closeLabel,
  confirmLabel,
  onConfirm,
  onClose,
  children,
}: {
  opened: boolean;
  title: string;
  /** The accessible name of the close button: what closing does ("Close without deleting the backup"). */
  closeLabel: string;
  confirmLabel: string;
  onConfirm: () => Promise<boolean>;
  onClose: () => void;
  children: ReactNode;
}) {
  const [busy, setBusy] = useState(false);
  const confirm = async () => {
    setBusy(true);
    try {
      if (await onConfirm()) onClose();
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal opened={opened} onClose={onClose} title={title} closeButtonProps={{ 'aria-label': closeLabel }} centered>
      <Stack>
        {children}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Keep it
          </Button>
          <Button color="red" loading={busy} onClick={() => void confirm()}>
            {confirmLabel}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
