import type { ReactNode } from 'react';
import { Badge, Tooltip, type BadgeProps } from '@mantine/core';
import { IconAlertTriangle, IconClockPause, IconCopy, IconLock, IconLockOpen, IconShieldCheck, IconStack2 } from '@tabler/icons-react';
import type { BackupRecord, HeldCopy } from '../../../app/api/index.ts';
import { capitalized, describeClone, describeHeldCopy, describeVersion, formatBytes, HASHED_SAFETY_COPY, isHashedSafetyCopy, toneColor } from '../format.ts';

/** A badge whose explanation shows on hover and on keyboard focus (it is a tab stop for that). */
function ExplainedBadge({ detail, children, ...badge }: BadgeProps & { detail: string; children: ReactNode }) {
  return (
    <Tooltip label={detail} multiline maw={420} withArrow events={{ hover: true, focus: true, touch: true }}>
      {/* A visible label: the table gives the column the badge's whole width rather than cutting it short. */}
      <Badge {...badge} tabIndex={0} className="mantine-focus-auto" style={{ flexShrink: 0, cursor: 'help' }} styles={{ label: { overflow: 'visible' } }}>
        {children}
      </Badge>
    </Tooltip>
  );
}

/** Marks a backup of a database another program held, copied without a lock; says how on hover or focus. */
export function HeldCopyBadge({ heldCopy }: { heldCopy: HeldCopy | null }) {
  if (!heldCopy) return null;
  return (
    <ExplainedBadge detail={describeHeldCopy(heldCopy)} color="cyan" variant="outline" size="sm" leftSection={<IconLockOpen size={11} />}>
      Copied while in use
    </ExplainedBadge>
  );
}

/** Marks a backup cloned on a copy-on-write file system (a copied one, the usual case, has no badge); says what that means on hover or focus. */
export function CloneBadge({ entry }: { entry: Pick<BackupRecord, 'copyMethod' | 'bytes'> }) {
  if (entry.copyMethod !== 'cloned') return null;
  return (
    <ExplainedBadge detail={describeClone(entry.bytes)} color="indigo" variant="outline" size="sm" leftSection={<IconCopy size={11} />}>
      Cloned
    </ExplainedBadge>
  );
}

/** Marks a version in the database's vault, with the new data it stored; says what that means on hover or focus. */
export function VersionBadge({ entry }: { entry: Pick<BackupRecord, 'version' | 'bytes'> }) {
  if (!entry.version) return null;
  return (
    <ExplainedBadge detail={describeVersion(entry.version, entry.bytes)} color="teal" variant="outline" size="sm" leftSection={<IconStack2 size={11} />}>
      Version · +{formatBytes(entry.version.newBytes)}
    </ExplainedBadge>
  );
}

/** Marks a backup encrypted at rest with age (its file is a .age, or its vault is encrypted); says what opens it on hover or focus. */
export function EncryptedBadge({ entry }: { entry: Pick<BackupRecord, 'path' | 'version'> }) {
  const inVault = entry.version?.encrypted === true;
  if (!entry.path?.endsWith('.age') && !inVault) return null;
  const detail = inVault
    ? 'In an encrypted vault: its pages are encrypted with a data key sealed with age; Pagevault opens it with the key it keeps, and pagevault vault restore --identity recovery-key.txt (or --passphrase-file) without the app. Retention prunes it without the key.'
    : 'Encrypted at rest with age: Pagevault opens it with the key it keeps, and age -d -i recovery-key.txt (or age -d and the passphrase) opens it without Pagevault.';
  return (
    <ExplainedBadge detail={detail} color="violet" variant="outline" size="sm" leftSection={<IconLock size={11} />}>
      Encrypted
    </ExplainedBadge>
  );
}

/** Marks a backup that succeeded with warnings (the checkpoint helper's write-back failures); the text shows on hover or focus. */
export function WarningBadge({ warnings }: { warnings: readonly string[] }) {
  if (warnings.length === 0) return null;
  return (
    <ExplainedBadge detail={warnings.join(' ')} color="yellow" autoContrast size="sm" leftSection={<IconAlertTriangle size={11} />}>
      {warnings.length === 1 ? 'Warning' : `${warnings.length} warnings`}
    </ExplainedBadge>
  );
}

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
  if (entry.status === 'deferred') {
    return (
      <ExplainedBadge detail={entry.error?.message ?? 'Another program kept writing to the database; the next run tries again'} color={toneColor.calm} variant="light" leftSection={<IconClockPause size={12} />}>
        Deferred
      </ExplainedBadge>
    );
  }
  if (!entry.fileExists) return <Badge color="orange" variant="light">File missing</Badge>;
  if (entry.verification === 'passed') return <Badge color="teal" variant="light" leftSection={<IconShieldCheck size={12} />}>Verified</Badge>;
  if (entry.verification === 'failed') return <Badge color="red" variant="filled">Damaged</Badge>;
  if (isHashedSafetyCopy(entry)) {
    return (
      <ExplainedBadge detail={HASHED_SAFETY_COPY.detail} color={toneColor[HASHED_SAFETY_COPY.tone]} variant="light">
        {capitalized(HASHED_SAFETY_COPY.word)}
      </ExplainedBadge>
    );
  }
  return <Badge color="yellow" variant="light">Not verified</Badge>;
}

