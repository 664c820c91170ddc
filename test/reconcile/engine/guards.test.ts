import { describe, expect, it } from 'vitest';
import { pruneRefusal, removeAllRefusal } from '../../../reconcile/engine/guards.js';

describe('prune guards', () => {
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

describe('remove-all guard', () => {
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
