import { describe, expect, it } from 'vitest';
import { healthReport } from '../../../reconcile/operations/health.js';
import { formatHealth } from '../../../reconcile/operations/status.js';
import type { DesiredDestination } from '../../../src/desired/types.js';
import { localTime } from '../../../src/util/local-time.js';

const destination = {
  name: 'local',
  repo: '/srv/borg',
  startAt: ['daily'],
  staggerSeconds: 0,
  verify: { check: false, verifyData: false, drill: false },
} as DesiredDestination;
const now = new Date('2026-03-01T12:00:00Z');

describe('status text', () => {
  it('counts in words that agree with the number and shows the next run as `schedule list` does', () => {
    const report = healthReport({
      machine: 'jon',
      status: {
        version: 1,
        appliedCommit: 'a'.repeat(40),
        appliedAt: '2026-03-01T11:58:18Z',
        lastAttempt: { at: '2026-03-01T11:58:18Z', result: 'applied', actions: 1, errors: [], durationMs: 5 },
      },
      runs: {
        version: 1,
        destinations: {
          local: {
            lastAttempt: '2026-03-01T11:58:18Z',
            lastSuccess: '2026-03-01T11:58:18Z',
            archives: 1,
          },
        },
      } as never,
      destinations: [destination],
      now,
      nextRun: () => new Date('2026-03-02T01:00:00Z'),
    });
    const text = formatHealth(report, now);
    expect(text).toContain('last reconcile: applied 1m ago (1 action)');
    expect(text).toContain('last success 1m ago, 1 archive,');
    expect(text).toContain(`next run ${localTime('2026-03-02T01:00:00Z')}`);
    expect(text).not.toMatch(/1 archives|1 actions|\d{3}s ago|T01:00:00/);
  });
});
