import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HoldExpiryTimer } from '../../functions/core/hold-expiry-timer';

describe('HoldExpiryTimer', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-11-25T12:00:00.000Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sweeps once per whole second of expiry, just after it, however many holds run out then', async () => {
    const sweep = vi.fn(async () => {});
    const timer = new HoldExpiryTimer(sweep, () => {});
    for (let ms = 100; ms < 1_000; ms += 100) timer.holdRunsOutAt(new Date(Date.now() + 10_000 + ms));
    timer.holdRunsOutAt(new Date(Date.now() + 12_500));

    await vi.advanceTimersByTimeAsync(11_000);
    expect(sweep).toHaveBeenCalledTimes(0); // 12:00:11.000 + grace is not yet past 12:00:10.9
    await vi.advanceTimersByTimeAsync(400);
    expect(sweep).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(sweep).toHaveBeenCalledTimes(2);
    timer.close();
  });

  it('never runs two sweeps at once: one more follows a sweep that was busy when the next second came', async () => {
    let release: () => void = () => {};
    const sweep = vi.fn(() => new Promise<void>((resolve) => (release = resolve)));
    const timer = new HoldExpiryTimer(sweep, () => {});
    timer.holdRunsOutAt(new Date(Date.now() + 1_000));
    timer.holdRunsOutAt(new Date(Date.now() + 2_000));
    timer.holdRunsOutAt(new Date(Date.now() + 3_000));
    await vi.advanceTimersByTimeAsync(3_500);
    expect(sweep).toHaveBeenCalledTimes(1);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(sweep).toHaveBeenCalledTimes(2);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(sweep).toHaveBeenCalledTimes(2);
    timer.close();
  });

  it('reports a failed sweep and keeps going', async () => {
    const errors: unknown[] = [];
    const sweep = vi.fn().mockRejectedValueOnce(new Error('database down')).mockResolvedValue(undefined);
    const timer = new HoldExpiryTimer(sweep, (error) => errors.push(error));
    timer.holdRunsOutAt(new Date(Date.now() + 1_000));
    timer.holdRunsOutAt(new Date(Date.now() + 2_000));
    await vi.advanceTimersByTimeAsync(3_000);
    expect(errors).toHaveLength(1);
    expect(sweep).toHaveBeenCalledTimes(2);
    timer.close();
  });
});
