import { describe, expect, it } from 'vitest';
import { normalizeCalendar, parseCalendar, parseCalendars } from '../../../src/schedule/calendar.js';
import { hasSystemdAnalyze, SKIP_REASON, systemdRefuses } from './systemd-analyze.js';

interface Rejected {
  input: string;
  reason: string;
  /** systemd 252 takes it, and borgops refuses it on purpose. */
  systemdAccepts?: true;
}

const rejected: Rejected[] = [
  { input: '', reason: 'the expression is empty' },
  { input: '   ', reason: 'the expression is empty' },
  { input: ' daily', reason: 'remove the leading spaces' },
  { input: 'daily ', reason: 'remove the trailing spaces' },
  { input: '12:00 ', reason: 'remove the trailing spaces' },
  { input: 'daily  UTC', reason: 'remove the extra spaces before "UTC"' },
  { input: 'Fry 02:30', reason: '"Fry" is not a weekday, a shorthand or a date' },
  { input: 'every day', reason: '"every" is not a weekday, a shorthand or a date' },
  { input: 'Mon..Fry', reason: 'unknown weekday "Fry" (Mon, Tue, Wed, Thu, Fri, Sat, Sun, or in full)' },
  { input: 'Mond', reason: 'unknown weekday "Mond" (Mon, Tue, Wed, Thu, Fri, Sat, Sun, or in full)' },
  { input: 'Mon,,Tue', reason: 'expected a weekday at ",Tue" in "Mon,,Tue"' },
  { input: 'Fri..Mon', reason: 'weekday range Fri..Mon runs backwards (Mon..Sun)' },
  { input: 'Mon..Wed..Fri', reason: 'weekday range in "Mon..Wed..Fri" has more than two ends' },
  { input: 'Mon..', reason: 'weekday range Mon.. has no end' },
  { input: 'Mon.Fri', reason: 'unexpected ".Fri" in "Mon.Fri"' },
  {
    input: '*/2:00',
    reason: '"*/N" is not systemd syntax: write START/N, e.g. 0/15 for minutes or 1/2 for days (in "*/2:00")',
  },
  {
    input: '*-*-*/2',
    reason:
      '"*/N" is not systemd syntax: write START/N, e.g. 0/15 for minutes or 1/2 for days (in "*-*-*/2")',
  },
  { input: '*-*-* 24:00', reason: 'hour 24 is out of range 0..23' },
  { input: '*:60', reason: 'minute 60 is out of range 0..59' },
  { input: '*-*-* 00:00:60', reason: 'second 60 is out of range 0..59' },
  { input: '*-13-01', reason: 'month 13 is out of range 1..12' },
  { input: '*-*-0', reason: 'day 0 is out of range 1..31' },
  { input: '*-*-32', reason: 'day 32 is out of range 1..31' },
  { input: '1969-01-01', reason: 'year 1969 is out of range 1970..2199' },
  { input: '2200-01-01', reason: 'year 2200 is out of range 1970..2199' },
  { input: '@7258118400', reason: 'year 2200 is out of range 1970..2199' },
  { input: '0/0:00', reason: 'a repetition /0 must be at least 1' },
  { input: '0/24:00', reason: 'hour 0/24: the repetition is larger than 0..23 allows' },
  { input: '*-*-1/40', reason: 'day 1/40: the repetition is larger than 1..31 allows' },
  { input: '*:5/55', reason: 'minute 5/55: the repetition never fits within 0..59' },
  { input: '5..3:00', reason: 'hour 5..3: the range runs backwards' },
  { input: '*:*:10..10', reason: 'second range 10..10 must end after it starts' },
  { input: '*-*~29', reason: 'day ~29 is out of range ~1..~28' },
  { input: '*-*~0', reason: 'day ~0 is out of range ~1..~28' },
  {
    input: '*-*~1/2',
    reason: 'day ~1/2: the repetition must be smaller than 1 to fit before the end of the month',
  },
  { input: '*-*-*~1', reason: 'unexpected "~1" in "*-*-*~1"' },
  { input: '12', reason: 'a time is HH:MM or HH:MM:SS; got "12" in "12"' },
  {
    input: '12:',
    reason: 'expected a number at the end in "12:" (a field is *, a number, a list, a range or a repetition)',
  },
  { input: '1:2:3:4', reason: 'unexpected ":4" in "1:2:3:4"' },
  { input: '2026-01-01T12:00', reason: 'unexpected "T12:00" in "2026-01-01T12:00"' },
  {
    input: 'daily Europe/Berln',
    reason: 'unknown time zone "Europe/Berln" (UTC or an IANA name such as Europe/Berlin)',
  },
  {
    input: 'daily europe/berlin',
    reason: 'unknown time zone "europe/berlin" (UTC or an IANA name such as Europe/Berlin)',
  },
  { input: '01:00 CEST', reason: 'unknown time zone "CEST" (UTC or an IANA name such as Europe/Berlin)' },
  // Intl knows these aliases; systemd takes only files of the tz database (and UTC)
  ...['PST', 'IST', 'JST', 'ECT', 'AET', 'SystemV/EST5', 'US/Pacific-New'].map((zone) => ({
    input: `daily ${zone}`,
    reason: `unknown time zone "${zone}" (UTC or an IANA name such as Europe/Berlin)`,
  })),
  { input: '@abc', reason: '@ takes whole seconds since 1970-01-01 UTC and nothing after them' },
  { input: '@1 12:00', reason: '@ takes whole seconds since 1970-01-01 UTC and nothing after them' },
  { input: '99999999999:00', reason: '99999999999 is too large' },
  { input: '12:00:30.5', reason: 'fractional seconds are not supported', systemdAccepts: true },
  { input: '*:*:0.000000', reason: 'fractional seconds are not supported', systemdAccepts: true },
];

