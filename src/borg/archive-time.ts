import { BorgopsError } from '../errors.js';

/*
 * Archive times as borg prints them (`start`: local time, no zone, microseconds always zero
 * in 1.2 because to_localtime() drops them), turned into plain numbers once so retention over
 * 100,000 archives stays a few milliseconds of integer arithmetic.
 */

const MS_PER_DAY = 86_400_000;

export interface ArchiveTimes {
  /** Local wall-clock time as if it were UTC, in ms: period keys are integer divisions of it. */
  wall: Float64Array;
  /** Microseconds within the second (0 for borg 1.2). */
  micros: Int32Array;
  year: Int32Array;
  /** 1–12. */
  month: Int32Array;
}

function digits(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i += 1) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return Number.NaN;
    value = value * 10 + digit;
  }
  return value;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil), no Date object. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function separatorsOk(text: string): boolean {
  return text[4] === '-' && text[7] === '-' && text[10] === 'T' && text[13] === ':' && text[16] === ':';
}

function invalid(name: string, start: string): BorgopsError {
  return new BorgopsError('E_BORG', `archive ${name}: unexpected time ${JSON.stringify(start)}`);
}

/** Microseconds of `.f`…`.ffffff` after the seconds; NaN when malformed. */
function fractionMicros(start: string): number {
  if (start.length === 19) return 0;
  const length = start.length - 20;
  if (start[19] !== '.' || length < 1 || length > 6) return Number.NaN;
  return digits(start, 20, length) * 10 ** (6 - length);
}

/** Parses `YYYY-MM-DDTHH:MM:SS[.ffffff]` for every archive; throws on anything else. */
export function parseArchiveTimes(archives: readonly { name: string; start: string }[]): ArchiveTimes {
  const count = archives.length;
  const times: ArchiveTimes = {
    wall: new Float64Array(count),
    micros: new Int32Array(count),
    year: new Int32Array(count),
    month: new Int32Array(count),
  };
  for (let i = 0; i < count; i += 1) {
    const { name, start } = archives[i] ?? { name: '', start: '' };
    if (start.length < 19 || !separatorsOk(start)) throw invalid(name, start);
    const year = digits(start, 0, 4);
    const month = digits(start, 5, 2);
    const day = digits(start, 8, 2);
    const hour = digits(start, 11, 2);
    const minute = digits(start, 14, 2);
    const second = digits(start, 17, 2);
    const micros = fractionMicros(start);
    // NaN fails every comparison, so one check covers malformed digits too.
    const ok =
      month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 59;
    if (!ok || !(year >= 0 && micros >= 0)) throw invalid(name, start);
    times.wall[i] =
      daysFromCivil(year, month, day) * MS_PER_DAY + hour * 3_600_000 + minute * 60_000 + second * 1000;
    times.micros[i] = micros;
    times.year[i] = year;
    times.month[i] = month;
  }
  return times;
}

/** The instant of a local wall-clock time in µs since the epoch, in this process's time zone (as borg's). */
/** Zones whose offset is always zero: there a wall time is its own instant, and no hour repeats. */
const ZERO_OFFSET_ZONES = new Set([
  'UTC',
  'Etc/UTC',
  'Etc/UCT',
  'UCT',
  'GMT',
  'Etc/GMT',
  'Etc/Universal',
  'Universal',
  'Etc/Zulu',
  'Zulu',
  'Etc/GMT0',
  'Etc/GMT+0',
  'Etc/GMT-0',
  'GMT0',
  'Etc/Greenwich',
  'Greenwich',
]);

/** Whether this process's time zone is UTC (servers usually are): asked once per call of a caller, cheap. */
export function zoneIsUtc(): boolean {
  return ZERO_OFFSET_ZONES.has(Intl.DateTimeFormat().resolvedOptions().timeZone);
}

export function instantMicros(times: ArchiveTimes, index: number): number {
  // the wall time's fields by arithmetic (one Date, not two: 100,000 archives allocate less)
  const wall = times.wall[index] ?? 0;
  const days = Math.floor(wall / MS_PER_DAY);
  const ofDay = wall - days * MS_PER_DAY;
  const day = days - daysFromCivil(times.year[index] ?? 1970, times.month[index] ?? 1, 1) + 1;
  const local = new Date(
    times.year[index] ?? 1970,
    (times.month[index] ?? 1) - 1,
    day,
    Math.floor(ofDay / 3_600_000),
    Math.floor(ofDay / 60_000) % 60,
    Math.floor(ofDay / 1000) % 60,
  );
  return local.getTime() * 1000 + (times.micros[index] ?? 0);
}

