import { type CalendarField, type CalendarSpec, MAX_YEAR } from './calendar-spec.js';
import { daysInMonth, type WallTime, wallOf, weekdayOf } from './civil-time.js';
import { type TimeZone, timeZoneNamed, UTC_ZONE } from './time-zone.js';
import { CIVIL_CLOCK, type Clock, zoneClock } from './zone-clock.js';

/**
 * The smallest value ≥ `value` that the field matches, or undefined. With `lastDay`, the
 * field counts days back from it (`~`). The result may lie past the unit's end (a repetition
 * walks on); the caller then moves to the next larger unit, as systemd does.
 */
function earliest(field: CalendarField, value: number, lastDay?: number): number | undefined {
  if (field === undefined) return value;
  let best: number | undefined;
  for (const component of field) {
    let { start, stop } = component;
    if (lastDay !== undefined) {
      start = lastDay + 1 - component.start;
      stop = component.stop === undefined ? undefined : lastDay + 1 - component.stop;
      if (stop !== undefined) [start, stop] = [stop, start];
    }
    let candidate: number | undefined;
    if (start >= value) candidate = start;
    else if (component.repeat > 0) {
      const next = start + component.repeat * Math.ceil((value - start) / component.repeat);
      if (stop === undefined || next <= stop) candidate = next;
    }
    if (candidate !== undefined && (best === undefined || candidate < best)) best = candidate;
  }
  return best;
}

type Bounds = 'within' | 'moved' | 'beyond';

const UNITS = ['year', 'month', 'day', 'hour', 'minute', 'second'] as const;

/**
 * systemd's tm_within_bounds on wall fields: past 2199, or carried backwards, is beyond;
 * overflowing fields are carried and only the unit right below the first one that changed is
 * reset, so `wall` may land past the next match: a quirk that systemd 252 computes too.
 */
function checkBounds(wall: WallTime, clock: Clock): Bounds {
  if (wall.year > MAX_YEAR) return 'beyond';
  const carried = clock.normalize(wall);
  const changed = UNITS.findIndex((unit) => carried[unit] !== wall[unit]);
  const unit = UNITS[changed];
  if (unit === undefined) return 'within';
  if (carried[unit] < wall[unit]) return 'beyond';
  const below = UNITS[changed + 1];
  if (below !== undefined) carried[below] = below === 'month' || below === 'day' ? 1 : 0;
  Object.assign(wall, carried);
  return 'moved';
}

// systemd gives up after this many steps (MAX_CALENDAR_ITERATIONS) and the timer never elapses
const MAX_STEPS = 1000;

/**
 * The first wall time ≥ `from` that the spec matches, zone aside, following systemd's
 * find_next step by step: match the year, month, day, weekday, hour, minute and second in turn,
 * each jump resetting the smaller units. With `after`, `from` itself is excluded. Undefined past
 * 2199 (systemd's limit).
 */
