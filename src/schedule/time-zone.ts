import { closeSync, openSync, readSync } from 'node:fs';
import { type WallTime, wallSeconds } from './civil-time.js';

/** A time zone as the calendar needs it: the UTC offset in force at an instant. */
export interface TimeZone {
  /** A name for messages: "UTC", an IANA name, or "local". */
  name: string;
  /** Seconds east of UTC at `seconds` since the epoch. */
  offsetAt(seconds: number): number;
}

export const UTC_ZONE: TimeZone = { name: 'UTC', offsetAt: () => 0 };

/**
 * Remembers, per day, the offset of days that start and end on one offset (a zone changes at
 * most once a day), so that most look-ups skip the slow exact one (Intl takes microseconds).
 */
function byDay(exact: (seconds: number) => number): (seconds: number) => number {
  const days = new Map<number, number | undefined>();
  return (seconds) => {
    const day = Math.floor(seconds / 86_400);
    if (!days.has(day)) {
      if (days.size > 4096) days.clear();
      const start = exact(day * 86_400);
      days.set(day, start === exact(day * 86_400 + 86_399) ? start : undefined);
    }
    return days.get(day) ?? exact(seconds);
  };
}

/** The zone of this process (TZ), read through Date so it follows a change of process.env.TZ. */
export const LOCAL_ZONE: TimeZone = {
  name: 'local',
  offsetAt: (seconds) => -new Date(seconds * 1000).getTimezoneOffset() * 60 || 0,
};

const zones = new Map<string, TimeZone | undefined>();

const ZONEINFO = '/usr/share/zoneinfo';

/**
 * systemd's timezone_is_valid(): a TZif file of the tz database on this machine. Intl also knows
 * aliases such as PST, IST or SystemV/EST5 that systemd refuses ("Failed to parse calendar
 * specification"), so a timer written with them would never fire. Undefined when this machine
 * has no tz database at all (then Intl alone decides).
 */
function inZoneinfo(name: string): boolean | undefined {
  if (name.startsWith('/') || name.split('/').some((part) => part === '..' || part === '.' || part === ''))
    return false;
  let fd: number;
  try {
    fd = openSync(`${ZONEINFO}/${name}`, 'r');
  } catch (error: unknown) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !hasZoneinfo()) return undefined;
    return false;
  }
  try {
    const magic = Buffer.alloc(4);
    const read = readSync(fd, magic, 0, 4, 0);
    return read === 4 && magic.toString('latin1') === 'TZif';
  } catch {
    // a directory (EISDIR) or an unreadable file is no zone for systemd either
    return false;
  } finally {
    closeSync(fd);
  }
}

let zoneinfoPresent: boolean | undefined;

function hasZoneinfo(): boolean {
  if (zoneinfoPresent === undefined) {
    try {
      closeSync(openSync(`${ZONEINFO}/UTC`, 'r'));
      zoneinfoPresent = true;
    } catch {
      zoneinfoPresent = false;
    }
  }
  return zoneinfoPresent;
}

function intlZone(name: string): TimeZone | undefined {
  // systemd looks the name up in /usr/share/zoneinfo, which is case-sensitive; Intl is not
  if (name.split('/').some((part) => !/^[A-Z][A-Za-z0-9_+-]*$/.test(part))) return undefined;
  if (inZoneinfo(name) === false) return undefined;
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch (error: unknown) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
  const canonical = format.resolvedOptions().timeZone;
  if (canonical.toLowerCase() === name.toLowerCase() && canonical !== name) return undefined;
  const exact = (seconds: number): number => {
    const fields: Record<string, number> = {};
    for (const part of format.formatToParts(seconds * 1000)) {
      if (part.type !== 'literal') fields[part.type] = Number(part.value);
    }
    const local = wallSeconds({
      year: fields.year ?? 1970,
      month: fields.month ?? 1,
      day: fields.day ?? 1,
      hour: fields.hour ?? 0,
      minute: fields.minute ?? 0,
      second: fields.second ?? 0,
    });
    return local - seconds;
  };
  return { name, offsetAt: byDay(exact) };
}

/**
 * The zone called `name` (an IANA name spelled as in the tz database and present in this
 * machine's /usr/share/zoneinfo, as systemd requires, or UTC in any case), undefined when unknown. Undefined `name` is the zone of this process.
 */
export function timeZoneNamed(name: string | undefined): TimeZone | undefined {
  if (name === undefined) return LOCAL_ZONE;
  if (name.toUpperCase() === 'UTC') return UTC_ZONE;
  if (!zones.has(name)) zones.set(name, intlZone(name));
  return zones.get(name);
}

/** How a wall time maps to instants in a zone. */
export type Resolution =
  /** Instants (seconds) showing this wall time: one, or two in a repeated hour, ascending. */
  | { kind: 'exists'; instants: number[] }
  /** Skipped by a forward change from offset `before` to `after` (seconds east of UTC). */
  | { kind: 'gap'; before: number; after: number };

// UTC offsets lie within -12 h and +14 h; a window a little wider holds every candidate instant
const BEFORE = 15 * 3600;
const AFTER = 13 * 3600;

/** Resolves a wall time, assuming at most one offset change within a day of it. */
export function resolveWall(zone: TimeZone, wall: WallTime): Resolution {
  const local = wallSeconds(wall);
  const early = zone.offsetAt(local - BEFORE);
  const late = zone.offsetAt(local + AFTER);
  if (early === late) return { kind: 'exists', instants: [local - early] };
  const instants = [local - early, local - late]
    .filter((instant) => zone.offsetAt(instant) === local - instant)
    .sort((a, b) => a - b);
  return instants.length > 0 ? { kind: 'exists', instants } : { kind: 'gap', before: early, after: late };
}
