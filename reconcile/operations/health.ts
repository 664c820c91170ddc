import type { DesiredDestination } from '../../src/desired/types.js';
import type { Runs } from '../../src/host/runs.js';
import type { MachineStatus } from '../../src/host/status.js';
import { estimateInterval, parseCalendars } from '../../src/schedule/calendar.js';
import { formatDuration } from '../../src/util/duration.js';
import type { ServedHealth } from './served.js';
import { type VerificationHealth, verificationHealth, verificationProblem } from './verification-health.js';

export interface Condition {
  type: 'Ready' | 'Stalled';
  status: boolean;
  reason: string;
  message: string;
}

export interface DestinationHealth {
  name: string;
  repo: string;
  lastAttempt?: string;
  lastSuccess?: string;
  lastArchive?: string;
  durationSeconds?: number;
  archives?: number;
  lastError?: string;
  nextRun?: string;
  maxAgeSeconds?: number;
  /** No successful backup within maxAge (or none yet, once maxAge has passed since the first apply). */
  stale: boolean;
  /** The last `borgops check`, and whether a scheduled one is overdue. */
  check?: VerificationHealth;
  /** The last `borgops drill`, and whether a scheduled one is overdue. */
  drill?: VerificationHealth;
}

/** The machine's health as `GET /status` and `borgops status` show it (Flux-style conditions). */
export interface HealthReport {
  machine: string;
  appliedCommit?: string;
  appliedAt?: string;
  lastAttempt?: MachineStatus['lastAttempt'];
  /** The newest commit seen that could not be applied (invalid, unverified or refused), with why. */
  failedCommit?: { commit: string; reason: string; message: string };
  conditions: Condition[];
  destinations: DestinationHealth[];
  /** Notifications receivers did not take, per receiver name (absent when none). */
  notifyFailures?: Record<string, number>;
  /** On a server: each served client repository as the server sees it. */
  served?: ServedHealth[];
}

export interface HealthInput {
  machine: string;
  status: MachineStatus;
  runs: Runs;
  destinations: readonly DesiredDestination[];
  /** When each destination was first applied (the ledger): its clock until a backup succeeds. */
  firstApplied?: Readonly<Record<string, string>>;
  now: Date;
  /** The next run of a destination's job, from the scheduler (undefined when unknown). */
  nextRun?: (destination: DesiredDestination) => Date | undefined;
  notifyFailures?: Record<string, number>;
  /** On a server: its served client repositories, observed. */
  served?: ServedHealth[];
}

/** maxAge as declared, or twice the longest gap between scheduled runs (the "no backup for N days" alert). */
export function maxAgeOf(destination: DesiredDestination, now: Date): number | undefined {
  if (destination.maxAgeSeconds !== undefined) return destination.maxAgeSeconds;
  const parsed = parseCalendars(destination.startAt);
  if (!parsed.ok) return undefined;
  const interval = estimateInterval(parsed.specs, now);
  return interval === undefined ? undefined : 2 * interval + destination.staggerSeconds;
}

function iso(date: Date | undefined): string | undefined {
  return date === undefined ? undefined : date.toISOString();
}

/**
 * A destination's backup clock: its maxAge, since when the clock runs (the last success, else
 * the first apply: a reconcile never resets it), and whether it ran out (`BackupStale`).
 */
export function backupClock(
  destination: DesiredDestination,
  lastSuccess: string | undefined,
  firstApplied: string | undefined,
  now: Date,
): { maxAge?: number; since?: string; stale: boolean } {
  const maxAge = maxAgeOf(destination, now);
  const since = lastSuccess ?? firstApplied;
  const stale =
    maxAge !== undefined && since !== undefined && now.getTime() - Date.parse(since) > maxAge * 1000;
  return { ...(maxAge === undefined ? {} : { maxAge }), ...(since === undefined ? {} : { since }), stale };
}

function destinationHealth(
  destination: HealthInput['destinations'][number],
  input: HealthInput,
): DestinationHealth {
  const { runs, now } = input;
  const run = runs.destinations[destination.name] ?? {};
  const first = input.firstApplied?.[destination.name];
  const { maxAge, stale } = backupClock(destination, run.lastSuccess, first, now);
  const next = input.nextRun?.(destination);
  const check = verificationHealth(destination, 'check', run.check, first, now);
  const drill = verificationHealth(destination, 'drill', run.drill, first, now);
  return {
    name: destination.name,
    repo: destination.repo,
    ...(run.lastAttempt === undefined ? {} : { lastAttempt: run.lastAttempt }),
    ...(run.lastSuccess === undefined ? {} : { lastSuccess: run.lastSuccess }),
    ...(run.archive === undefined ? {} : { lastArchive: run.archive }),
    ...(run.durationSeconds === undefined ? {} : { durationSeconds: run.durationSeconds }),
    ...(run.archives === undefined ? {} : { archives: run.archives }),
    ...(run.error === undefined ? {} : { lastError: run.error }),
    ...(next === undefined ? {} : { nextRun: iso(next) }),
    ...(maxAge === undefined ? {} : { maxAgeSeconds: maxAge }),
    stale,
    ...(check === undefined ? {} : { check }),
    ...(drill === undefined ? {} : { drill }),
  };
}