/** Whether a local instant (ms) shows this wall time (ms as if UTC) in this process's time zone. */
function showsWall(instantMs: number, wallMs: number): boolean {
  return instantMs - new Date(instantMs).getTimezoneOffset() * 60_000 === wallMs;
}

/**
 * The instants of archives listed in borg's (timestamp) order, in µs, when only local times are
 * known (an exported `borg list`): a wall time that occurs twice, in the hour that repeats when
 * clocks go back, is the first occurrence unless that would be older than the archive listed
 * before it. Exact for a list that crosses the change; an archive whose list starts after the
 * change and only in the repeated hour reads as the first occurrence (nothing tells them apart).
 */
export function listedInstantsMicros(times: ArchiveTimes): Float64Array {
  const instants = new Float64Array(times.wall.length);
  if (zoneIsUtc()) {
    for (let index = 0; index < times.wall.length; index += 1)
      instants[index] = (times.wall[index] ?? 0) * 1000 + (times.micros[index] ?? 0);
    return instants;
  }
  let previous = Number.NEGATIVE_INFINITY;
  for (let index = 0; index < times.wall.length; index += 1) {
    let instant = instantMicros(times, index);
    if (instant < previous) {
      // the second occurrence: the same wall time read with the offset in force a few hours later
      const wall = times.wall[index] ?? 0;
      const laterOffset = new Date(instant / 1000 + 3 * 3_600_000).getTimezoneOffset();
      const second = wall + laterOffset * 60_000;
      if (second * 1000 > instant && showsWall(second, wall))
        instant = second * 1000 + (times.micros[index] ?? 0);
    }
    instants[index] = instant;
    previous = Math.max(previous, instant);
  }
  return instants;
}

export type PeriodRule =
  | 'secondly'
  | 'minutely'
  | 'hourly'
  | 'daily'
  | 'weekly'
  | 'monthly'
  | 'quarterly_13weekly'
  | 'quarterly_3monthly'
  | 'yearly';

/** The ISO year and week (1–53) of a day since the epoch: the week's Thursday decides the year. */
function isoWeek(day: number): { year: number; week: number } {
  const weekday = (((day + 3) % 7) + 7) % 7; // Monday 0; 1970-01-01 was a Thursday
  const thursday = day - weekday + 3;
  const year = new Date(thursday * MS_PER_DAY).getUTCFullYear();
  return { year, week: Math.floor((thursday - daysFromCivil(year, 1, 1)) / 7) + 1 };
}

/**
 * One number per strftime period of borg's PRUNING_PATTERNS: equal numbers ⇔ equal strings.
 * An ISO week (`%G-%V`) is identified by its Monday; the quarters (borg 1.4) by year × 4 + quarter.
 */
export function periodKey(times: ArchiveTimes, index: number, rule: PeriodRule): number {
  const wall = times.wall[index] ?? 0;
  switch (rule) {
    case 'secondly':
      return wall;
    case 'minutely':
      return Math.floor(wall / 60_000);
    case 'hourly':
      return Math.floor(wall / 3_600_000);
    case 'daily':
      return Math.floor(wall / MS_PER_DAY);
    case 'weekly': {
      const day = Math.floor(wall / MS_PER_DAY);
      // 1970-01-01 was a Thursday: Monday-based weekday 3.
      const weekday = (((day + 3) % 7) + 7) % 7;
      return day - weekday;
    }
    case 'monthly':
      return (times.year[index] ?? 0) * 12 + (times.month[index] ?? 1) - 1;
    case 'quarterly_13weekly': {
      // borg 1.4: ISO weeks 1–13, 14–26, 27–39 and 40 onward (52 or 53) of the ISO year
      const { year, week } = isoWeek(Math.floor(wall / MS_PER_DAY));
      return year * 4 + Math.min(Math.floor((week - 1) / 13), 3);
    }
    case 'quarterly_3monthly':
      // borg 1.4: January–March, April–June, July–September, October–December
      return (times.year[index] ?? 0) * 4 + Math.floor(((times.month[index] ?? 1) - 1) / 3);
    case 'yearly':
      return times.year[index] ?? 0;
  }
}
