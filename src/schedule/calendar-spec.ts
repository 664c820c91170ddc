/**
 * One element of a date or time field: `start`, `start..stop`, `start/repeat` or
 * `start..stop/repeat` (a range alone repeats by 1). Values are as written: years in full,
 * months 1..12, days 1..31 (or counted back from the end of the month with `~`).
 */
export interface CalendarComponent {
  start: number;
  /** Last value of a range; undefined when open. */
  stop?: number;
  /** Step from `start`; 0 when the element is a single value. */
  repeat: number;
}

/** A field is undefined for `*` (every value) or a list of elements, sorted and distinct. */
export type CalendarField = readonly CalendarComponent[] | undefined;

/** A parsed systemd calendar expression (systemd.time(7), "Calendar Events"), normalized as systemd does. */
export interface CalendarSpec {
  /** Weekday bits, Monday 1 << 0 … Sunday 1 << 6; undefined for every day. */
  weekdays?: number;
  year: CalendarField;
  month: CalendarField;
  day: CalendarField;
  /** `~`: days count back from the last day of the month (1 = the last day). */
  endOfMonth: boolean;
  hour: CalendarField;
  minute: CalendarField;
  second: CalendarField;
  /** "UTC" or an IANA zone named in the expression; undefined: the local zone of the machine. */
  timeZone?: string;
}

export const MIN_YEAR = 1970;
export const MAX_YEAR = 2199;

export const WEEKDAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
export const WEEKDAY_LONG_NAMES = [
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
  'Sunday',
] as const;
export const ALL_WEEKDAYS = 0b111_1111;

/** The shorthands systemd accepts (case-insensitively), as the fields they stand for. */
export const SHORTHANDS = {
  minutely: '*-*-* *:*:00',
  hourly: '*-*-* *:00:00',
  daily: '*-*-* 00:00:00',
  weekly: 'Mon *-*-* 00:00:00',
  monthly: '*-*-01 00:00:00',
  quarterly: '*-01,04,07,10-01 00:00:00',
  semiannually: '*-01,07-01 00:00:00',
  'semi-annually': '*-01,07-01 00:00:00',
  biannually: '*-01,07-01 00:00:00',
  'bi-annually': '*-01,07-01 00:00:00',
  yearly: '*-01-01 00:00:00',
  annually: '*-01-01 00:00:00',
  anually: '*-01-01 00:00:00',
} as const satisfies Record<string, string>;

export const ACCEPTED_FORMS =
  'accepted: a shorthand (minutely, hourly, daily, weekly, monthly, quarterly, semiannually, yearly) or ' +
  '[WEEKDAYS] [[YEAR-]MONTH-DAY] [HH:MM[:SS]] [UTC|Area/City], where WEEKDAYS is a list or range such as ' +
  'Mon..Fri or Sat,Sun, each date and time field is *, a number, a list (1,15), a range (1..5) or a ' +
  'repetition (0/15, 1..31/3), and MONTH~DAY counts days back from the end of the month; ' +
  'e.g. "*-*-* 01:00:00", "Mon..Fri 02:30", "*-*-1,15 04:00", "*:0/15"';
