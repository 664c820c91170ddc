import { describe, expect, it } from 'vitest';
import { startClocks } from '../../../reconcile/engine/apply.js';
import { healthReport, maxAgeOf } from '../../../reconcile/operations/health.js';
import { formatHealth } from '../../../reconcile/operations/status.js';
import { renderMetrics } from '../../../reconcile/render/metrics.js';
import type { DesiredDestination } from '../../../src/desired/types.js';
import type { DestinationRun, Runs } from '../../../src/host/runs.js';
import type { MachineStatus } from '../../../src/host/status.js';

const destination = {
  name: 'local',
  repo: '/srv/borg',
  startAt: ['daily'],
  staggerSeconds: 0,
  maxAgeSeconds: 3600,
  verify: { check: false, verifyData: false, drill: false },
} as DesiredDestination;
const now = new Date('2026-03-01T12:00:00Z');

describe('freshness', () => {
  it('counts from the first apply, not from the last reconcile, until a backup succeeds', () => {
    const report = healthReport({
      machine: 'jon',
      status: { version: 1, appliedCommit: 'a'.repeat(40), appliedAt: '2026-03-01T11:59:59Z' },
      runs: { version: 1, destinations: {} },
      firstApplied: { local: '2026-03-01T10:00:00Z' },
      destinations: [destination],
      now,
    });
    expect(report.destinations[0]?.stale).toBe(true);
    expect(report.conditions[0]).toMatchObject({ status: false, reason: 'BackupStale' });
    expect(report.conditions[0]?.message).toBe('local: never backed up (maxAge 1h)');
  });

  it('a recent success makes it fresh again; an old one does not', () => {
    const input = {
      machine: 'jon',
      status: { version: 1 as const, appliedCommit: 'a'.repeat(40), appliedAt: '2026-03-01T11:59:59Z' },
      firstApplied: { local: '2026-01-01T00:00:00Z' },
      destinations: [destination],
      now,
    };
    const fresh = healthReport({
      ...input,
      runs: { version: 1, destinations: { local: { lastSuccess: '2026-03-01T11:30:00Z' } } },
    });
    expect(fresh.conditions[0]).toMatchObject({ status: true, reason: 'Fresh' });
    const old = healthReport({
      ...input,
      runs: {
        version: 1,
        destinations: { local: { lastSuccess: '2026-03-01T10:30:00Z', lastAttempt: '2026-03-01T11:59:00Z' } },
      },
    });
    expect(old.conditions[0]).toMatchObject({ status: false, reason: 'BackupStale' });
  });

  it("keeps a declared destination's first apply, starts a new one now and forgets an undeclared one", () => {
    const clocks = startClocks(
      { local: { firstAppliedAt: '2026-01-01T00:00:00Z' }, gone: { firstAppliedAt: '2025-01-01T00:00:00Z' } },
      [destination, { ...destination, name: 'offsite' }],
      '2026-03-01T12:00:00.000Z',
    );
    expect(clocks).toEqual({
      local: { firstAppliedAt: '2026-01-01T00:00:00Z' },
      offsite: { firstAppliedAt: '2026-03-01T12:00:00.000Z' },
    });
  });
});

