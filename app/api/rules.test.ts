import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, pauseEnd, schedulesPaused } from './rules.ts';

describe('the pause of the schedules', () => {
  const now = new Date(2026, 10, 20, 18, 30);
  it('ends an hour later, or at the coming local midnight', () => {
    expect(pauseEnd('hour', now).getTime()).toBe(now.getTime() + 3_600_000);
    expect(pauseEnd('tomorrow', now)).toEqual(new Date(2026, 10, 21, 0, 0));
    expect(pauseEnd('tomorrow', new Date(2026, 11, 31, 23, 59))).toEqual(new Date(2027, 0, 1));
  });
  it('lasts until its end, not after it', () => {
    expect(schedulesPaused(null, now)).toBe(false);
    expect(schedulesPaused(undefined, now)).toBe(false);
    expect(schedulesPaused(new Date(now.getTime() + 1).toISOString(), now)).toBe(true);
    expect(schedulesPaused(now.toISOString(), now)).toBe(false);
  });
});

describe('contentSecurityPolicy', () => {
  it('lets the browser UI reach the host and the desktop window nothing', () => {
    expect(contentSecurityPolicy(['ws://127.0.0.1:8080'])).toContain("connect-src 'self' ws://127.0.0.1:8080;");
    expect(contentSecurityPolicy([])).toContain("connect-src 'none';");
    expect(contentSecurityPolicy([])).toContain("script-src 'self';");
  });
});
