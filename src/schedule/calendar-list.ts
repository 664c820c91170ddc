import { nextElapse } from './calendar-next.js';
import { parseCalendar } from './calendar-parse.js';
import type { CalendarSpec } from './calendar-spec.js';

export type CalendarListParse =
  | { ok: true; specs: CalendarSpec[] }
  | { ok: false; problems: { index: number; message: string }[] };

/** Parses every expression of a `startAt` (a string or a list); every refusal at once. */
export function parseCalendars(expressions: string | readonly string[]): CalendarListParse {
  const list = typeof expressions === 'string' ? [expressions] : expressions;
  const specs: CalendarSpec[] = [];
  const problems: { index: number; message: string }[] = [];
  for (const [index, expression] of list.entries()) {
    const parsed = parseCalendar(expression);
    if (parsed.ok) specs.push(parsed.spec);
    else problems.push({ index, message: parsed.message });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, specs };
}

/** The earliest elapse of any of the specs strictly after `after` (a timer with several OnCalendar=). */
export function nextElapseOfAny(
  specs: readonly CalendarSpec[],
  after: Date,
  timeZone?: string,
): Date | undefined {
  let earliest: Date | undefined;
  for (const spec of specs) {
    const next = nextElapse(spec, after, timeZone);
    if (next !== undefined && (earliest === undefined || next < earliest)) earliest = next;
  }
  return earliest;
}

/** The next `count` distinct elapses of the specs together; an instant two specs share elapses once. */
export function nextElapsesOfAny(
  specs: readonly CalendarSpec[],
  after: Date,
  count: number,
  timeZone?: string,
): Date[] {
  const elapses: Date[] = [];
  let cursor = after;
  while (elapses.length < count) {
    const next = nextElapseOfAny(specs, cursor, timeZone);
    if (next === undefined) break;
    elapses.push(next);
    cursor = next;
  }
  return elapses;
}

export interface IntervalOptions {
  timeZone?: string;
  /** Look at the elapses within this many seconds after `from` (default 800 days: two years). */
  horizonSeconds?: number;
  /** At most this many elapses (default 2000). */
  limit?: number;
}

/**
 * The longest gap in seconds between consecutive elapses of the specs after `from` (at least
 * two elapses, then up to the horizon or the limit): for "Mon..Fri 02:30" 3 days (the
 * weekend), for monthly 31 days. Undefined when the specs elapse fewer than twice.
 */
export function estimateInterval(
  specs: readonly CalendarSpec[],
  from: Date,
  options: IntervalOptions = {},
): number | undefined {
  const horizon = from.getTime() + (options.horizonSeconds ?? 800 * 86_400) * 1000;
  const limit = options.limit ?? 2000;
  let previous = nextElapseOfAny(specs, from, options.timeZone);
  let longest: number | undefined;
  for (let count = 1; previous !== undefined && count < limit; count++) {
    const next = nextElapseOfAny(specs, previous, options.timeZone);
    if (next === undefined) break;
    const gap = (next.getTime() - previous.getTime()) / 1000;
    longest = Math.max(longest ?? 0, gap);
    if (next.getTime() > horizon) break;
    previous = next;
  }
  return longest;
}
