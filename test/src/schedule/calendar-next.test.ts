import { describe, expect, it, onTestFinished } from 'vitest';
import {
  type CalendarSpec,
  estimateInterval,
  nextElapse,
  nextElapseOfAny,
  nextElapses,
  nextElapsesOfAny,
  parseCalendar,
  parseCalendars,
} from '../../../src/schedule/calendar.js';

// Every call names its zone, so the machine's TZ does not matter; the one test of the default
// zone sets process.env.TZ itself (vitest runs each test file in its own process).

function spec(expression: string): CalendarSpec {
  const parsed = parseCalendar(expression);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.spec;
}

function specs(...expressions: string[]): CalendarSpec[] {
  return expressions.map(spec);
}

const iso = (date: Date | undefined) => date?.toISOString();

describe('nextElapse', () => {
  it.each([
    ['*-*-* 01:00:00', '2026-01-01T00:59:59.999Z', '2026-01-01T01:00:00.000Z'],
    ['*-*-* 01:00:00', '2026-01-01T01:00:00.000Z', '2026-01-02T01:00:00.000Z'],
    ['*-*-* 01:00:00', '2026-01-01T01:00:00.500Z', '2026-01-02T01:00:00.000Z'],
    ['*:*:*', '2026-01-01T01:00:00.999Z', '2026-01-01T01:00:01.000Z'],
    ['Mon..Fri 02:30', '2026-01-02T02:30:00.000Z', '2026-01-05T02:30:00.000Z'],
    ['*-02-29 12:00', '2026-01-01T00:00:00.000Z', '2028-02-29T12:00:00.000Z'],
    ['*-*~1', '2028-02-01T00:00:00.000Z', '2028-02-29T00:00:00.000Z'],
  ])('%s after %s is %s (strictly after, in UTC)', (expression, after, expected) => {
    expect(iso(nextElapse(spec(expression), new Date(after), 'UTC'))).toBe(expected);
  });

  it.each([
    ['2026-02-29', '2026-01-01T00:00:00Z'],
    ['*-02-30', '2026-01-01T00:00:00Z'],
    ['2026-03-01', '2026-03-01T00:00:00Z'],
    ['@1767225600', '2026-01-01T00:00:00Z'],
    ['*-12-31 23:59:59', '2199-12-31T23:59:59Z'],
  ])('%s never elapses after %s', (expression, after) => {
    expect(nextElapse(spec(expression), new Date(after), 'UTC')).toBeUndefined();
    expect(nextElapses(spec(expression), new Date(after), 3, 'UTC')).toEqual([]);
  });

  it('stops at 2199, as systemd does', () => {
    const elapses = nextElapses(spec('yearly'), new Date('2197-06-01T00:00:00Z'), 5, 'UTC');
    expect(elapses.map(iso)).toEqual(['2198-01-01T00:00:00.000Z', '2199-01-01T00:00:00.000Z']);
  });

  it('reads the wall time in the zone given, unless the expression names one', () => {
    const after = new Date('2026-01-01T00:00:00Z');
    // 01:00 in Berlin is 00:00 UTC, the instant itself: the next one is a day later
    expect(iso(nextElapse(spec('*-*-* 01:00'), after, 'Europe/Berlin'))).toBe('2026-01-02T00:00:00.000Z');
    expect(iso(nextElapse(spec('*-*-* 01:00'), after, 'America/New_York'))).toBe('2026-01-01T06:00:00.000Z');
    expect(iso(nextElapse(spec('*-*-* 01:00 UTC'), after, 'America/New_York'))).toBe(
      '2026-01-01T01:00:00.000Z',
    );
    expect(iso(nextElapse(spec('*-*-* 01:00 Asia/Tokyo'), after, 'UTC'))).toBe('2026-01-01T16:00:00.000Z');
  });

  it('refuses an unknown zone', () => {
    expect(() => nextElapse(spec('daily'), new Date(0), 'Mars/Olympus')).toThrow(
      'unknown time zone "Mars/Olympus"',
    );
  });

  it('skips a wall time that does not exist and elapses once in a repeated hour (Europe/Berlin)', () => {
    const around = (expression: string, after: string) =>
      nextElapses(spec(expression), new Date(after), 3, 'Europe/Berlin').map(iso);
    // 2026-03-29 02:00 CET → 03:00 CEST: no 02:30 that day
    expect(around('*-*-* 02:30', '2026-03-28T12:00:00Z')).toEqual([
      '2026-03-30T00:30:00.000Z',
      '2026-03-31T00:30:00.000Z',
      '2026-04-01T00:30:00.000Z',
    ]);
    // 2026-10-25 03:00 CEST → 02:00 CET: 02:30 at its first showing only
    expect(around('*-*-* 02:30', '2026-10-24T12:00:00Z')).toEqual([
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
      '2026-10-27T01:30:00.000Z',
    ]);
    // from inside the second showing, the rest of it still elapses
    expect(around('*:0/20', '2026-10-25T01:10:00Z')).toEqual([
      '2026-10-25T01:20:00.000Z',
      '2026-10-25T01:40:00.000Z',
      '2026-10-25T02:00:00.000Z',
    ]);
  });

  it('uses the zone of the process when none is given', () => {
    const previous = process.env.TZ;
    onTestFinished(() => {
      if (previous === undefined) delete process.env.TZ;
      else process.env.TZ = previous;
    });
    process.env.TZ = 'America/New_York';
    const after = new Date('2026-07-01T00:00:00Z');
    const local = nextElapse(spec('*-*-* 01:00:00'), after);
    expect(iso(local)).toBe('2026-07-01T05:00:00.000Z');
    expect(local).toEqual(nextElapse(spec('*-*-* 01:00:00'), after, 'America/New_York'));
  });
});

