import { describe, expect, it } from 'vitest';
import { nextElapsesOfAny, parseCalendars } from '../../../src/schedule/calendar.js';
import { shiftCalendars } from '../../../src/schedule/calendar-shift.js';
import { formatDuration } from '../../../src/util/duration.js';
import { hasSystemdAnalyze, SKIP_REASON, systemdCalendar } from './systemd-analyze.js';

/*
 * The stagger is added into the calendar: the shifted expressions must elapse exactly `offset`
 * seconds after each elapse of the declared ones. The real systemd-analyze computes both sides
 * (the declared expressions from base - offset, the shifted ones from base), in UTC.
 */
const corpus = [
  '*-*-* 01:00:00',
  'daily',
  'hourly',
  'weekly',
  'monthly',
  'quarterly',
  'yearly',
  'minutely',
  'Mon..Fri 02:30',
  'Sat,Sun 23:45',
  'Mon 23:00',
  'Fri *-*-13 23:59:59',
  '*-*-1,15 04:00',
  '*-*-20..25 23:50',
  '*-01,07-01 06:00',
  '*:0/15',
  '*:0/10:30',
  '*-*-* 00/5:10',
  '*-*-* 12,18:00',
  '*-*-* 22:30:15',
  '*-*-* *:*:30',
  '*:*:0/20',
  '08..18:00',
  '2026-*-* 03:00',
];
const offsets = [0, 1, 59, 61, 1234, 3599, 3600, 5000, 20_000, 43_200, 86_399, 90_000, 3 * 86_400 + 4321];
const base = Date.UTC(2026, 0, 28, 21, 17, 3) / 1000;
const iterations = 8;

function shiftedOk(expression: string, offset: number): string[] | undefined {
  const shifted = shiftCalendars([expression], offset);
  return shifted.ok ? shifted.expressions : undefined;
}

describe('shiftCalendars (pure)', () => {
  it('keeps the declared expressions when there is no stagger', () => {
    expect(shiftCalendars(['daily', 'Mon..Fri 02:30'], 0)).toEqual({
      ok: true,
      expressions: ['daily', 'Mon..Fri 02:30'],
    });
  });

  it('adds the offset into the fields, carrying into the next hour and day', () => {
    expect(shiftOf('*-*-* 01:00:00', 1234)).toEqual(['*-*-* 01:20:34']);
    expect(shiftOf('*:0/15', 1234)).toEqual(['*-*-* *:05/15:34']);
    expect(shiftOf('Mon..Fri 23:50', 1200)).toEqual(['Tue..Sat *-*-* 00:10:00']);
    expect(shiftOf('*-*-1,15 04:00', 86_400 + 60)).toEqual(['*-*-02,16 04:01:00']);
    expect(shiftOf('hourly', 3 * 3600)).toEqual(['*-*-* *:00:00']);
    expect(shiftOf('*-*-* 22:30', 2 * 3600)).toEqual(['*-*-* 00:30:00']);
    expect(shiftOf('Sat,Sun 23:45', 1800)).toEqual(['Mon,Sun *-*-* 00:15:00']);
    expect(shiftOf('*-*-* 23:30,50', 1200)).toEqual(['*-*-* 23:50:00', '*-*-* 00:10:00']);
  });

  it('keeps the zone the expression names', () => {
    expect(shiftOf('*-*-* 01:00 Europe/Berlin', 90)).toEqual(['*-*-* 01:01:30 Europe/Berlin']);
  });

  it('refuses a move across midnight onto days the syntax cannot name', () => {
    const refusals = [
      ['*-*~1 23:00', 'it counts days back from the end of the month'],
      ['2026-*-* 23:00', 'it names months or years but not days'],
      ['*-*-28 23:00', "day 28 moved by 1 day can cross a month's end"],
    ] as const;
    for (const [expression, reason] of refusals) {
      const shifted = shiftCalendars([expression], 3600);
      expect(shifted).toMatchObject({ ok: false, expression, reason });
    }
    // the same expressions without crossing midnight are fine
    expect(shiftOf('*-*~1 22:00', 3600)).toEqual(['*-*~01 23:00:00']);
    expect(shiftOf('2026-*-* 03:00', 3600)).toEqual(['2026-*-* 04:00:00']);
  });

  it('gives each caller its own answer: a remembered shift is never changed through a result', () => {
    const first = shiftCalendars(['*-*-* 01:00:00'], 90);
    expect(first).toEqual({ ok: true, expressions: ['*-*-* 01:01:30'] });
    if (first.ok) first.expressions.push('changed by the caller');
    expect(shiftCalendars(['*-*-* 01:00:00'], 90)).toEqual({ ok: true, expressions: ['*-*-* 01:01:30'] });
    // the same expressions with another stagger, and a list whose joined text is ambiguous, are other shifts
    expect(shiftCalendars(['*-*-* 01:00:00'], 91)).toEqual({ ok: true, expressions: ['*-*-* 01:01:31'] });
    expect(shiftCalendars(['*-*-* 01:00:00', '*-*-* 02:00:00'], 90)).toEqual({
      ok: true,
      expressions: ['*-*-* 01:01:30', '*-*-* 02:01:30'],
    });
  });

  it('formats durations', () => {
    expect([0, 1, 1234, 3600, 90_061].map((seconds) => formatDuration(seconds))).toEqual([
      '0s',
      '1s',
      '20m34s',
      '1h',
      '1d1h1m1s',
    ]);
  });
});

function shiftOf(expression: string, offset: number): string[] {
  const shifted = shiftCalendars([expression], offset);
  if (!shifted.ok) throw new Error(shifted.message);
  return shifted.expressions;
}

describe.skipIf(!hasSystemdAnalyze)(`shifted calendars against systemd-analyze (${SKIP_REASON})`, () => {
  it(`elapse exactly the offset after the declared ones, ${corpus.length} expressions × ${offsets.length} offsets`, () => {
    let compared = 0;
    for (const offset of offsets) {
      const declared = systemdCalendar(corpus, {
        base: `@${base - offset}`,
        timeZone: 'UTC',
        iterations,
      });
      const cases = corpus
        .map((expression) => ({ expression, shifted: shiftedOk(expression, offset) }))
        .filter((c): c is { expression: string; shifted: string[] } => c.shifted !== undefined);
      const all = [...new Set(cases.flatMap((c) => c.shifted))];
      const shifted = systemdCalendar(all, { base: `@${base}`, timeZone: 'UTC', iterations });
      for (const { expression, shifted: expressions } of cases) {
        const expected = declared
          .get(expression)!
          .elapses.map((at) => new Date(Date.parse(at) + offset * 1000).toISOString());
        const got = [...new Set(expressions.flatMap((e) => shifted.get(e)!.elapses))]
          .sort()
          .slice(0, iterations);
        expect({ expression, offset, elapses: got }).toEqual({ expression, offset, elapses: expected });
        // and our own calendar code agrees with systemd on the shifted expressions
        const parsed = parseCalendars(expressions);
        if (!parsed.ok) throw new Error(`unparsable ${expressions.join(', ')}`);
        const ours = nextElapsesOfAny(parsed.specs, new Date(base * 1000), iterations, 'UTC');
        expect(ours.map((d) => d.toISOString())).toEqual(expected);
        compared++;
      }
    }
    // left out, refused: "2026-*-* 03:00" pushed past midnight (3 offsets), "*-*-20..25 23:50" by 4 days
    expect(compared).toBe(corpus.length * offsets.length - 4);
  });
});
