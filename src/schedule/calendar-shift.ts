import { formatDuration } from '../util/duration.js';
import { formatCalendar } from './calendar-format.js';
import { parseCalendar } from './calendar-parse.js';
import type { CalendarComponent, CalendarField, CalendarSpec } from './calendar-spec.js';

/**
 * A calendar moved later by a fixed number of seconds, written again in systemd's syntax: the
 * per-host stagger becomes part of OnCalendar= itself, so systemd elapses at the host's slot
 * exactly and deterministically (RandomizedDelaySec= is random, FixedRandomDelay= hashes
 * /etc/machine-id), `systemctl list-timers` shows the real time, and the embedded backend
 * evaluates the very same expressions. The shift is in wall-clock time of the expression's zone.
 */
export type CalendarShift =
  | { ok: true; expressions: string[] }
  /** `expression` and `reason` are set when the move is what cannot be written (not a parse error). */
  | { ok: false; message: string; expression?: string; reason?: string };

const DAY = 86_400;

type DatePart = Pick<CalendarSpec, 'weekdays' | 'year' | 'month' | 'day' | 'endOfMonth'>;

interface Slice {
  date: DatePart;
  dateKey: string;
  hours: number[];
  minutes: number[];
  seconds: number[];
}

function valuesOf(field: CalendarField, min: number, max: number): number[] {
  const all = Array.from({ length: max - min + 1 }, (_, i) => min + i);
  if (field === undefined) return all;
  const found = new Set<number>();
  for (const { start, stop, repeat } of field) {
    const last = stop ?? (repeat > 0 ? max : start);
    for (let value = start; value <= last; value += Math.max(repeat, 1)) found.add(value);
  }
  return all.filter((value) => found.has(value));
}

/** Sorted distinct values as a field: `*`, one repetition (`05/15`, `01..23`), or a list of values and runs. */
function fieldOf(values: readonly number[], min: number, max: number): CalendarField {
  if (values.length === max - min + 1) return undefined;
  const first = values[0]!;
  const step = (values[1] ?? first) - first;
  const progression = values.length >= 3 && values.every((value, i) => value === first + i * step);
  if (progression) {
    const last = values.at(-1)!;
    if (step > 1 && last + step > max) return [{ start: first, repeat: step }];
    return [{ start: first, stop: last, repeat: step }];
  }
  const components: CalendarComponent[] = [];
  let index = 0;
  while (index < values.length) {
    let end = index;
    while (end + 1 < values.length && values[end + 1] === values[end]! + 1) end++;
    if (end - index >= 2) {
      components.push({ start: values[index]!, stop: values[end]!, repeat: 1 });
      index = end + 1;
    } else {
      components.push({ start: values[index]!, repeat: 0 });
      index++;
    }
  }
  return components;
}

/** Values moved by `add`, split into those that stay (carry 0) and those that wrap into the next unit (carry 1). */
function carrySplit(values: readonly number[], add: number, size: number): [number[], number][] {
  const groups: [number[], number][] = [
    [[], 0],
    [[], 1],
  ];
  for (const value of values) {
    const moved = value + add;
    groups[moved >= size ? 1 : 0]![0].push(moved % size);
  }
  return groups
    .filter(([list]) => list.length > 0)
    .map(([list, carry]) => [[...list].sort((a, b) => a - b), carry]);
}

function rotateWeekdays(bits: number, days: number): number {
  let rotated = 0;
  for (let day = 0; day < 7; day++) if (bits & (1 << day)) rotated |= 1 << ((day + days) % 7);
  return rotated;
}

