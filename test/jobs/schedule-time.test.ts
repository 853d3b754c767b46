import { describe, expect, it } from 'vitest';
import { reminderWindow } from '../../functions/core/jobs.service';
import { latestTick, localDate, startOfLocalDay } from '../../functions/core/schedule';
import { reportDateFromArgument, scheduledTimeFromArgument } from '../../local/scheduled-time';

const at = (iso: string) => new Date(iso);
const HOUR = 3_600_000;

describe('scheduled times and local days in a zone with daylight saving (Europe/Berlin)', () => {
  const zone = 'Europe/Berlin';

  it('local days are 23 h on 2026-03-29 and 25 h on 2026-10-25, 24 h around them', () => {
    const length = (date: string, next: string) =>
      (startOfLocalDay(next, zone).getTime() - startOfLocalDay(date, zone).getTime()) / HOUR;
    expect(startOfLocalDay('2026-03-29', zone).toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(length('2026-03-28', '2026-03-29')).toBe(24);
    expect(length('2026-03-29', '2026-03-30')).toBe(23);
    expect(length('2026-10-25', '2026-10-26')).toBe(25);
    expect(startOfLocalDay('2026-10-26', zone).toISOString()).toBe('2026-10-25T23:00:00.000Z');
  });

  it('a CronJob or the in-process scheduler, running late, stands for the tick it fired for', () => {
    // daily-report 23:00 Berlin, started at 00:20 the next day: the scheduled day is still the 29th / 25th.
    const spring = latestTick('daily-report', at('2026-03-29T22:20:00Z'), zone);
    expect(spring.toISOString()).toBe('2026-03-29T21:00:00.000Z');
    expect(localDate(spring, zone)).toBe('2026-03-29');
    const autumn = latestTick('daily-report', at('2026-10-25T23:20:00Z'), zone);
    expect(autumn.toISOString()).toBe('2026-10-25T22:00:00.000Z');
    expect(localDate(autumn, zone)).toBe('2026-10-25');
    // reminders 09:00 Berlin, 50 min late, either side of each change.
    expect(latestTick('reminders', at('2026-03-28T08:50:00Z'), zone).toISOString()).toBe(
      '2026-03-28T08:00:00.000Z',
    );
    expect(latestTick('reminders', at('2026-03-29T07:50:00Z'), zone).toISOString()).toBe(
      '2026-03-29T07:00:00.000Z',
    );
    expect(latestTick('reminders', at('2026-10-25T08:50:00Z'), zone).toISOString()).toBe(
      '2026-10-25T08:00:00.000Z',
    );
    // On the tick itself: that tick.
    expect(latestTick('expire-holds', at('2026-10-25T00:30:00Z'), zone).toISOString()).toBe(
      '2026-10-25T00:30:00.000Z',
    );
  });

  it('the reminder window reaches back to the watermark, but not before the scheduled time', () => {
    const s = at('2026-10-25T08:00:00Z');
    expect(reminderWindow(s, null)).toEqual({
      from: at('2026-10-26T08:00:00Z'),
      to: at('2026-10-27T08:00:00Z'),
    });
    expect(reminderWindow(s, at('2026-10-26T07:00:00Z')).from).toEqual(at('2026-10-26T07:00:00Z'));
    expect(reminderWindow(s, at('2026-10-01T00:00:00Z')).from).toEqual(s);
    // A doubled run (watermark already at the window's end) covers its own window again: dedupe keys hold.
    expect(reminderWindow(s, at('2026-10-27T08:00:00Z')).from).toEqual(at('2026-10-26T08:00:00Z'));
  });

  it('--at takes an ISO time with an offset, now, or tick, and refuses a local time', () => {
    const now = at('2026-06-11T00:20:00+02:00');
    expect(scheduledTimeFromArgument('2026-06-10T23:00:00+02:00', 'daily-report', zone, now, 'now')).toEqual(
      at('2026-06-10T21:00:00Z'),
    );
    expect(scheduledTimeFromArgument(undefined, 'daily-report', zone, now, 'now')).toEqual(now);
    expect(scheduledTimeFromArgument(undefined, 'daily-report', zone, now, 'tick')).toEqual(
      at('2026-06-10T21:00:00Z'),
    );
    expect(() => scheduledTimeFromArgument('2026-06-10T23:00', 'daily-report', zone, now, 'now')).toThrow(
      /--at/,
    );
    expect(() => scheduledTimeFromArgument('yesterday', 'reminders', zone, now, 'now')).toThrow(/--at/);
  });

  it('--at and --date refuse times the database cannot store, as requests do (0000-01-01 was a 500-like crash)', () => {
    const now = at('2026-06-11T00:20:00+02:00');
    expect(() => scheduledTimeFromArgument('0000-01-01T00:00:00Z', 'reminders', zone, now, 'now')).toThrow(
      /--at/,
    );
    expect(() => scheduledTimeFromArgument('9999-12-31T00:00:00Z', 'reminders', zone, now, 'now')).toThrow(
      /--at/,
    );
    expect(() => reportDateFromArgument('0000-01-01')).toThrow(/--date/);
    expect(() => reportDateFromArgument('2026-02-30')).toThrow(/--date/);
    expect(reportDateFromArgument('2026-03-29')).toBe('2026-03-29');
    expect(reportDateFromArgument(undefined)).toBeUndefined();
  });
});
