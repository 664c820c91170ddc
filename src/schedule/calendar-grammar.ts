import type { FieldName } from './calendar-normalize.js';
import { type CalendarComponent, WEEKDAY_LONG_NAMES, WEEKDAY_NAMES } from './calendar-spec.js';
import { wallOf } from './civil-time.js';

/** Why systemd refuses an expression; thrown while reading, turned into a message by parseCalendar. */
export class CalendarRejection extends Error {}

export function reject(reason: string): never {
  throw new CalendarRejection(reason);
}

type Components = CalendarComponent[] | undefined;

/** The fields as written, before systemd's normalization. */
export interface Draft {
  weekdays: number;
  /** Set by @TIMESTAMP, which is in UTC whatever zone follows. */
  utc: boolean;
  year?: Components;
  month?: Components;
  day?: Components;
  endOfMonth: boolean;
  hour?: Components;
  minute?: Components;
  second?: Components;
}

// systemd tries each full name before its abbreviation
const weekdayWords = WEEKDAY_NAMES.flatMap((short, day) => [
  { word: WEEKDAY_LONG_NAMES[day] ?? short, day },
  { word: short, day },
]);

/**
 * Reads an expression without its time zone, with systemd's grammar (calendarspec.c), left to
 * right: [WEEKDAYS] [[YEAR-]MONTH-DAY | @SECONDS] [HH:MM[:SS]].
 */