describe('verification in health: CheckFailed, DrillFailed, VerificationOverdue', () => {
  const verified = {
    ...destination,
    maxAgeSeconds: 86_400,
    verify: { check: ['weekly'], verifyData: false as const, drill: ['weekly'] },
  } as DesiredDestination;
  const base = {
    machine: 'jon',
    status: { version: 1 as const, appliedCommit: 'a'.repeat(40), appliedAt: '2026-03-01T11:00:00Z' },
    firstApplied: { local: '2026-02-27T00:00:00Z' },
    destinations: [verified],
    now,
  };
  const fresh = { lastSuccess: '2026-03-01T11:00:00Z', lastAttempt: '2026-03-01T11:00:00Z' };
  /** The runs file with one fresh backup of local and what `local` adds (a check, a drill). */
  const runsOf = (local: Partial<DestinationRun> = {}): Runs => ({
    version: 1,
    destinations: { local: { ...fresh, ...local } },
  });

  it('a failed check makes the machine not Ready with CheckFailed, apart from BackupStale', () => {
    const report = healthReport({
      ...base,
      runs: runsOf({
        check: {
          lastAttempt: '2026-03-01T10:00:00Z',
          ok: false,
          durationSeconds: 3,
          failure: 'corrupt',
          error: 'local: borg check found problems: Data integrity error',
        },
        drill: {
          lastAttempt: '2026-03-01T09:00:00Z',
          lastSuccess: '2026-03-01T09:00:00Z',
          ok: true,
          durationSeconds: 9,
          files: 3,
          bytes: 300,
        },
      }),
    });
    expect(report.destinations[0]?.stale).toBe(false);
    expect(report.conditions[0]).toEqual({
      type: 'Ready',
      status: false,
      reason: 'CheckFailed',
      message: 'local: local: borg check found problems: Data integrity error',
    });
    const metrics = renderMetrics(report, { reconciles: {} });
    expect(metrics).toContain('borgops_check_failed{machine="jon",destination="local"} 1\n');
    expect(metrics).toContain('borgops_drill_failed{machine="jon",destination="local"} 0\n');
    expect(metrics).toContain('borgops_drill_verified_bytes{machine="jon",destination="local"} 300\n');
    expect(metrics).toContain(
      `borgops_last_drill_success_timestamp_seconds{machine="jon",destination="local"} ${Date.parse('2026-03-01T09:00:00Z') / 1000}\n`,
    );
    expect(metrics).not.toContain('borgops_last_check_success_timestamp_seconds{');
  });

  it('a failed drill gives DrillFailed; a check and drill never run since the first apply two weeks ago are overdue', () => {
    const drillFailed = healthReport({
      ...base,
      runs: runsOf({
        drill: {
          lastAttempt: '2026-03-01T10:00:00Z',
          ok: false,
          durationSeconds: 1,
          failure: 'stale',
          error: 'local: too old',
        },
      }),
    });
    expect(drillFailed.conditions[0]).toMatchObject({
      status: false,
      reason: 'DrillFailed',
      message: 'local: local: too old',
    });

    const overdue = healthReport({
      ...base,
      firstApplied: { local: '2026-02-13T00:00:00Z' },
      runs: runsOf(),
    });
    expect(overdue.destinations[0]?.check).toMatchObject({
      overdue: true,
      overdueAfterSeconds: 2 * 7 * 86_400,
    });
    expect(overdue.conditions[0]).toMatchObject({
      status: false,
      reason: 'VerificationOverdue',
      message: 'local: no successful check yet; local: no successful drill yet',
    });
    expect(renderMetrics(overdue, { reconciles: {} })).toContain(
      'borgops_verification_overdue{machine="jon",destination="local",kind="drill"} 1\n',
    );

    const notYet = healthReport({ ...base, runs: runsOf() });
    expect(notYet.conditions[0]).toMatchObject({ status: true, reason: 'Fresh' });
  });

  it('verification turned off (false) is never overdue', () => {
    const off = healthReport({
      ...base,
      destinations: [{ ...verified, verify: { check: false, verifyData: false, drill: false } }],
      firstApplied: { local: '2025-01-01T00:00:00Z' },
      runs: runsOf(),
    });
    expect(off.destinations[0]?.check).toBeUndefined();
    expect(off.conditions[0]).toMatchObject({ status: true, reason: 'Fresh' });
  });
});

const at = new Date('2026-03-10T12:00:00Z');
const hoursAgo = (hours: number) => new Date(at.getTime() - hours * 3_600_000).toISOString();

function destinationOf(overrides: Partial<DesiredDestination> = {}): DesiredDestination {
  return {
    name: 'local',
    instance: 'default',
    repo: '/srv/borg/jon',
    remote: false,
    knownHosts: [],
    encryption: { mode: 'repokey' },
    compression: 'lz4',
    exclude: [],
    keep: { daily: 7 },
    archivePrefix: 'jon-local-',
    lockWait: 10,
    startAt: ['daily'],
    staggerSeconds: 0,
    verify: { check: false, verifyData: false, drill: false },
    ...overrides,
  };
}

const applied: MachineStatus = {
  version: 1,
  machine: 'jon',
  appliedCommit: 'c'.repeat(40),
  appliedAt: hoursAgo(100),
  lastAttempt: {
    at: hoursAgo(1),
    commit: 'c'.repeat(40),
    result: 'applied',
    actions: 0,
    errors: [],
    durationMs: 5,
  },
};
const fresh: Runs = {
  version: 1,
  destinations: { local: { lastSuccess: hoursAgo(2), archive: 'jon-local-1', archives: 4 } },
};

function report(status: MachineStatus, runs: Runs, destinations = [destinationOf()]) {
  return healthReport({
    machine: 'jon',
    status,
    runs,
    destinations,
    now: at,
    firstApplied: { offsite: hoursAgo(5) },
  });
}

