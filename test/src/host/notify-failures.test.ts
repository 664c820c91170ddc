import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { countNotifyFailure, readNotifyFailures } from '../../../src/host/notify-failures.js';
import { tempDir } from '../../helpers/temp.js';

const built = new URL('../../../dist/src/host/notify-failures.js', import.meta.url).pathname;

describe('notify failure counts', () => {
  it('loses no count when several processes count at once (a backup job, the agent, a check)', async () => {
    const path = join(await tempDir(), 'notify.json');
    const script = `import(${JSON.stringify(built)}).then(async (m) => {
      for (let i = 0; i < 15; i++) await m.countNotifyFailure(process.argv[1], { receiver: 'hc', event: 'fail', error: 'down' });
    });`;
    await Promise.all(Array.from({ length: 4 }, () => execa('node', ['-e', script, path])));
    // and in this process, at once with itself
    await Promise.all(
      Array.from({ length: 10 }, () =>
        countNotifyFailure(path, { receiver: 'hc', event: 'verification', error: 'down' }),
      ),
    );
    expect((await readNotifyFailures(path)).failures.hc?.count).toBe(70);
  });
});
