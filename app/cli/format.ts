/** Text the CLI prints: the progress line, readable results, and the exit code of an outcome. */
import type { ErrorCode } from '../api/errors.ts';
import type { BackupResult, DatabaseSummary, DiscoveryResult, HeldCopy, InspectResult, VerifyResult } from '../api/types.ts';
import type { EngineProgress } from '../engine/index.ts';
import type { VaultBackupResult, VaultDeleteResult, VaultPruneResult, VaultVerifyResult, VaultVersion } from '../vault/vault.ts';

const phaseLabel: Record<EngineProgress['phase'], string> = {
  prepare: 'preparing',
  check: 'checking backup',
  'safety-copy': 'safety copy',
  copy: 'copying',
  finalize: 'finishing',
  verify: 'verifying',
};

/** `copying  [########------]  57%  1,234/2,160 pages  412.3 MB/s  1 restart` fitted to `width`. */
export function formatProgressLine(p: EngineProgress, width: number): string {
  const fraction = p.totalPages > 0 ? (p.totalPages - p.remainingPages) / p.totalPages : 0;
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const pages = `${(p.totalPages - p.remainingPages).toLocaleString('en-US')}/${p.totalPages.toLocaleString('en-US')} pages`;
  const rate = p.bytesPerSecond > 0 ? `${(p.bytesPerSecond / 1e6).toFixed(1)} MB/s` : '';
  const restarts = p.restarts > 0 ? `${p.restarts} restart${p.restarts === 1 ? '' : 's'}` : '';
  const tail = [percent, pages, rate, restarts].filter(Boolean).join('  ');
  const label = phaseLabel[p.phase].padEnd(11);
  const barWidth = Math.max(10, Math.min(40, width - label.length - tail.length - 6));
  const filled = Math.round(fraction * barWidth);
  return `${label} [${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${tail}`.slice(0, Math.max(20, width - 1));
}

/** The `inspect` command's readable answer: the header facts, journal and tables, one per line. */
export function renderInspect(r: InspectResult): string {
  const lines = [
    r.path,
    `  size          ${r.sizeBytes.toLocaleString('en-US')} bytes`,
    `  pages         ${r.pageCount.toLocaleString('en-US')} × ${r.pageSize} bytes (${r.freePages.toLocaleString('en-US')} free)`,
    `  journal mode  ${r.journalMode}${r.hasWal ? ` (-wal: ${r.walBytes.toLocaleString('en-US')} bytes)` : ''}`,
    `  encoding      ${r.encoding}`,
    `  user_version  ${r.userVersion}    application_id ${r.applicationId}`,
    ...(r.encryption?.state === 'key-accepted' ? [`  encryption    ${r.encryption.cipherLabel} (key accepted)`] : []),
    `  tables        ${r.tables.length}`,
  ];
  const width = Math.max(0, ...r.tables.map((t) => t.name.length));
  for (const t of r.tables) lines.push(`    ${t.name.padEnd(width)}  ${t.rows === null ? 'not counted' : t.rows.toLocaleString('en-US').padStart(12)}`);
  if (r.rowCountsIncomplete) lines.push('  (some tables were not counted to stay quick)');
  return lines.join('\n');
}

/** The `verify` command's readable answer: OK with the hash, or each problem found. */
export function renderVerify(r: VerifyResult): string {
  if (r.ok && r.notChecked) return `${r.path}: OK (its SHA-256 matches its manifest)\n  not checked: ${r.notChecked}\n  sha256 ${r.sha256}`;
  if (r.ok) {
    return `${r.path}: OK (${r.check} passed, ${r.pageCount.toLocaleString('en-US')} pages${r.manifestChecked ? ', matches its manifest' : ', no manifest beside it'})\n  sha256 ${r.sha256}`;
  }
  return [`${r.path}: FAILED`, ...r.problems.map((p) => `  - ${p}`)].join('\n');
}

