import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KeyedThrottle } from '../../functions/core/keyed-throttle';

describe('KeyedThrottle', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends the first push at once, then at most one per interval with the newest value', () => {
    const sent: Array<[string, number, number]> = [];
    const throttle = new KeyedThrottle<number>(200, (key, value) => sent.push([key, value, Date.now()]));
    const start = Date.now();

    for (let version = 1; version <= 50; version++) {
      throttle.push('concert-a', version);
      vi.advanceTimersByTime(10); // 50 changes over 500 ms
    }
    vi.advanceTimersByTime(1_000);

    const times = sent.map(([, , at]) => at - start);
    expect(sent[0]?.[1]).toBe(1);
    expect(sent.at(-1)?.[1]).toBe(50);
    for (let i = 1; i < times.length; i++)
      expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeGreaterThanOrEqual(200);
    expect(sent.length).toBeLessThanOrEqual(4);
  });

  it('keeps keys apart and lets a merge rule keep the higher version', () => {
    const sent: string[] = [];
    const throttle = new KeyedThrottle<number>(100, (key, value) => sent.push(`${key}:${value}`), Math.max);
    throttle.push('a', 1);
    throttle.push('b', 1);
    throttle.push('a', 5);
    throttle.push('a', 3);
    vi.advanceTimersByTime(150);
    expect(sent).toEqual(['a:1', 'b:1', 'a:5']);
  });
});
