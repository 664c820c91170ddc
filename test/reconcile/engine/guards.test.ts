import { describe, expect, it } from 'vitest';
import { checkGuards, pruneRefusal, removeAllRefusal } from '../../../reconcile/engine/guards.js';
import type { Plan, Refusal } from '../../../reconcile/engine/model.js';
import { BorgopsError } from '../../../src/errors.js';

function planWith(refusals: Refusal[]): Plan {
  return {
    version: 1,
    machine: 'jon',
    worktree: false,
    createdAt: '2026-03-10T12:00:00.000Z',
    fingerprint: 'f',
    refresh: false,
    scheduler: 'embedded',
    actions: [],
    notes: [],
    warnings: [],
    errors: [],
    refusals,
    summary: { add: 0, change: 0, destroy: 0, archives: 0 },
    borgProcesses: 0,
  };
}

const large: Refusal = { guard: 'large-prune', id: 'retention/local', message: 'local: large' };
const reinit: Refusal = { guard: 'reinit', id: 'repository/usb', message: 'usb: reinit' };

describe('guards', () => {
  it.each([
    [0, 10, undefined],
    [5, 10, undefined],
    [6, 10, 'large-prune'],
    [9, 10, 'large-prune'],
    [10, 10, 'prune-all'],
    [1, 1, 'prune-all'],
  ])('a prune of %i of %i archives trips %s', (pruned, total, guard) => {
    expect(pruneRefusal('local', 'retention/local', pruned, total)?.guard).toBe(guard);
  });

  it('refuses removing every destination or every state only when borgops had installed some', () => {
    const none = { destinations: 0, states: 0 };
    expect(removeAllRefusal('jon', { schedules: true, hooks: false }, none)?.guard).toBe('remove-all');
    expect(removeAllRefusal('jon', { schedules: false, hooks: true }, none)?.guard).toBe('remove-all');
    expect(removeAllRefusal('jon', { schedules: false, hooks: false }, none)).toBeUndefined();
    expect(
      removeAllRefusal('jon', { schedules: true, hooks: true }, { destinations: 1, states: 1 }),
    ).toBeUndefined();
  });

  it('checkGuards throws E_GUARD naming only the refusals not allowed', () => {
    const plan = planWith([large, reinit]);
    expect(() => checkGuards(plan, new Set(['large-prune', 'reinit']))).not.toThrow();
    let thrown: unknown;
    try {
      checkGuards(plan, new Set(['large-prune']));
    } catch (error: unknown) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(BorgopsError);
    expect((thrown as BorgopsError).code).toBe('E_GUARD');
    expect((thrown as BorgopsError).shortMessage).toBe('refused by 1 safety guard; nothing was changed');
    expect((thrown as BorgopsError).details).toEqual(['usb: reinit']);
  });
});
describe('prune guards (table)', () => {
  it.each([
    [0, 0, undefined],
    [0, 5, undefined],
    [2, 5, undefined],
    [2, 4, undefined],
    [3, 5, 'large-prune'],
    [4, 5, 'large-prune'],
    [5, 5, 'prune-all'],
    [1, 1, 'prune-all'],
  ])('pruning %i of %i archives: %s', (pruned, total, guard) => {
    expect(pruneRefusal('local', 'retention/local', pruned, total)?.guard).toBe(guard);
  });

  it('names the destination, the counts and the flag that permits it', () => {
    expect(pruneRefusal('local', 'retention/local', 3, 5)).toEqual({
      guard: 'large-prune',
      id: 'retention/local',
      message: 'local: retention would prune 3 of 5 archives, more than half; --allow-large-prune permits it',
    });
    expect(pruneRefusal('offsite', 'retention/offsite', 4, 4)?.message).toBe(
      'offsite: retention would prune every archive (4); --allow-prune-all permits it',
    );
  });
});

describe('remove-all guard (table)', () => {
  it.each([
    [{ schedules: true, hooks: true }, { destinations: 0, states: 1 }, /every backup destination/],
    [{ schedules: false, hooks: true }, { destinations: 1, states: 0 }, /every state of this machine/],
    [{ schedules: true, hooks: true }, { destinations: 1, states: 0 }, /every state of this machine/],
  ])('refuses removing all from %o to %o', (had, desired, message) => {
    const refusal = removeAllRefusal('jon', had, desired);
    expect(refusal).toMatchObject({
      guard: 'remove-all',
      id: 'machine',
      message: expect.stringMatching(message),
    });
    expect(refusal?.message).toMatch(/^jon: .*--allow-remove-all permits it$/);
  });

  it.each([
    [
      { schedules: false, hooks: false },
      { destinations: 0, states: 0 },
    ],
    [
      { schedules: true, hooks: true },
      { destinations: 1, states: 1 },
    ],
    [
      { schedules: false, hooks: true },
      { destinations: 0, states: 2 },
    ],
  ])('lets %o become %o', (had, desired) => {
    expect(removeAllRefusal('jon', had, desired)).toBeUndefined();
  });
});
