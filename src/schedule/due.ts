import { nextElapseOfAny, parseCalendars } from './calendar-list.js';
import { shiftCalendars } from './calendar-shift.js';
import type { CalendarSpec } from './calendar-spec.js';

/** What decides when a job runs: its calendar, this host's stagger, and its history. */
export interface JobTiming {
  startAt: readonly string[];
  staggerSeconds: number;
  /** When the job last started (ISO), as systemd's last trigger of a Persistent= timer. */
  lastRun?: string;
  /** When its schedule began (ISO): the base while it has never run, as a timer's activation time. */
  since?: string;
}

export type NextRun =
  /** `at` is the first elapse after the last run (or `since`); `due` when it is not later than now. */
  | { ok: true; at: Date; due: boolean }
  /** The calendar never elapses again (a past year), or cannot be read. */
  | { ok: false; reason: string };

/** The staggered calendar of a job as specs: what both backends run (OnCalendar= of the systemd timer). */
export function staggeredSpecs(
  timing: Pick<JobTiming, 'startAt' | 'staggerSeconds'>,
): CalendarSpec[] | string {
  const shifted = shiftCalendars(timing.startAt, timing.staggerSeconds);
  if (!shifted.ok) return shifted.message;
  const parsed = parseCalendars(shifted.expressions);
  return parsed.ok ? parsed.specs : parsed.problems.map((p) => p.message).join('; ');
}

function instant(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const at = new Date(text);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/**
 * The job's next run with systemd's Persistent=true semantics: the first elapse of the
 * staggered calendar after the last run. When that is not later than `now`, the job is due:
 * elapses missed while the host (or the agent) was down make it due once, not once per miss.
 * A job that never ran counts from `since` (its installation), else from now.
 */
export function nextRun(timing: JobTiming, now: Date, timeZone?: string): NextRun {
  const specs = staggeredSpecs(timing);
  if (typeof specs === 'string') return { ok: false, reason: specs };
  const base = instant(timing.lastRun) ?? instant(timing.since) ?? now;
  const at = nextElapseOfAny(specs, base, timeZone);
  if (at === undefined) return { ok: false, reason: 'the calendar never elapses again' };
  return { ok: true, at, due: at.getTime() <= now.getTime() };
}

/** The jobs due at `now`, sorted by name; the watch agent runs them and records `lastRun` = when each started. */
export function dueJobs(jobs: Readonly<Record<string, JobTiming>>, now: Date, timeZone?: string): string[] {
  return Object.entries(jobs)
    .filter(([, timing]) => {
      const next = nextRun(timing, now, timeZone);
      return next.ok && next.due;
    })
    .map(([name]) => name)
    .sort();
}
