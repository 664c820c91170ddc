import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { claimOverdueNotices, readOverdueNotices } from '../../../src/host/overdue-notices.js';
import { tempDir } from '../../helpers/temp.js';

const built = new URL('../../../dist/src/host/overdue-notices.js', import.meta.url).pathname;
const at = new Date('2026-12-01T06:00:00.000Z');

/** The keys of the spells a claim took (it returns the observations themselves). */
const claimed = async (
  path: string,
  observations: Parameters<typeof claimOverdueNotices>[1],
): Promise<string[]> => (await claimOverdueNotices(path, observations, at)).map(({ key }) => key);

describe('claimOverdueNotices (overdue-notices.json)', () => {
  it('claims a spell once, forgets it when it ends, and claims the next one', async () => {
    const path = join(await tempDir(), 'overdue-notices.json');
    const spell = '2026-11-01T00:00:00.000Z';
    expect(await claimed(path, [{ key: 'local/drill', since: spell }, { key: 'local/check' }])).toEqual([
      'local/drill',
    ]);
    expect(await claimed(path, [{ key: 'local/drill', since: spell }])).toEqual([]);
    expect(await claimed(path, [{ key: 'local/drill' }])).toEqual([]);
    expect((await readOverdueNotices(path)).sent).toEqual({});
    expect(await claimed(path, [{ key: 'local/drill', since: spell }])).toEqual(['local/drill']);
    // a success moved the clock: another spell
    const later = '2026-11-20T00:00:00.000Z';
    expect(await claimed(path, [{ key: 'local/drill', since: later }])).toEqual(['local/drill']);
    expect((await readOverdueNotices(path)).sent).toEqual({
      'local/drill': { since: later, at: at.toISOString() },
    });
  });

  // two backup jobs (two schedules) may end at once: a spell is told by one of them only
  it('lets exactly one of several processes claim a spell', async () => {
    const path = join(await tempDir(), 'overdue-notices.json');
    const script = `import(${JSON.stringify(built)}).then(async (m) => {
      const claimed = await m.claimOverdueNotices(process.argv[1], [{ key: 'local/drill', since: 'spell-1' }], new Date());
      process.stdout.write(String(claimed.length));
    });`;
    const results = await Promise.all(Array.from({ length: 4 }, () => execa('node', ['-e', script, path])));
    const inProcess = await Promise.all(
      Array.from({ length: 4 }, () =>
        claimOverdueNotices(path, [{ key: 'local/drill', since: 'spell-1' }], at),
      ),
    );
    const claims = [...results.map((r) => Number(r.stdout)), ...inProcess.map((c) => c.length)];
    expect(claims.reduce((a, b) => a + b, 0)).toBe(1);
  });
});
