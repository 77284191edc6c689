import { useState, type ReactNode } from 'react';
import { Box, Overlay, Stack, Text } from '@mantine/core';
import { IconFileImport } from '@tabler/icons-react';

/** A region that takes dropped files, with a clear drop target shown while dragging over it. */
export function FileDropZone({ label, onFiles, children }: { label: string; onFiles: (files: File[]) => void; children: ReactNode }) {
  const [dragging, setDragging] = useState(false);
  return (
    <Box
      pos="relative"
      onDragOver={(event) => {
        if (!event.dataTransfer.types.includes('Files')) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = 'copy';
        setDragging(true);
      }}
      onDragLeave={(event) => {
        if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDragging(false);
      }}
      onDrop={(event) => {
        event.preventDefault();
        setDragging(false);
        const files = [...event.dataTransfer.files];
        if (files.length > 0) onFiles(files);
      }}
    >
      {dragging && (
        <Overlay color="var(--mantine-color-body)" backgroundOpacity={0.9} radius="md" zIndex={50} center style={{ border: '2px dashed var(--mantine-primary-color-filled)' }}>
          <Stack align="center" gap={4} role="status">
            <IconFileImport size={40} color="var(--mantine-primary-color-filled)" />
            <Text fw={600} size="lg">
              {label}
            </Text>
          </Stack>
        </Overlay>
      )}
      {children}
    </Box>
  );
}