/** The date part of the days `days` after those the spec matches, when systemd's syntax can say it. */
function shiftDate(spec: CalendarSpec, days: number): DatePart | string {
  const date: DatePart = {
    ...(spec.weekdays === undefined ? {} : { weekdays: spec.weekdays }),
    year: spec.year,
    month: spec.month,
    day: spec.day,
    endOfMonth: spec.endOfMonth,
  };
  if (days === 0) return date;
  const weekdays = spec.weekdays === undefined ? {} : { weekdays: rotateWeekdays(spec.weekdays, days) };
  if (spec.endOfMonth) return 'it counts days back from the end of the month';
  if (spec.day === undefined) {
    if (spec.year !== undefined || spec.month !== undefined) return 'it names months or years but not days';
    return { ...weekdays, year: undefined, month: undefined, day: undefined, endOfMonth: false };
  }
  const values = valuesOf(spec.day, 1, 31);
  const last = values.at(-1)!;
  if (last + days > 28)
    return `day ${last} moved by ${days} day${days === 1 ? '' : 's'} can cross a month's end`;
  const day = fieldOf(
    values.map((value) => value + days),
    1,
    31,
  );
  return { ...weekdays, year: spec.year, month: spec.month, day, endOfMonth: false };
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

function union(a: readonly number[], b: readonly number[]): number[] {
  return [...new Set([...a, ...b])].sort((x, y) => x - y);
}

const AXES = ['hours', 'minutes', 'seconds'] as const;

/** Joins slices that differ in one time field only (`01..23:05` and `00:05` on the same days are `*:05`). */
function merge(slices: Slice[]): Slice[] {
  let merged = true;
  while (merged) {
    merged = false;
    for (const axis of AXES) {
      const others = AXES.filter((a) => a !== axis);
      for (let i = 0; i < slices.length && !merged; i++) {
        for (let j = i + 1; j < slices.length && !merged; j++) {
          const [a, b] = [slices[i]!, slices[j]!];
          if (a.dateKey !== b.dateKey || !others.every((o) => sameList(a[o], b[o]))) continue;
          slices[i] = { ...a, [axis]: union(a[axis], b[axis]) };
          slices.splice(j, 1);
          merged = true;
        }
      }
    }
  }
  return slices;
}

/** The spec moved later by `seconds`, as one or more specs whose elapses together are exactly the moved ones. */
export function shiftCalendarSpec(spec: CalendarSpec, seconds: number): CalendarSpec[] | string {
  if (!Number.isInteger(seconds) || seconds < 0)
    return `the stagger ${seconds}s is not a whole number of seconds`;
  const wholeDays = Math.floor(seconds / DAY);
  const rest = seconds % DAY;
  const [addHours, addMinutes, addSeconds] = [
    Math.floor(rest / 3600),
    Math.floor((rest % 3600) / 60),
    rest % 60,
  ];
  const slices: Slice[] = [];
  for (const [secondValues, secondCarry] of carrySplit(valuesOf(spec.second, 0, 59), addSeconds, 60)) {
    for (const [minuteValues, minuteCarry] of carrySplit(
      valuesOf(spec.minute, 0, 59),
      addMinutes + secondCarry,
      60,
    )) {
      for (const [hourValues, dayCarry] of carrySplit(
        valuesOf(spec.hour, 0, 23),
        addHours + minuteCarry,
        24,
      )) {
        const date = shiftDate(spec, wholeDays + dayCarry);
        if (typeof date === 'string') return date;
        const dateKey = formatCalendar({ ...date, hour: undefined, minute: undefined, second: undefined });
        slices.push({ date, dateKey, hours: hourValues, minutes: minuteValues, seconds: secondValues });
      }
    }
  }
  return merge(slices).map((slice) => ({
    ...slice.date,
    hour: fieldOf(slice.hours, 0, 23),
    minute: fieldOf(slice.minutes, 0, 59),
    // an explicit :00 keeps systemd from reading a missing second as "every second"
    second: fieldOf(slice.seconds, 0, 59),
    ...(spec.timeZone === undefined ? {} : { timeZone: spec.timeZone }),
  }));
}

/**
 * The expressions of a `startAt` moved later by the stagger: OnCalendar= lines that elapse
 * exactly `seconds` after each declared elapse. With no stagger, the declared expressions as
 * written. Refused when a move crosses midnight onto days systemd's syntax cannot name (the
 * end of a month, a month without its days); validation rejects such declarations.
 */
export function shiftCalendars(startAt: readonly string[], seconds: number): CalendarShift {
  if (seconds === 0) return { ok: true, expressions: [...startAt] };
  // a fleet repeats the same few startAt values, and one preview or plan asks for each
  // (startAt, stagger) several times (validation, both commits, the timer it renders)
  const key = `${seconds}\u0000${startAt.join('\u0000')}`;
  let shift = shifted.get(key);
  if (shift === undefined) {
    shift = computeShift(startAt, seconds);
    if (shifted.size >= SHIFTED_MAX) shifted.clear();
    shifted.set(key, shift);
  }
  // callers own what they get: a copy, never the remembered array
  return shift.ok ? { ok: true, expressions: [...shift.expressions] } : { ...shift };
}

const SHIFTED_MAX = 100_000;
const shifted = new Map<string, CalendarShift>();

// parsed specs are only read here (shiftCalendarSpec copies what it changes)
const parsedSpecs = new Map<string, ReturnType<typeof parseCalendar>>();

function parsedOnce(expression: string): ReturnType<typeof parseCalendar> {
  let parsed = parsedSpecs.get(expression);
  if (parsed === undefined) {
    parsed = parseCalendar(expression);
    if (parsedSpecs.size >= SHIFTED_MAX) parsedSpecs.clear();
    parsedSpecs.set(expression, parsed);
  }
  return parsed;
}

function computeShift(startAt: readonly string[], seconds: number): CalendarShift {
  const expressions: string[] = [];
  for (const expression of startAt) {
    const parsed = parsedOnce(expression);
    if (!parsed.ok) return { ok: false, message: parsed.message };
    const shifted = shiftCalendarSpec(parsed.spec, seconds);
    if (typeof shifted === 'string') {
      return {
        ok: false,
        message: `${JSON.stringify(expression)} moved by a stagger of ${formatDuration(seconds)} crosses midnight onto days that systemd's calendar syntax cannot name (${shifted})`,
        expression,
        reason: shifted,
      };
    }
    for (const spec of shifted) {
      const text = formatCalendar(spec);
      if (!expressions.includes(text)) expressions.push(text);
    }
  }
  return { ok: true, expressions };
}
