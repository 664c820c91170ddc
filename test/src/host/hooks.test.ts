import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isOwnArchiveName, pruneArchives } from '../../../reconcile/engine/retention.js';
import type { Borg } from '../../../src/borg/types.js';
import { removeHook, writeHook } from '../../../src/host/hooks.js';
import { tempDir } from '../../helpers/temp.js';

describe('point-of-use checks', () => {
  it.each(['../../../../x', '../x', 'a/b', '.hidden', '', '..', 'pre-backup-x\n'])(
    'writeHook and removeHook refuse the name %j',
    async (name) => {
      const base = await tempDir('borgops-hooks-');
      const dir = join(base, 'hooks');
      await expect(writeHook(dir, name, 'echo hi\n')).rejects.toMatchObject({ code: 'E_GUARD' });
      await expect(removeHook(dir, name)).rejects.toMatchObject({ code: 'E_GUARD' });
      expect(await readdir(base)).toEqual([]);
    },
  );

  it("a prune deletes only this machine's and destination's archives, whatever computed the list", async () => {
    const calls: string[][] = [];
    const borg = {
      deleteArchives: async (_target: unknown, names: readonly string[]) => {
        calls.push([...names]);
      },
      compact: async () => undefined,
    } as unknown as Borg;
    const target = { repository: '/nowhere', env: {} } as never;
    for (const foreign of [
      'sara-local-2026-03-01T01:00:00',
      'jon-local-x-2026-03-01T01:00:00',
      'jon-local-',
      'sara-local-2026-03-01T01:00:00.checkpoint',
      'jon-local-x-2026-03-01T01:00:00.checkpoint.1',
      'jon-local-2026-03-01T01:00:00.checkpoint.x',
    ]) {
      await expect(
        pruneArchives(borg, target, ['jon-local-2026-03-01T01:00:00', foreign], 'jon-local-'),
      ).rejects.toMatchObject({ code: 'E_GUARD' });
    }
    expect(calls).toEqual([]);
    expect(isOwnArchiveName('jon-local-2026-03-01T01:00:00.failed', 'jon-local-')).toBe(true);
    expect(isOwnArchiveName('jon-local-2026-03-01T01:00:00.checkpoint.3', 'jon-local-')).toBe(true);
    await pruneArchives(borg, target, ['jon-local-2026-03-01T01:00:00'], 'jon-local-');
    expect(calls).toEqual([['jon-local-2026-03-01T01:00:00']]);
  });
});
