import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  clearFailedCommit,
  readStatus,
  recordAttempt,
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

  it("keeps an apply's plan warnings with its attempt, and drops them when the next has none", async () => {
    const path = join(await tempDir(), 'status.json');
    const attempt = {
      machine: 'jon',
      result: 'applied' as const,
      commit: 'c1',
      actions: 0,
      errors: [],
      durationMs: 1,
      at,
    };
    await recordAttempt(path, {
      ...attempt,
      warnings: ['local: keyfile mode keeps the repository key only on this machine'],
    });
    expect((await readStatus(path)).lastAttempt?.warnings).toEqual([
      'local: keyfile mode keeps the repository key only on this machine',
    ]);
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
