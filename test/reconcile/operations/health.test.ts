import { describe, expect, it } from 'vitest';
import { startClocks } from '../../../reconcile/engine/apply.js';
import { healthReport } from '../../../reconcile/operations/health.js';
import type { DesiredDestination } from '../../../src/desired/types.js';

const destination = {
  name: 'local',
  repo: '/srv/borg',
  startAt: ['daily'],
  staggerSeconds: 0,
  maxAgeSeconds: 3600,
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
