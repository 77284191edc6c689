import type { ReactNode } from 'react';
import { SimpleGrid, Text } from '@mantine/core';

/** A grid of small labelled facts: "Size 1.0 MB", "Pages 246 × 4,096 bytes". */
export function Facts({ facts, cols = 3 }: { facts: Array<[string, ReactNode]>; cols?: number }) {
  return (
    <SimpleGrid cols={{ base: 2, sm: cols }} spacing="xs" verticalSpacing="sm">
      {facts.map(([label, value]) => (
        <div key={label} style={{ minWidth: 0 }}>
          <Text size="xs" c="dimmed">
            {label}
          </Text>
          <Text size="sm" component="div" style={{ overflowWrap: 'anywhere' }}>
            {value}
          </Text>
        </div>
      ))}
    </SimpleGrid>
  );
}