describe('lists of expressions (startAt)', () => {
  const after = new Date('2026-01-01T00:00:00Z');

  it('elapses at the earliest of its expressions', () => {
    expect(iso(nextElapseOfAny(specs('Sat,Sun 10:00', 'Mon..Fri 02:30'), after, 'UTC'))).toBe(
      '2026-01-01T02:30:00.000Z',
    );
    expect(nextElapseOfAny([], after, 'UTC')).toBeUndefined();
    expect(nextElapseOfAny(specs('2025-01-01'), after, 'UTC')).toBeUndefined();
  });

  it('elapses once at an instant two expressions share', () => {
    const elapses = nextElapsesOfAny(specs('daily', 'weekly'), new Date('2026-01-03T12:00:00Z'), 3, 'UTC');
    expect(elapses.map(iso)).toEqual([
      '2026-01-04T00:00:00.000Z',
      '2026-01-05T00:00:00.000Z',
      '2026-01-06T00:00:00.000Z',
    ]);
  });
});

describe('estimateInterval: the longest gap between elapses', () => {
  const from = new Date('2026-01-01T00:00:00Z');
  const day = 86_400;

  it.each([
    [['daily'], day],
    [['*-*-* 01:00:00'], day],
    [['hourly'], 3600],
    [['*:0/15'], 900],
    [['Mon..Fri 02:30'], 3 * day],
    [['Mon..Fri 02:30', 'Sat,Sun 10:00'], 31.5 * 3600],
    [['*-*-1,15 04:00'], 17 * day],
    [['monthly'], 31 * day],
    [['yearly'], 366 * day],
    [['Mon *-02-29'], (28 * 365 + 7) * day],
    [['2027-01-01'], undefined],
    [['2025-01-01', '2027-01-01'], undefined],
  ])('%j: %s s', (expressions, seconds) => {
    expect(estimateInterval(specs(...expressions), from, { timeZone: 'UTC' })).toBe(seconds);
  });

  it('counts real time across changes of offset (Europe/Berlin)', () => {
    expect(estimateInterval(specs('daily'), from, { timeZone: 'Europe/Berlin' })).toBe(25 * 3600);
    // 02:00 CEST, then 03:00 CET: two hours on the day the clock goes back
    expect(
      estimateInterval(specs('hourly'), new Date('2026-10-24T00:00:00Z'), { timeZone: 'Europe/Berlin' }),
    ).toBe(2 * 3600);
  });

  it('looks no further than the limit', () => {
    // hourly on weekdays: within 3 elapses neither the night nor the weekend is seen
    const options = { timeZone: 'UTC', limit: 3 };
    expect(estimateInterval(specs('Mon..Fri 08..18:00'), new Date('2026-01-05T00:00:00Z'), options)).toBe(
      3600,
    );
    expect(
      estimateInterval(specs('Mon..Fri 08..18:00'), new Date('2026-01-05T00:00:00Z'), { timeZone: 'UTC' }),
    ).toBe(62 * 3600);
  });

  it('takes a startAt list parsed as one', () => {
    const parsed = parseCalendars(['Mon..Fri 02:30', 'Sat,Sun 10:00']);
    expect(parsed.ok && estimateInterval(parsed.specs, from, { timeZone: 'UTC' })).toBe(31.5 * 3600);
  });
});