export function nextWallTime(
  spec: CalendarSpec,
  from: WallTime,
  after = false,
  clock: Clock = CIVIL_CLOCK,
): WallTime | undefined {
  const c: WallTime = { ...from };
  // systemd starts a microsecond after its base: the second of `from` itself no longer matches
  let pastSecond = after;
  const reset = (...units: ('month' | 'day' | 'hour' | 'minute' | 'second')[]) => {
    for (const unit of units) c[unit] = unit === 'month' || unit === 'day' ? 1 : 0;
    pastSecond &&= !units.includes('second');
  };
  for (let step = 0; step < MAX_STEPS; step++) {
    Object.assign(c, clock.normalize(c));

    const year = earliest(spec.year, c.year);
    if (year === undefined) return undefined;
    if (year !== c.year) {
      c.year = year;
      reset('month', 'day', 'hour', 'minute', 'second');
    }
    if (checkBounds(c, clock) !== 'within') return undefined;

    const month = earliest(spec.month, c.month);
    if (month !== undefined && month !== c.month) {
      c.month = month;
      reset('day', 'hour', 'minute', 'second');
    }
    const monthBounds = month === undefined ? 'beyond' : checkBounds(c, clock);
    if (monthBounds === 'beyond') {
      c.year++;
      reset('month', 'day', 'hour', 'minute', 'second');
    }
    if (monthBounds !== 'within') continue;

    if (spec.endOfMonth) {
      // systemd finds the Nth last day with mktime, for each start and stop; in a zone that sets
      // the offset mktime reuses next
      for (const { start, stop } of spec.day ?? []) {
        clock.normalize({ ...c, month: c.month + 1, day: 1 - start });
        clock.normalize({ ...c, month: c.month + 1, day: 1 - (stop ?? -1) });
      }
    }
    const lastDay = spec.endOfMonth ? daysInMonth(c.year, c.month) : undefined;
    const day = earliest(spec.day, c.day, lastDay);
    if (day !== undefined && day !== c.day) {
      c.day = day;
      reset('hour', 'minute', 'second');
    }
    const dayBounds = day === undefined ? 'beyond' : checkBounds(c, clock);
    if (dayBounds === 'beyond') {
      c.month++;
      reset('day', 'hour', 'minute', 'second');
    }
    if (dayBounds !== 'within') continue;

    if (spec.weekdays !== undefined && !(spec.weekdays & (1 << weekdayOf(clock.normalize(c))))) {
      c.day++;
      reset('hour', 'minute', 'second');
      continue;
    }

    const hour = earliest(spec.hour, c.hour);
    if (hour !== undefined && hour !== c.hour) {
      c.hour = hour;
      reset('minute', 'second');
    }
    const hourBounds = hour === undefined ? 'beyond' : checkBounds(c, clock);
    if (hourBounds === 'beyond') {
      c.day++;
      reset('hour', 'minute', 'second');
    }
    if (hourBounds !== 'within') continue;

    const minute = earliest(spec.minute, c.minute);
    if (minute !== undefined && minute !== c.minute) {
      c.minute = minute;
      reset('second');
    }
    const minuteBounds = minute === undefined ? 'beyond' : checkBounds(c, clock);
    if (minuteBounds === 'beyond') {
      c.hour++;
      reset('minute', 'second');
    }
    if (minuteBounds !== 'within') continue;

    const second = earliest(spec.second, c.second + (pastSecond ? 1 : 0));
    pastSecond = false;
    if (second !== undefined) c.second = second;
    const secondBounds = second === undefined ? 'beyond' : checkBounds(c, clock);
    if (secondBounds === 'beyond') {
      c.minute++;
      reset('second');
    }
    if (secondBounds === 'within') return c;
  }
  return undefined;
}

function zoneOf(spec: CalendarSpec, timeZone: string | undefined): TimeZone {
  const name = spec.timeZone ?? timeZone;
  const zone = timeZoneNamed(name);
  if (zone === undefined) throw new RangeError(`unknown time zone "${name}"`);
  return zone;
}

function nextSecond(spec: CalendarSpec, afterSeconds: number, zone: TimeZone): number | undefined {
  const clock = zone === UTC_ZONE ? CIVIL_CLOCK : zoneClock(zone, afterSeconds);
  let from = wallOf(afterSeconds + zone.offsetAt(afterSeconds));
  for (;;) {
    const wall = nextWallTime(spec, from, true, clock);
    if (wall === undefined) return undefined;
    const instant = clock.instantOf(wall);
    if (instant > afterSeconds) return instant;
    // a repeated wall time that mktime placed at its earlier showing, already past
    from = wall;
  }
}

/**
 * The first elapse strictly after `after`, as systemd computes it: in the zone the expression
 * names, else in `timeZone` (an IANA name or "UTC"), else in the zone of this process (TZ).
 * Undefined when the expression never elapses again.
 */
export function nextElapse(spec: CalendarSpec, after: Date, timeZone?: string): Date | undefined {
  const next = nextSecond(spec, Math.floor(after.getTime() / 1000), zoneOf(spec, timeZone));
  return next === undefined ? undefined : new Date(next * 1000);
}

/** The next `count` elapses after `after` (fewer when the expression stops elapsing). */
export function nextElapses(spec: CalendarSpec, after: Date, count: number, timeZone?: string): Date[] {
  const zone = zoneOf(spec, timeZone);
  const elapses: Date[] = [];
  let seconds = Math.floor(after.getTime() / 1000);
  while (elapses.length < count) {
    const next = nextSecond(spec, seconds, zone);
    if (next === undefined) break;
    elapses.push(new Date(next * 1000));
    seconds = next;
  }
  return elapses;
}
