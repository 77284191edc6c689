import { describe, expect, it } from 'vitest';
import { trayBitmap, trayTooltip } from './tray-icon.ts';

const pixel = (bitmap: Buffer, size: number, x: number, y: number) => [...bitmap.subarray((y * size + x) * 4, (y * size + x) * 4 + 4)];

describe('tray icon', () => {
  it('draws a ring and a hub in the state colour, transparent in between and outside', () => {
    const size = 32;
    const running = trayBitmap('running', size);
    expect(running).toHaveLength(size * size * 4);
    expect(pixel(running, size, 0, 0)[3]).toBe(0); // corner: outside the disk
    expect(pixel(running, size, 16, 16)).toEqual([0xe6, 0x8b, 0x22, 255]); // hub, BGRA
    expect(pixel(running, size, 16, 1)[3]).toBe(255); // ring
    expect(pixel(running, size, 16, 8)[3]).toBe(0); // between ring and hub
  });

  it('gives each state its own colour', () => {
    const colourOf = (state: 'idle' | 'running' | 'failed') => pixel(trayBitmap(state, 16), 16, 8, 8).slice(0, 3);
    expect(new Set([colourOf('idle'), colourOf('running'), colourOf('failed')].map(String)).size).toBe(3);
  });

  it('says what is happening', () => {
    expect(trayTooltip('running', 2, null)).toBe('Pagevault: backing up 2 databases');
    expect(trayTooltip('failed', 0, 'disk full')).toBe('Pagevault: the last backup failed (disk full)');
    expect(trayTooltip('idle', 0, null)).toBe('Pagevault: idle');
  });
});
