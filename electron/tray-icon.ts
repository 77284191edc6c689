/**
 * The tray icon, drawn in code so every state has a crisp bitmap at any scale: a vault
 * door (a ring with a hub) in the state's colour. Plain Node: tested without Electron.
 */

export type TrayState = 'idle' | 'running' | 'failed';

const colours: Record<TrayState, [number, number, number]> = {
  idle: [0x86, 0x8e, 0x96],
  running: [0x22, 0x8b, 0xe6],
  failed: [0xe0, 0x31, 0x31],
};

/** A size×size BGRA bitmap (what nativeImage.createFromBitmap takes) of the icon in `state`. */
export function trayBitmap(state: TrayState, size: number): Buffer {
  const [r, g, b] = colours[state];
  const bitmap = Buffer.alloc(size * size * 4);
  const centre = (size - 1) / 2;
  const outer = size / 2 - 0.5;
  const ringInner = outer * 0.62;
  const hub = outer * 0.3;
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      const distance = Math.hypot(x - centre, y - centre);
      // Coverage with a one-pixel soft edge, so small sizes are not jagged.
      const inDisk = Math.min(1, Math.max(0, outer - distance + 0.5));
      const inRingHole = Math.min(1, Math.max(0, ringInner - distance + 0.5));
      const inHub = Math.min(1, Math.max(0, hub - distance + 0.5));
      const alpha = Math.max(inDisk - inRingHole, inHub);
      const offset = (y * size + x) * 4;
      bitmap[offset] = b;
      bitmap[offset + 1] = g;
      bitmap[offset + 2] = r;
      bitmap[offset + 3] = Math.round(alpha * 255);
    }
  }
  return bitmap;
}

/** The tray's tooltip for a state. */
export function trayTooltip(state: TrayState, running: number, failure: string | null): string {
  if (state === 'running') return `Pagevault: backing up ${running === 1 ? '1 database' : `${running} databases`}`;
  if (state === 'failed') return `Pagevault: the last backup failed${failure ? ` (${failure})` : ''}`;
  return 'Pagevault: idle';
}