/** "12.3 MB": sizes as people read them. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** The table of `pagevault discover`: app, profile, file (~ for the home folder), size, journal, held now, registered. */
export function renderDiscovery(result: DiscoveryResult, added: DatabaseSummary[] = [], failed: Array<{ path: string; message: string }> = []): string {
  const lines: string[] = [];
  if (result.databases.length === 0) lines.push(`No databases of known apps were found under ${result.home}`);
  else {
    const short = (path: string) => (path.startsWith(`${result.home}/`) || path.startsWith(`${result.home}\\`) ? `~${path.slice(result.home.length)}` : path);
    const header = ['APP', 'PROFILE', 'FILE', 'SIZE', 'JOURNAL', 'HELD NOW', 'REGISTERED'];
    const rows = result.databases.map((d) => [
      d.app,
      d.profile ?? '',
      short(d.path),
      formatBytes(d.sizeBytes),
      d.format === 'encrypted' ? 'encrypted' : (d.journal ?? ''),
      d.held === null ? 'unknown' : d.held ? 'yes' : 'no',
      d.registered ? 'yes' : 'no',
    ]);
    const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
    for (const row of [header, ...rows]) lines.push(row.map((cell, column) => (column === 3 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ').trimEnd());
    const count = result.databases.length;
    lines.push('', `${count} database${count === 1 ? '' : 's'} of known apps under ${result.home}`);
    if (!result.heldKnown) lines.push('Held now: unknown here; only Linux tells which files an app holds open.');
    for (const d of result.databases) if (d.note) lines.push(`${short(d.path)}: ${d.note}`);
  }
  for (const s of result.skipped) lines.push(`Skipped ${s.path}: ${s.reason}`);
  for (const a of added) lines.push(`Added ${a.path} as '${a.label}'`);
  for (const f of failed) lines.push(`Could not add ${f.path}: ${f.message}`);
  return lines.join('\n');
}

/**
 * How `pagevault` exits: 0 done, 1 failed, 2 usage error, 75 deferred. A deferred backup
 * is not a failure to alert on but a run to try again later, so scripts and schedulers
 * need to tell it apart; 75 is sysexits.h's EX_TEMPFAIL, which means exactly that.
 */
export const exitCodes = { ok: 0, failed: 1, usage: 2, deferred: 75 } as const;

/** The exit code of a command that ended with the error `code`. */
export function exitCodeOfError(code: ErrorCode | string): number {
  return code === 'DEFERRED' ? exitCodes.deferred : exitCodes.failed;
}

/** `Copied while another program held it (WAL, consistent up to WAL commit frame 1,234 of checkpoint 7; 2 tries)`. */
export function describeHeldCopy(held: HeldCopy): string {
  const journal = held.journal === 'wal' ? 'WAL' : 'rollback journal';
  const tries = `${held.tries.toLocaleString('en-US')} ${held.tries === 1 ? 'try' : 'tries'}`;
  return `Copied while another program held it (${journal}, consistent up to ${held.consistentUpTo}; ${tries})`;
}

/** What `pagevault backup` prints once the backup is on disk. */
export function renderBackup(result: BackupResult): string {
  const m = result.manifest;
  const lines = [
    `Backed up ${m.source} to ${result.path}`,
    `  ${m.pageCount.toLocaleString('en-US')} pages × ${m.pageSize} bytes, ${m.mode} mode, ${m.restarts} restart${m.restarts === 1 ? '' : 's'}, ${(result.durationMs / 1000).toFixed(1)} s`,
  ];
  if (m.heldCopy) lines.push(`  ${describeHeldCopy(m.heldCopy)}`);
  if (m.sourceEncryption?.keyed === false) lines.push("  encrypted as the source is, copied without its key (raw): Pagevault cannot check inside it");
  else if (m.sourceEncryption) lines.push(`  encrypted with the source's key (${m.sourceEncryption.cipherLabel})`);
  // A clone is the unusual case, and the one that explains a backup of any size in milliseconds.
  if (m.copyMethod === 'cloned') lines.push('  cloned: shares its unchanged blocks with the database (copy-on-write file system)');
  if (m.encryption) lines.push(`  encrypted with age ${m.encryption.recipient === 'scrypt' ? 'with a passphrase' : `to ${m.encryption.recipient}`}; opens with \`age -d\``);
  lines.push(`  verification: ${m.verification.verdict}${m.sha256 ? `, sha256 ${m.sha256}` : ''}`);
  if (result.removedPartials.length > 0) lines.push(`  removed ${result.removedPartials.length} leftover partial file(s) of an interrupted backup`);
  for (const warning of result.warnings) lines.push(`  warning: ${warning}`);
  return lines.join('\n');
}

const mb = (bytes: number) => `${(bytes / 1e6).toLocaleString('en-US', { maximumFractionDigits: 1 })} MB`;

/** One version added: its number and the new data it cost. */
export function renderVaultBackup(r: VaultBackupResult): string {
  const v = r.version;
  return `Added version ${v.id} to ${r.vault}: ${v.pageCount.toLocaleString('en-US')} pages, ${v.newPages.toLocaleString('en-US')} new (${mb(v.newBytes)} compressed)${r.viaCopy ? '\n  read through a temporary copy (the source is not a WAL database Pagevault can read in place)' : ''}`;
}

/** The versions of a vault as a table, oldest first. */
export function renderVaultList(r: { vault: string; versions: VaultVersion[]; bytes: number; encryptedTo?: string | null }): string {
  const encrypted = r.encryptedTo ? `\nencrypted ${r.encryptedTo === 'scrypt' ? 'with a passphrase' : `to ${r.encryptedTo}`}` : '';
  if (r.versions.length === 0) return `${r.vault}: no versions yet${encrypted}`;
  const rows = r.versions.map((v) => [String(v.id), v.createdAt, v.pageCount.toLocaleString('en-US'), v.newPages.toLocaleString('en-US'), mb(v.newBytes)]);
  const head = ['version', 'taken', 'pages', 'new pages', 'new data'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(head), ...rows.map(line), `${r.versions.length} version${r.versions.length === 1 ? '' : 's'} in ${r.vault}, ${mb(r.bytes)} on disk${encrypted}`].join('\n');
}

/** A vault's verdict, and each damaged page by version, page number and stored page. */
export function renderVaultVerify(r: VaultVerifyResult): string {
  const of = `${r.pages.toLocaleString('en-US')} stored pages of ${r.versions} version${r.versions === 1 ? '' : 's'}`;
  if (r.ok && r.notChecked) return [`${r.vault}: all ${of} are stored; not checked:`, ...r.notChecked.map((what) => `  ${what}`)].join('\n');
  if (r.ok) return `${r.vault}: all ${of} match their ${r.encrypted ? 'keyed hashes (the vault is encrypted)' : 'SHA-256'}`;
  return [`${r.vault}: ${r.problemCount} problem${r.problemCount === 1 ? '' : 's'}`, ...r.problems.map((p) => `  ${p.message}`), ...(r.notChecked ?? []).map((what) => `  not checked: ${what}`)].join('\n');
}

/** A delete by hand: the version gone and what it freed. */
export function renderVaultDelete(r: VaultDeleteResult): string {
  return `${r.vault}: deleted version${r.removed.length === 1 ? '' : 's'} ${r.removed.map((v) => v.id).join(', ')}; ${r.freedPages.toLocaleString('en-US')} pages no other version names were deleted; ${mb(r.bytesBefore)} → ${mb(r.bytesAfter)} on disk`;
}

/** What a prune removed and what it kept, with the rule that kept each. */
export function renderVaultPrune(r: VaultPruneResult): string {
  const removed = r.removed.length === 0 ? 'removed no version' : `removed version${r.removed.length === 1 ? '' : 's'} ${r.removed.map((v) => v.id).join(', ')}`;
  const kept = r.kept.map(({ version, reasons }) => `  kept ${version.id} (${reasons.join(', ')})`);
  return [`${r.vault}: ${removed}; ${r.freedPages.toLocaleString('en-US')} pages no kept version names were deleted; ${mb(r.bytesBefore)} → ${mb(r.bytesAfter)} on disk`, ...kept].join('\n');
}
