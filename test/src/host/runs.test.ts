import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { readRuns, updateRun } from '../../../src/host/runs.js';
import { tempDir } from '../../helpers/temp.js';

const built = new URL('../../../dist/src/host/runs.js', import.meta.url).pathname;

describe('updateRun', () => {
  // backups create, apply's prune and check/drill each read, change and write runs.json: an update
  // written over another one's read loses it (a fingerprint vouching for archives apply deleted)
  it('loses no update when several processes change the record at once', async () => {
    const path = join(await tempDir(), 'runs.json');
    const bump = (previous: { archives?: number } | undefined) => ({
      ...previous,
      archives: (previous?.archives ?? 0) + 1,
    });
    const script = `import(${JSON.stringify(built)}).then(async (m) => {
      for (let i = 0; i < 15; i++)
        await m.updateRun(process.argv[1], 'local', (p) => ({ ...p, archives: (p?.archives ?? 0) + 1 }));
    });`;
    await Promise.all(Array.from({ length: 4 }, () => execa('node', ['-e', script, path])));
    // and in this process, at once with itself, on another destination too
    await Promise.all([
      ...Array.from({ length: 10 }, () => updateRun(path, 'local', bump)),
      ...Array.from({ length: 5 }, () => updateRun(path, 'remote', bump)),
    ]);
    const runs = await readRuns(path);
    expect(runs.destinations.local?.archives).toBe(70);
    expect(runs.destinations.remote?.archives).toBe(5);
  });
});