const ACCEPTED =
  'accepted: a shorthand (minutely, hourly, daily, weekly, monthly, quarterly, semiannually, yearly) or ' +
  '[WEEKDAYS] [[YEAR-]MONTH-DAY] [HH:MM[:SS]] [UTC|Area/City], where WEEKDAYS is a list or range such as ' +
  'Mon..Fri or Sat,Sun, each date and time field is *, a number, a list (1,15), a range (1..5) or a ' +
  'repetition (0/15, 1..31/3), and MONTH~DAY counts days back from the end of the month; ' +
  'e.g. "*-*-* 01:00:00", "Mon..Fri 02:30", "*-*-1,15 04:00", "*:0/15"';

describe('parseCalendar refuses what systemd refuses, saying why and what is accepted', () => {
  it.each(rejected)('$input', ({ input, reason }) => {
    expect(parseCalendar(input)).toEqual({
      ok: false,
      message: `${JSON.stringify(input)} is not a valid calendar expression: ${reason}; ${ACCEPTED}`,
    });
  });

  it.skipIf(!hasSystemdAnalyze)(
    `systemd-analyze refuses the same inputs, except the documented ones (${hasSystemdAnalyze ? 'systemd' : SKIP_REASON})`,
    () => {
      const refused = systemdRefuses(rejected.map((r) => r.input));
      const disagreements = rejected.filter((r) => refused.has(r.input) === (r.systemdAccepts === true));
      expect(disagreements).toEqual([]);
    },
  );

  it('parseCalendars reports every refused element of a list by index', () => {
    expect(parseCalendars(['daily', 'Fry', '*:0/15', '25:00'])).toMatchObject({
      ok: false,
      problems: [
        { index: 1, message: expect.stringContaining('"Fry" is not a weekday') },
        { index: 3, message: expect.stringContaining('hour 25 is out of range 0..23') },
      ],
    });
    expect(parseCalendars('daily')).toMatchObject({ ok: true, specs: [expect.any(Object)] });
  });
});

describe('normalizeCalendar prints what systemd-analyze prints as "Normalized form:"', () => {
  it.each([
    ['daily', '*-*-* 00:00:00'],
    ['Mon..Fri 02:30', 'Mon..Fri *-*-* 02:30:00'],
    ['*-*-1,15 04:00', '*-*-01,15 04:00:00'],
    ['9:5,3,7,3', '*-*-* 09:03,05,07:00'],
    ['*:0..59/20', '*-*-* *:00..40/20:00'],
    ['*:0..10/20', '*-*-* *:00:00'],
    ['*:*:0/1', '*-*-* *:*:*'],
    ['*:4,30:0/1,3,5', '*-*-* *:04,30:*'],
    ['*:*:1,0/1', '*-*-* *:*:*'],
    ['Mon,Tue,Wed,Fri', 'Mon..Wed,Fri *-*-* 00:00:00'],
    ['Sat,Sun,Mon', 'Mon,Sat,Sun *-*-* 00:00:00'],
    ['Mon..Sun', '*-*-* 00:00:00'],
    ['*~*', '*-*-* 00:00:00'],
    ['Mon ', 'Mon *-*-* 00:00:00'],
    ['@+1', '1970-01-01 00:00:01 UTC'],
    ['@1 Europe/Berlin', '1970-01-01 00:00:01 UTC'],
    ['daily utc', '*-*-* 00:00:00 UTC'],
    ['daily Etc/UTC', '*-*-* 00:00:00 Etc/UTC'],
    ['69-1-1', '2069-01-01 00:00:00'],
    ['99-12-31', '1999-12-31 00:00:00'],
  ])('%s → %s', (input, normalized) => {
    expect(normalizeCalendar(input)).toEqual({ ok: true, normalized });
  });
});
