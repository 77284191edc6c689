import { Badge } from '@mantine/core';
import { IconShieldCheck } from '@tabler/icons-react';
import type { BackupRecord } from '../../../app/api/index.ts';

/** Marks the entries that were not a plain Backup now: safety copies and imports. */
export function TriggerBadge({ trigger }: { trigger: BackupRecord['trigger'] }) {
  if (trigger === 'before-restore') return <Badge size="xs" variant="outline" color="grape" style={{ flexShrink: 0 }}>Before restore</Badge>;
  if (trigger === 'schedule') return <Badge size="xs" variant="outline" color="blue" style={{ flexShrink: 0 }}>Scheduled</Badge>;
  if (trigger === 'import') return <Badge size="xs" variant="outline" color="gray" style={{ flexShrink: 0 }}>Imported</Badge>;
  return null;
}

/** How a history entry ended and whether its file is sound. */
export function StatusBadge({ entry }: { entry: BackupRecord }) {
  if (entry.status === 'failed') return <Badge color="red" variant="light">Failed</Badge>;
  if (entry.status === 'cancelled') return <Badge color="gray" variant="light">Cancelled</Badge>;
  if (entry.status === 'skipped') return <Badge color="gray" variant="outline">Skipped</Badge>;
  if (entry.status === 'missed') return <Badge color="orange" variant="outline">Missed</Badge>;
  if (entry.status === 'interrupted') return <Badge color="red" variant="outline">Interrupted</Badge>;
  if (!entry.fileExists) return <Badge color="orange" variant="light">File missing</Badge>;
  if (entry.verification === 'passed') return <Badge color="teal" variant="light" leftSection={<IconShieldCheck size={12} />}>Verified</Badge>;
  if (entry.verification === 'failed') return <Badge color="red" variant="filled">Damaged</Badge>;
  return <Badge color="yellow" variant="light">Not verified</Badge>;
}