/** Stalled: the last commit failed, or the last attempt did not apply. */
function stalledCondition(status: HealthInput['status']): Condition {
  const attempt = status.lastAttempt;
  const failed = status.failedCommit;
  return failed
    ? {
        type: 'Stalled',
        status: true,
        reason: failed.reason,
        message: `commit ${failed.commit.slice(0, 12)}: ${failed.message}`,
      }
    : attempt && attempt.result !== 'applied'
      ? {
          type: 'Stalled',
          status: true,
          reason: attempt.reason ?? reasonOf(attempt.result),
          message: `${attempt.commit === undefined ? '' : `commit ${attempt.commit.slice(0, 12)}: `}${
            attempt.errors.join('; ') || attempt.result
          }`,
        }
      : attempt === undefined && status.appliedCommit === undefined
        ? {
            type: 'Stalled',
            status: false,
            reason: 'NeverApplied',
            message: 'no reconcile yet: nothing was ever applied on this machine',
          }
        : { type: 'Stalled', status: false, reason: 'Reconciled', message: 'the last reconcile succeeded' };
}

export function healthReport(input: HealthInput): HealthReport {
  const { status, now } = input;
  const destinations = input.destinations.map((destination) => destinationHealth(destination, input));

  const attempt = status.lastAttempt;
  const failed = status.failedCommit;
  const stalled = stalledCondition(status);

  const staleOnes = destinations.filter((d) => d.stale);
  const staleClients = (input.served ?? []).filter((s) => s.stale);
  const unverified = verificationProblem(destinations);
  let ready: Condition;
  if (status.appliedCommit === undefined) {
    ready = {
      type: 'Ready',
      status: false,
      reason: 'NeverApplied',
      message: 'no declarations have been applied on this machine',
    };
  } else if (stalled.status) {
    ready = { type: 'Ready', status: false, reason: stalled.reason, message: stalled.message };
  } else if (staleOnes.length > 0) {
    ready = {
      type: 'Ready',
      status: false,
      reason: 'BackupStale',
      message: staleOnes
        .map((d) => {
          const since =
            d.lastSuccess === undefined
              ? 'never backed up'
              : `last success ${formatDuration((now.getTime() - Date.parse(d.lastSuccess)) / 1000, 'age')} ago`;
          return `${d.name}: ${since} (maxAge ${formatDuration(d.maxAgeSeconds ?? 0, 'age')})`;
        })
        .join('; '),
    };
  } else if (staleClients.length > 0) {
    ready = {
      type: 'Ready',
      status: false,
      reason: 'ClientStale',
      message: staleClients
        .map((s) => {
          const since =
            s.lastWrite === undefined
              ? 'never written'
              : `last write ${formatDuration((now.getTime() - Date.parse(s.lastWrite)) / 1000, 'age')} ago`;
          return `served ${s.client} (${s.instance}): ${since} (maxAge ${formatDuration(s.maxAgeSeconds ?? 0, 'age')})`;
        })
        .join('; '),
    };
  } else if (unverified !== undefined) {
    ready = { type: 'Ready', status: false, ...unverified };
  } else {
    ready = {
      type: 'Ready',
      status: true,
      reason: 'Fresh',
      message: `applied ${status.appliedCommit.slice(0, 12)}; every destination is fresh${
        input.served !== undefined && input.served.length > 0
          ? ' and every served client wrote within maxAge'
          : ''
      }`,
    };
  }

  return {
    machine: input.machine,
    ...(status.appliedCommit === undefined ? {} : { appliedCommit: status.appliedCommit }),
    ...(status.appliedAt === undefined ? {} : { appliedAt: status.appliedAt }),
    ...(attempt === undefined ? {} : { lastAttempt: attempt }),
    ...(failed === undefined ? {} : { failedCommit: failed }),
    conditions: [ready, stalled],
    destinations,
    ...(input.notifyFailures === undefined || Object.keys(input.notifyFailures).length === 0
      ? {}
      : { notifyFailures: input.notifyFailures }),
    ...(input.served === undefined || input.served.length === 0 ? {} : { served: input.served }),
  };
}

function reasonOf(result: string): string {
  switch (result) {
    case 'invalid':
      return 'InvalidDeclarations';
    case 'refused':
      return 'RefusedByGuard';
    case 'unverified':
      return 'UnverifiedCommit';
    case 'partial':
      return 'PartiallyApplied';
    default:
      return 'ReconcileFailed';
  }
}