describe('machine health', () => {
  it('is not ready before anything was applied', () => {
    const health = report({ version: 1 }, { version: 1, destinations: {} });
    expect(health.conditions).toEqual([
      {
        type: 'Ready',
        status: false,
        reason: 'NeverApplied',
        message: 'no declarations have been applied on this machine',
      },
      {
        type: 'Stalled',
        status: false,
        reason: 'NeverApplied',
        message: 'no reconcile yet: nothing was ever applied on this machine',
      },
    ]);
  });

  it('is ready when applied and every destination backed up within its max age', () => {
    const health = report(applied, fresh);
    expect(health.conditions[0]).toEqual({
      type: 'Ready',
      status: true,
      reason: 'Fresh',
      message: `applied ${'c'.repeat(12)}; every destination is fresh`,
    });
    expect(health.destinations).toEqual([
      {
        name: 'local',
        repo: '/srv/borg/jon',
        lastSuccess: hoursAgo(2),
        lastArchive: 'jon-local-1',
        archives: 4,
        maxAgeSeconds: 2 * 86_400,
        stale: false,
      },
    ]);
  });

  it('says which destinations are stale, and since when', () => {
    const old: Runs = { version: 1, destinations: { local: { lastSuccess: hoursAgo(72) } } };
    const health = report(applied, old, [
      destinationOf(),
      destinationOf({ name: 'offsite', maxAgeSeconds: 7200 }),
    ]);
    expect(health.conditions[0]).toMatchObject({
      status: false,
      reason: 'BackupStale',
      message: 'local: last success 3d ago (maxAge 2d); offsite: never backed up (maxAge 2h)',
    });
    expect(health.destinations.map((d) => d.stale)).toEqual([true, true]);
  });

  it('is stalled by a commit that could not be applied, naming it and why', () => {
    const health = report(
      {
        ...applied,
        failedCommit: {
          commit: 'b'.repeat(40),
          reason: 'InvalidDeclarations',
          message: 'invalid declarations: x',
        },
      },
      fresh,
    );
    const stalled = {
      status: true,
      reason: 'InvalidDeclarations',
      message: `commit ${'b'.repeat(12)}: invalid declarations: x`,
    };
    expect(health.conditions).toEqual([
      { type: 'Ready', ...stalled, status: false },
      { type: 'Stalled', ...stalled },
    ]);
    expect(health.failedCommit?.commit).toBe('b'.repeat(40));
  });

  it.each([
    ['partial', 'PartiallyApplied'],
    ['failed', 'ReconcileFailed'],
    ['refused', 'RefusedByGuard'],
    ['unverified', 'UnverifiedCommit'],
  ] as const)('is stalled by a %s last attempt (%s)', (result, reason) => {
    const lastAttempt = { at: hoursAgo(1), result, actions: 1, errors: ['boom'], durationMs: 1 };
    const health = report({ ...applied, lastAttempt }, fresh);
    expect(health.conditions[1]).toEqual({ type: 'Stalled', status: true, reason, message: 'boom' });
    expect(health.conditions[0]).toMatchObject({ status: false, reason });
  });
});

describe('maxAgeOf', () => {
  it('is the declared max age, else twice the schedule interval plus the stagger', () => {
    expect(maxAgeOf(destinationOf({ maxAgeSeconds: 60 }), at)).toBe(60);
    expect(maxAgeOf(destinationOf({ startAt: ['hourly'], staggerSeconds: 30 }), at)).toBe(7230);
    expect(maxAgeOf(destinationOf({ startAt: ['not a calendar'] }), at)).toBeUndefined();
  });
});

// a plan warning (a passphrase or key only on this machine) said only on the terminal of the apply
// that planned it would be lost on an agent-run fleet: status, /status and /metrics keep it
describe("the last reconcile's plan warnings", () => {
  const warned = (warnings?: string[]) =>
    healthReport({
      machine: 'jon',
      status: {
        version: 1,
        appliedCommit: 'a'.repeat(40),
        appliedAt: '2026-03-01T11:59:59Z',
        lastAttempt: {
          at: '2026-03-01T11:59:59Z',
          result: 'applied',
          actions: 0,
          errors: [],
          ...(warnings === undefined ? {} : { warnings }),
          durationMs: 5,
        },
      },
      runs: { version: 1, destinations: { local: { lastSuccess: '2026-03-01T11:30:00Z' } } },
      firstApplied: { local: '2026-01-01T00:00:00Z' },
      destinations: [destination],
      now,
    });
  const warning =
    'local: its passphrase exists only on this machine (/var/lib/borgops/secrets/local.passphrase) and dies with it: run `borgops secrets adopt` here';

  it('are listed by status and counted by /metrics; none is a 0, not a missing series', () => {
    const report = warned([warning]);
    expect(report.lastAttempt?.warnings).toEqual([warning]);
    expect(formatHealth(report, now)).toContain(`\n  warning: ${warning}\n`);
    expect(renderMetrics(report, { reconciles: {} })).toContain(
      'borgops_reconcile_warnings{machine="jon"} 1\n',
    );
    const quiet = warned();
    expect(formatHealth(quiet, now)).not.toContain('warning:');
    expect(renderMetrics(quiet, { reconciles: {} })).toContain(
      'borgops_reconcile_warnings{machine="jon"} 0\n',
    );
    // Ready is about backups being fresh and verified; a warning does not make the machine not Ready
    expect(report.conditions[0]).toMatchObject({ status: true, reason: 'Fresh' });
  });
});
