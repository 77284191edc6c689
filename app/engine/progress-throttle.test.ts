/**
 * The one progress throttle, on the test's own clock (the interval is up when the test
 * says so, however busy the machine): the first report and every phase change pass at
 * once, a burst sends only its latest, and that latest always arrives, by its timer, at a
 * pause, or when the operation ends.
 */
import { describe, expect, it } from 'vitest';
import { createCancelFlag, OperationContext, PROGRESS_INTERVAL_MS, type EngineProgress } from './context.ts';
import { ProgressThrottle, type ThrottleClock } from './progress-throttle.ts';

function testClock() {
  let now = 0;
  let timers: Array<{ at: number; callback: () => void }> = [];
  const clock: ThrottleClock = {
    now: () => now,
    setTimer: (callback, ms) => {
      const timer = { at: now + ms, callback };
      timers.push(timer);
      return () => (timers = timers.filter((t) => t !== timer));
    },
  };
  const advance = (ms: number) => {
    now += ms;
    for (const timer of timers.filter((t) => t.at <= now)) {
      timers = timers.filter((t) => t !== timer);
      timer.callback();
    }
  };
  return { clock, advance, pendingTimers: () => timers.length };
}

type Report = { phase: 'copy' | 'verify'; remainingPages: number };

describe('ProgressThrottle', () => {
  it('passes on the first report, every phase change and the latest report, but not every report', () => {
    const { clock, advance } = testClock();
    const sent: string[] = [];
    const throttle = new ProgressThrottle<Report>(100, (r) => sent.push(`${r.phase}:${r.remainingPages}`), clock);
    // 50 reports in a burst: the first passes at once, the rest wait for the interval.
    for (let remaining = 100; remaining > 50; remaining -= 1) throttle.offer({ phase: 'copy', remainingPages: remaining });
    expect(sent).toEqual(['copy:100']);
    advance(99);
    expect(sent).toEqual(['copy:100']);
    // The interval is up: the latest of the burst is sent, the others never are.
    advance(1);
    expect(sent).toEqual(['copy:100', 'copy:51']);
    // A phase change passes at once, and nothing of the old phase trails behind it.
    throttle.offer({ phase: 'copy', remainingPages: 40 });
    throttle.offer({ phase: 'verify', remainingPages: 0 });
    advance(1000);
    expect(sent).toEqual(['copy:100', 'copy:51', 'verify:0']);
  });

  it('sends the waiting report on flush, once, and a forced one at once', () => {
    const { clock, pendingTimers } = testClock();
    const sent: number[] = [];
    const throttle = new ProgressThrottle<Report>(100, (r) => sent.push(r.remainingPages), clock);
    throttle.offer({ phase: 'copy', remainingPages: 10 });
    throttle.offer({ phase: 'copy', remainingPages: 5 });
    throttle.flush();
    throttle.flush();
    expect(sent).toEqual([10, 5]);
    expect(pendingTimers()).toBe(0);
    throttle.offer({ phase: 'copy', remainingPages: 0 }, true);
    expect(sent).toEqual([10, 5, 0]);
  });
});

describe('OperationContext progress', () => {
  const report = (ctx: OperationContext, remainingPages: number) => ctx.report({ phase: 'copy', totalPages: 100, remainingPages, bytesCopied: 0, bytesPerSecond: 0, restarts: 0 });

  it('sends the latest report before it pauses and when flushed at the end, so the last value always arrives', () => {
    const { clock } = testClock();
    const sent: EngineProgress[] = [];
    const ctx = new OperationContext(createCancelFlag(), (p) => sent.push(p), clock);
    report(ctx, 100);
    report(ctx, 60);
    expect(sent.map((p) => p.remainingPages)).toEqual([100]);
    // A step is over and the thread sleeps: what it copied shows during the pause, not after it.
    ctx.pause(0);
    expect(sent.map((p) => p.remainingPages)).toEqual([100, 60]);
    report(ctx, 20);
    ctx.flush();
    expect(sent.map((p) => p.remainingPages)).toEqual([100, 60, 20]);
  });

  it('a view with its own phase shares the throttle, so its latest report is flushed too', () => {
    const { clock } = testClock();
    const sent: string[] = [];
    const ctx = new OperationContext(createCancelFlag(), (p) => sent.push(`${p.phase}:${p.remainingPages}`), clock);
    const safetyCopy = ctx.withPhase('safety-copy');
    report(safetyCopy, 100);
    report(safetyCopy, 1);
    ctx.flush();
    expect(sent).toEqual(['safety-copy:100', 'safety-copy:1']);
    expect(PROGRESS_INTERVAL_MS).toBe(100);
  });
});
