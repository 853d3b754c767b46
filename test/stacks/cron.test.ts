import { describe, expect, it } from 'vitest';
import { toEventBridgeCron } from '../../stacks/cron';

describe('toEventBridgeCron', () => {
  it.each([
    ['0 2 * * *', 'cron(0 2 * * ? *)'],
    ['*/30 * * * *', 'cron(0/30 * * * ? *)'],
    ['0 0 * * 0', 'cron(0 0 ? * SUN *)'],
    ['15 9 1 * *', 'cron(15 9 1 * ? *)'],
    ['0 8 * * 1-5', 'cron(0 8 ? * MON-FRI *)'],
  ])('turns %s into %s', (cron, expected) => {
    expect(toEventBridgeCron(cron)).toBe(expected);
  });

  it('refuses anything but five fields', () => {
    expect(() => toEventBridgeCron('0 0 * *')).toThrow(/five/);
  });
});