export function readBody(text: string): Draft {
  const draft: Draft = { weekdays: 0, utc: false, endOfMonth: false };
  let at = 0;
  const rest = () => text.slice(at);
  const unexpected = (): never =>
    reject(at >= text.length ? `"${text}" ends too early` : `unexpected "${rest()}" in "${text}"`);
  const skipSpaces = () => {
    while (text[at] === ' ') at++;
  };

  const unknownWeekday = (): never => {
    const word = /^[^ ,.-]*/.exec(rest())?.[0];
    if (!word) reject(`expected a weekday at "${rest()}" in "${text}"`);
    reject(`unknown weekday "${word}" (Mon, Tue, Wed, Thu, Fri, Sat, Sun, or in full)`);
  };

  const readWeekdays = () => {
    let open = -1;
    let first = true;
    for (;;) {
      const lower = rest().toLowerCase();
      const found = weekdayWords.find(({ word }) => lower.startsWith(word.toLowerCase()));
      if (!found) return first ? undefined : unknownWeekday();
      const after = text[at + found.word.length];
      if (after !== undefined && !' -.,'.includes(after)) unknownWeekday();
      if (open > found.day) {
        reject(`weekday range ${WEEKDAY_NAMES[open]}..${WEEKDAY_NAMES[found.day]} runs backwards (Mon..Sun)`);
      }
      for (let day = open < 0 ? found.day : open; day <= found.day; day++) draft.weekdays |= 1 << day;
      at += found.word.length;
      if (at === text.length) return;
      if (text[at] === ' ') return skipSpaces();
      if (text[at] === ',') {
        open = -1;
        at++;
      } else {
        if (open >= 0) reject(`weekday range in "${text}" has more than two ends`);
        if (text[at] === '.' && text[at + 1] !== '.') unexpected();
        open = found.day;
        at += text[at] === '.' ? 2 : 1;
      }
      if (at === text.length || text[at] === ' ') {
        if (open >= 0) reject(`weekday range ${WEEKDAY_NAMES[open]}.. has no end`);
        return skipSpaces();
      }
      first = false;
    }
  };

  const readNumber = (seconds: boolean): number => {
    const digits = /^[0-9]+/.exec(rest())?.[0];
    if (digits === undefined) {
      if (/^[A-Za-z]/.test(rest()) && at === 0) {
        reject(`"${/^[^ ]*/.exec(rest())?.[0]}" is not a weekday, a shorthand or a date`);
      }
      reject(
        `expected a number at ${at >= text.length ? 'the end' : `"${rest()}"`} in "${text}" (a field is *, a number, a list, a range or a repetition)`,
      );
    }
    at += digits.length;
    if (seconds && text[at] === '.' && text[at + 1] !== '.') reject('fractional seconds are not supported');
    const value = Number(digits);
    if (value > 2 ** 31 - 1) reject(`${digits} is too large`);
    return value;
  };

  const readField = (name: FieldName): Components => {
    const seconds = name === 'second';
    if (text[at] === '*') {
      at++;
      if (text[at] === '/') {
        reject(
          `"*/N" is not systemd syntax: write START/N, e.g. 0/15 for minutes or 1/2 for days (in "${text}")`,
        );
      }
      return undefined;
    }
    const components: CalendarComponent[] = [];
    for (;;) {
      const start = readNumber(seconds);
      let stop: number | undefined;
      let repeat = 0;
      if (text.startsWith('..', at)) {
        at += 2;
        stop = readNumber(seconds);
        repeat = 1;
      }
      if (text[at] === '/') {
        at++;
        repeat = readNumber(seconds);
        if (repeat === 0) reject('a repetition /0 must be at least 1');
      } else if (seconds && stop !== undefined && start + 1 > stop) {
        reject(`second range ${start}..${stop} must end after it starts`);
      }
      const next = text[at];
      if (next !== undefined && !' ,-~:'.includes(next)) unexpected();
      components.push(stop === undefined ? { start, repeat } : { start, stop, repeat });
      if (components.length > 241) reject(`${name} has more than 241 values`);
      if (next !== ',') return components;
      at++;
    }
  };

  const readDate = (): 'date' | 'timestamp' | 'none' => {
    if (at === text.length) return 'none';
    if (text[at] === '@') {
      // strtoul, as systemd reads it: leading white space and a plus sign pass
      const digits = /^@[ \t\n\v\f\r]*\+?([0-9]+)$/.exec(rest())?.[1];
      if (digits === undefined) reject('@ takes whole seconds since 1970-01-01 UTC and nothing after them');
      const wall = wallOf(Number(digits));
      if (!Number.isSafeInteger(wall.year)) reject(`@${digits} is too large`);
      const fixed = (value: number) => [{ start: value, repeat: 0 }];
      Object.assign(draft, {
        utc: true,
        year: fixed(wall.year),
        month: fixed(wall.month),
        day: fixed(wall.day),
        hour: fixed(wall.hour),
        minute: fixed(wall.minute),
        second: fixed(wall.second),
      });
      at = text.length;
      return 'timestamp';
    }
    const begin = at;
    const first = readField('year');
    // no "-" or "~" after the first field: it was the hour of a time
    if (at === text.length || text[at] === ':') {
      at = begin;
      return 'none';
    }
    const separator = () => {
      if (text[at] === '~') draft.endOfMonth = true;
      else if (text[at] !== '-') unexpected();
      at++;
    };
    separator();
    const second = readField('month');
    if (at === text.length || text[at] === ' ') {
      Object.assign(draft, { month: first, day: second });
      skipSpaces();
      return 'date';
    }
    if (draft.endOfMonth) unexpected();
    separator();
    const third = readField('day');
    if (at !== text.length && text[at] !== ' ') unexpected();
    Object.assign(draft, { year: first, month: second, day: third });
    skipSpaces();
    return 'date';
  };

  const readTime = () => {
    const zero = () => [{ start: 0, repeat: 0 }];
    if (at === text.length) {
      Object.assign(draft, { hour: zero(), minute: zero(), second: zero() });
      return;
    }
    draft.hour = readField('hour');
    if (text[at] !== ':') reject(`a time is HH:MM or HH:MM:SS; got "${text.slice(0, at)}" in "${text}"`);
    at++;
    draft.minute = readField('minute');
    if (at === text.length) {
      draft.second = zero();
      return;
    }
    if (text[at] !== ':') unexpected();
    at++;
    draft.second = readField('second');
    if (at !== text.length) unexpected();
  };

  readWeekdays();
  if (readDate() !== 'timestamp') readTime();
  if (at !== text.length) unexpected();
  return draft;
}
