import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { readServedHistory, recordServedSamples } from '../../../src/host/served-history.js';
import { tempDir } from '../../helpers/temp.js';

const built = new URL('../../../dist/src/host/served-history.js', import.meta.url).pathname;

const sample = (bytes: number, at: string) => ({ at, bytes });

describe('recordServedSamples (served.json)', () => {
  // `borgops status` and the agent's /metrics both observe served repositories and write
  // served.json: one's update written over the other's read would lose a growth sample
  it('loses no record when several processes write at once', async () => {
    const path = join(await tempDir(), 'served.json');
    const script = `import(${JSON.stringify(built)}).then(async (m) => {
      for (let i = 0; i < 15; i++)
        await m.recordServedSamples(process.argv[1], new Map([[process.argv[2] + '/' + i, { at: new Date().toISOString(), bytes: i + 1 }]]));
    });`;
    await Promise.all(
      ['/srv/a', '/srv/b', '/srv/c', '/srv/d'].map((prefix) => execa('node', ['-e', script, path, prefix])),
    );
    // and in this process, at once with itself
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        recordServedSamples(path, new Map([[`/srv/e/${i}`, sample(i + 1, new Date().toISOString())]])),
      ),
    );
    const history = await readServedHistory(path);
    expect(Object.keys(history.repositories)).toHaveLength(70);
  });

  it('moves a record on a change, keeps it on none, and never takes an older sample over a newer one', async () => {
    const path = join(await tempDir(), 'served.json');
    const at = (minute: number) => `2026-12-01T06:${String(minute).padStart(2, '0')}:00.000Z`;
    expect(await recordServedSamples(path, new Map([['/srv/jon', sample(100, at(0))]]))).toBe(true);
    expect(await recordServedSamples(path, new Map([['/srv/jon', sample(100, at(5))]]))).toBe(false);
    expect(await recordServedSamples(path, new Map([['/srv/jon', sample(300, at(10))]]))).toBe(true);
    // observed at 06:08 by a slower process, written after the 06:10 one
    expect(await recordServedSamples(path, new Map([['/srv/jon', sample(200, at(8))]]))).toBe(false);
    expect((await readServedHistory(path)).repositories['/srv/jon']).toEqual({
      current: sample(300, at(10)),
      previous: sample(100, at(0)),
    });
    expect(await recordServedSamples(path, new Map())).toBe(false);
  });
});
