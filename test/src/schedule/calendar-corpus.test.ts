import { beforeAll, describe, expect, it } from 'vitest';
import {
  type CalendarSpec,
  nextElapses,
  nextElapsesOfAny,
  normalizeCalendar,
  parseCalendar,
  parseCalendars,
} from '../../../src/schedule/calendar.js';
import { hasSystemdAnalyze, SKIP_REASON, type SystemdCalendar, systemdCalendar } from './systemd-analyze.js';

/*
 * Every expression is given to the real systemd-analyze (a few processes for all of them) and
 * to our code; the normalized form and the next 5 elapses must be equal. The zone is always
 * passed explicitly (UTC, or Europe/Berlin for both sides), so the machine's TZ does not matter.
 * An entry that is a list is a startAt list: each element is compared, and so is the merge.
 */
const corpus: (string | string[])[] = [
  // shorthands, any case
  'minutely',
  'hourly',
  'daily',
  'weekly',
  'monthly',
  'quarterly',
  'semiannually',
  'semi-annually',
  'yearly',
  'annually',
  'DAILY',
  // times; date omitted, seconds omitted, time omitted
  '*-*-* 01:00:00',
  '01:00',
  '3:15:30',
  '*:0/15',
  '*:00,30',
  '08..18:00',
  '0/6:00',
  '22,2:30',
  '12:0..59/20',
  '*:*:0/10',
  '*:*:*',
  // weekdays: lists, ranges (.. and the old -), full names
  'Mon..Fri 02:30',
  'Sat,Sun',
  'Mon,Wed..Fri 04:00',
  'Mon-Fri 06:00',
  'sunday 12:00',
  'Tue..Thu,Sat 23:59:59',
  // dates: lists, ranges, repetitions, two-digit years
  '*-*-1,15 04:00',
  '*-*-01 00:00',
  '*-*-1..5',
  '*-*-1..31/3 12:00',
  '*-1/3-1',
  '2026-*-* 03:00',
  '2026..2030-02-29',
  '26-3-1 10:00',
  '*-02-29 12:00',
  '*-12-31 23:59:59',
  '2027-01-01',
  '2026-06-15 08:30',
  // counted from the end of the month
  '*-*~1',
  '*-*~01 23:00',
  '*-02~03',
  'Sun *-*~1..7 03:00',
  '*-*~3/2',
  // weekdays with dates
  'Mon *-*-1..7 02:00',
  'Fri *-*-13',
  'Mon..Fri *-*-* 08..18:0/30',
  // zones, and a fixed instant
  'daily UTC',
  '*-*-* 01:00:00 UTC',
  'Mon..Fri 02:30 Europe/Berlin',
  '*-*-* 02:30 America/New_York',
  '@1798761600',
  // startAt lists
  ['Mon..Fri 02:30', 'Sat,Sun 10:00'],
  ['*-*-* 01:00:00', '*-*-* 13:00:00'],
  ['daily', 'weekly'],
  ['*-*-1 04:00', '*-*~1 22:00'],
];

/** The base times, read in UTC: a plain one, the end of a leap day, the end of a year. */
const utcBases = ['2026-01-01 00:00:00', '2028-02-29 23:59:59', '2026-12-31 23:59:59'];

/** Around Berlin's 2026 changes: before the skipped hour, in the repeated hour's first and second showing. */
const berlinBases = ['2026-03-29T00:30:00Z', '2026-10-25T00:30:00Z', '2026-10-25T01:30:00Z'];
const berlinCorpus = [
  '*-*-* 01:00:00',
  '*-*-* 02:30',
  '*-*-* 02:00:00',
  'hourly',
  '*:0/20',
  '*-*-* 01,02,03:30',
  'Sun *-*~1..7 02:30',
  'Mon..Fri 02:30',
  '*:*:0/7',
  '*-*-* 1/2:*:0/7',
  '*-*~1..7 01,02:10,40',
  'daily',
];

const expressions = [...new Set(corpus.flat())];
const ITERATIONS = 5;

function spec(expression: string): CalendarSpec {
  const parsed = parseCalendar(expression);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.spec;
}

function ours(expression: string, base: Date, timeZone: string): SystemdCalendar {
  const normalized = normalizeCalendar(expression);
  return {
    normalized: normalized.ok ? normalized.normalized : normalized.message,
    elapses: nextElapses(spec(expression), base, ITERATIONS, timeZone).map((date) => date.toISOString()),
  };
}

describe('calendar corpus against systemd-analyze', () => {
  const utc = new Map<string, Map<string, SystemdCalendar>>();
  const berlin = new Map<string, Map<string, SystemdCalendar>>();
  beforeAll(() => {
    if (!hasSystemdAnalyze) return;
    for (const base of utcBases) {
      utc.set(base, systemdCalendar(expressions, { base, timeZone: 'UTC', iterations: ITERATIONS }));
    }
    for (const base of berlinBases) {
      const seconds = `@${Date.parse(base) / 1000}`;
      berlin.set(
        base,
        systemdCalendar(berlinCorpus, { base: seconds, timeZone: 'Europe/Berlin', iterations: ITERATIONS }),
      );
    }
  });

  it('has at least 40 distinct expressions', () => {
    expect(expressions.length).toBeGreaterThanOrEqual(40);
  });

  describe.each(utcBases)('TZ=UTC, base %s', (base) => {
    const after = new Date(`${base.replace(' ', 'T')}Z`);

    it.skipIf(!hasSystemdAnalyze).each(expressions)(
      `%s (${hasSystemdAnalyze ? 'systemd' : SKIP_REASON})`,
      (expression) => {
        expect(ours(expression, after, 'UTC')).toEqual(utc.get(base)?.get(expression));
      },
    );

    it.skipIf(!hasSystemdAnalyze).each(corpus.filter((entry) => Array.isArray(entry)))(
      `list %j merges its elapses (${hasSystemdAnalyze ? 'systemd' : SKIP_REASON})`,
      (...list) => {
        const parsed = parseCalendars(list);
        if (!parsed.ok) throw new Error(parsed.problems.map((p) => p.message).join('\n'));
        const merged = [...new Set(list.flatMap((e) => utc.get(base)?.get(e)?.elapses ?? []))].sort();
        const expected = merged.slice(0, ITERATIONS);
        const actual = nextElapsesOfAny(parsed.specs, after, ITERATIONS, 'UTC').map((d) => d.toISOString());
        expect(actual).toEqual(expected);
        expect(expected).toHaveLength(ITERATIONS);
      },
    );
  });

  describe.each(berlinBases)('TZ=Europe/Berlin, base %s', (base) => {
    it.skipIf(!hasSystemdAnalyze).each(berlinCorpus)(
      `%s (${hasSystemdAnalyze ? 'systemd' : SKIP_REASON})`,
      (expression) => {
        expect(ours(expression, new Date(base), 'Europe/Berlin')).toEqual(berlin.get(base)?.get(expression));
      },
    );
  });
});
