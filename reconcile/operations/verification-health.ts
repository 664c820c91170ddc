import type { VerifySchedule } from '../../src/config/model.js';
import type { DesiredDestination } from '../../src/desired/types.js';
import type { VerificationRecord } from '../../src/host/runs.js';
import { estimateInterval, parseCalendars } from '../../src/schedule/calendar.js';
import type { VerificationKind } from './verification.js';

/** A destination's last check or drill, as status, /status and /metrics show it. */
export interface VerificationHealth {
  lastAttempt?: string;
  lastSuccess?: string;
  ok?: boolean;
  durationSeconds?: number;
  files?: number;
  bytes?: number;
  archive?: string;
  failure?: string;
  error?: string;
  /** Twice the longest gap of its calendar plus the stagger: longer without a success is overdue. */
  overdueAfterSeconds?: number;
  /** Scheduled, and no success within overdueAfterSeconds (counted from the first apply until the first success). */
  overdue: boolean;
}

/** The calendar of a kind; a drill and a check (any calendar: plain or verify-data) count as scheduled. */
function calendarOf(destination: DesiredDestination, kind: VerificationKind): VerifySchedule {
  if (kind === 'drill') return destination.verify.drill;
  const { check, verifyData } = destination.verify;
  if (check === false) return verifyData;
  return verifyData === false ? check : [...check, ...verifyData];
}

function overdueAfter(schedule: VerifySchedule, staggerSeconds: number, now: Date): number | undefined {
  if (schedule === false) return undefined;
  const parsed = parseCalendars(schedule);
  if (!parsed.ok) return undefined;
  const interval = estimateInterval(parsed.specs, now);
  return interval === undefined ? undefined : 2 * interval + staggerSeconds;
}

export function verificationHealth(
  destination: DesiredDestination,
  kind: VerificationKind,
  record: VerificationRecord | undefined,
  firstApplied: string | undefined,
  now: Date,
): VerificationHealth | undefined {
  const after = overdueAfter(calendarOf(destination, kind), destination.staggerSeconds, now);
  if (after === undefined && record === undefined) return undefined;
  const since = record?.lastSuccess ?? firstApplied;
  const overdue =
    after !== undefined && since !== undefined && now.getTime() - Date.parse(since) > after * 1000;
  return {
    ...(record === undefined
      ? {}
      : {
          lastAttempt: record.lastAttempt,
          ok: record.ok,
          durationSeconds: record.durationSeconds,
          ...(record.lastSuccess === undefined ? {} : { lastSuccess: record.lastSuccess }),
          ...(record.files === undefined ? {} : { files: record.files }),
          ...(record.bytes === undefined ? {} : { bytes: record.bytes }),
          ...(record.archive === undefined ? {} : { archive: record.archive }),
          ...(record.failure === undefined ? {} : { failure: record.failure }),
          ...(record.error === undefined ? {} : { error: record.error }),
        }),
    ...(after === undefined ? {} : { overdueAfterSeconds: after }),
    overdue,
  };
}

export interface Verified {
  name: string;
  check?: VerificationHealth;
  drill?: VerificationHealth;
}

/**
 * The Ready reason verification gives, if any: a failed check first, then a failed drill, then
 * one overdue by more than its interval. Each is distinct from BackupStale: the backups may be
 * fresh while nobody has proven they restore.
 */
export function verificationProblem(
  destinations: readonly Verified[],
): { reason: 'CheckFailed' | 'DrillFailed' | 'VerificationOverdue'; message: string } | undefined {
  const failed = (kind: VerificationKind) =>
    destinations.flatMap((d) => {
      const health = d[kind];
      return health?.ok === false
        ? [`${d.name}: ${health.error ?? `${kind} failed (${health.failure})`}`]
        : [];
    });
  const checks = failed('check');
  if (checks.length > 0) return { reason: 'CheckFailed', message: checks.join('; ') };
  const drills = failed('drill');
  if (drills.length > 0) return { reason: 'DrillFailed', message: drills.join('; ') };
  const overdue = destinations.flatMap((d) =>
    (['check', 'drill'] as const).flatMap((kind) =>
      d[kind]?.overdue
        ? [
            `${d.name}: no successful ${kind} ${d[kind]?.lastSuccess ? `since ${d[kind]?.lastSuccess}` : 'yet'}`,
          ]
        : [],
    ),
  );
  if (overdue.length > 0) return { reason: 'VerificationOverdue', message: overdue.join('; ') };
  return undefined;
}
