import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { servedHealth } from '../../../reconcile/operations/served.js';
import { compile } from '../../../src/desired/compile.js';
import { lookupUser } from '../../../src/host/accounts.js';
import { hostPaths } from '../../../src/host/paths.js';
import { declarationsOf } from '../../helpers/declarations.js';
import { tempDir } from '../../helpers/temp.js';

const isRoot = process.getuid?.() === 0;

const declarations = declarationsOf({
  'inventory.json': {
    machines: { nas: {}, jon: {} },
    instances: {
      main: {
        module: { name: 'borgbackup' },
        roles: {
          server: { machines: { nas: { settings: { address: 'nas', directory: '/srv/borg' } } } },
          client: { machines: { jon: {} } },
        },
      },
    },
  },
  'machines/jon/state.json': { state: { app: { folders: ['/srv/app'] } } },
});

// a status read by a user who may read the server's state directory but not write it (this file
// runs in a process of its own: vitest's forks pool; the effective user is put back in `finally`)
describe.skipIf(!isRoot)(
  `servedHealth by a user who cannot write served.json${isRoot ? '' : ' (skipped: needs root)'}`,
  () => {
    it('still reports, and leaves served.json as it was', async () => {
      const nobody = await lookupUser('nobody');
      if (!nobody) throw new Error('no user nobody');
      const root = await tempDir();
      const paths = hostPaths(root);
      const segments = join(root, 'srv/borg/jon/data/0');
      await mkdir(segments, { recursive: true });
      await writeFile(join(segments, '1'), Buffer.alloc(5000));
      const input = {
        paths,
        server: 'nas',
        declarations,
        served: compile(declarations, 'nas').served,
        now: new Date(),
        record: true,
      };
      expect((await servedHealth(input))[0]).toMatchObject({ bytes: 5000 });
      const recorded = await readFile(paths.served, 'utf8');
      // readable by everyone, writable by root only
      for (const dir of [root, join(root, 'srv'), join(root, 'srv/borg'), join(root, 'srv/borg/jon')])
        await chmod(dir, 0o755);
      for (const dir of [join(root, 'srv/borg/jon/data'), segments]) await chmod(dir, 0o755);
      await chmod(join(segments, '1'), 0o644);
      for (let dir = dirname(paths.served); dir !== root; dir = dirname(dir)) await chmod(dir, 0o755);
      await chmod(paths.served, 0o644);
      await writeFile(join(segments, '1'), Buffer.alloc(9000));

      process.setegid?.(nobody.gid);
      process.seteuid?.(nobody.uid);
      let served: Awaited<ReturnType<typeof servedHealth>>;
      try {
        expect(process.geteuid?.()).toBe(nobody.uid);
        served = await servedHealth({ ...input, now: new Date() });
      } finally {
        process.seteuid?.(0);
        process.setegid?.(0);
      }
      expect(served[0]).toMatchObject({ client: 'jon', bytes: 9000, growthBytes: 4000 });
      expect(await readFile(paths.served, 'utf8')).toBe(recorded);
    });
  },
);
