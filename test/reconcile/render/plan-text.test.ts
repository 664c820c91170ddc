import { describe, expect, it } from 'vitest';
import type { Plan } from '../../../reconcile/engine/model.js';
import { renderPlanText } from '../../../reconcile/render/plan-text.js';

const plan: Plan = {
  version: 1,
  machine: 'jon',
  worktree: false,
  createdAt: '2026-03-01T12:00:00Z',
  fingerprint: 'f',
  refresh: false,
  scheduler: 'embedded',
  actions: [
    {
      op: 'retention.prune',
      id: 'retention/local',
      kind: 'retention',
      effect: 'destructive',
      summary: 'prune 4 of 6 archives of jon-local-* (keep 2), then compact',
      destination: 'local',
      archives: ['a', 'b', 'c', 'd'],
      kept: 2,
      total: 6,
    },
  ],
  notes: [],
  warnings: [],
  errors: [],
  refusals: [
    {
      guard: 'large-prune',
      id: 'retention/local',
      message: 'local: retention would prune 4 of 6 archives, more than half; --allow-large-prune permits it',
    },
  ],
  summary: { add: 0, change: 0, destroy: 1, archives: 4 },
  borgProcesses: 1,
} as Plan;

describe('plan text and the guards a flag allowed', () => {
  it('without the flag, the refusal is a refusal', () => {
    const text = renderPlanText(plan, { color: false });
    expect(text).toContain(
      'Refused by safety guards (apply exits 3 unless allowed):\n  ✗ local: retention would prune',
    );
    expect(text).not.toContain('allowed by');
  });

  it('with --allow-large-prune it says allowed, not refused', () => {
    const text = renderPlanText(plan, { color: false, allowed: new Set(['large-prune']) });
    expect(text).not.toContain('Refused by safety guards');
    expect(text).toContain(
      'Allowed past safety guards:\n  ! local: retention would prune 4 of 6 archives, more than half (allowed by --allow-large-prune)\n',
    );
  });
});
