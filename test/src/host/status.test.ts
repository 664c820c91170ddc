import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  clearFailedCommit,
  readStatus,
  recordAttempt,
  recordEarlyFailure,
  recordFailedCommit,
} from '../../../src/host/status.js';
import { tempDir } from '../../helpers/temp.js';

const at = new Date('2026-03-10T12:00:00Z');

describe('status.json, written by one store', () => {
  it('records attempts, a failed commit and its clearing', async () => {
    const path = join(await tempDir(), 'status.json');
    await recordAttempt(path, {
      machine: 'jon',
      result: 'applied',
      commit: 'c1',
      actions: 2,
      errors: [],
      durationMs: 7,
      at,
    });
    await recordFailedCommit(path, {
      commit: 'c2',
      reason: 'InvalidDeclarations',
      message: 'invalid declarations: x',
      result: 'invalid',
      durationMs: 3,
      at,
    });
    expect(await readStatus(path)).toEqual({
      version: 1,
      machine: 'jon',
      appliedCommit: 'c1',
      appliedAt: at.toISOString(),
      failedCommit: { commit: 'c2', reason: 'InvalidDeclarations', message: 'invalid declarations: x' },
      lastAttempt: {
        at: at.toISOString(),
        commit: 'c2',
        result: 'invalid',
        actions: 0,
        errors: ['invalid declarations: x'],
        durationMs: 3,
      },
    });
    await clearFailedCommit(path, 'c3');
    const cleared = await readStatus(path);
    expect(cleared.failedCommit).toBeUndefined();
    expect(cleared.appliedCommit).toBe('c3');
  });

  it('keeps the plan warnings of the last attempt that planned; one that never planned keeps them', async () => {
    const path = join(await tempDir(), 'status.json');
    const warning = 'local: keyfile mode keeps the repository key only on this machine';
    const attempt = {
      machine: 'jon',
      result: 'applied' as const,
      commit: 'c1',
      actions: 0,
      errors: [],
      durationMs: 1,
      at,
    };
    const warnings = async () => (await readStatus(path)).lastAttempt?.warnings;
    await recordAttempt(path, { ...attempt, warnings: [warning] });
    expect(await warnings()).toEqual([warning]);
    // the agent refuses a commit, cannot fetch, or apply fails before planning: the applied
    // declarations are still in force, and so is what their plan warned about
    await recordFailedCommit(path, {
      commit: 'c2',
      reason: 'InvalidDeclarations',
      message: 'invalid',
      result: 'invalid',
      durationMs: 1,
      at,
    });
    expect(await warnings()).toEqual([warning]);
    await recordEarlyFailure(path, { reason: 'FetchFailed', error: 'cannot fetch', durationMs: 1, at });
    expect(await warnings()).toEqual([warning]);
    await recordAttempt(path, { ...attempt, result: 'failed', errors: ['cannot read the config'] });
    expect(await warnings()).toEqual([warning]);
    // a plan without warnings clears them
    await recordAttempt(path, { ...attempt, warnings: [] });
    expect((await readStatus(path)).lastAttempt).not.toHaveProperty('warnings');
  });

  it('loses no field when the agent and an apply write at once', async () => {
    const path = join(await tempDir(), 'status.json');
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => [
        recordAttempt(path, {
          machine: 'jon',
          result: 'applied',
          commit: `c${i}`,
          actions: 1,
          errors: [],
          durationMs: 1,
          at,
        }),
        recordFailedCommit(path, {
          commit: `bad${i}`,
          reason: 'UnverifiedCommit',
          message: 'm',
          result: 'unverified',
          durationMs: 1,
          at,
        }),
      ]).flat(),
    );
    const status = await readStatus(path);
    // every write kept the other writer's field: the last attempt and the failed commit are both there
    expect(status.machine).toBe('jon');
    expect(status.appliedCommit).toMatch(/^c\d$/);
    expect(status.failedCommit?.commit).toMatch(/^bad\d$/);
  });
});
