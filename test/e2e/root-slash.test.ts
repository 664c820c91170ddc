import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { borgops, expectOk } from '../helpers/cli.js';
import { exists } from '../helpers/files.js';
import { gitRepo } from '../helpers/git.js';
import { tempDir } from '../helpers/temp.js';

const isRoot = process.getuid?.() === 0;
const TIMEOUT = 300_000;

/*
 * `--root /` as a real machine runs it (CI runs as root): folders are real absolute paths, the
 * hooks run in `/`. Everything borgops writes stays in temporary directories: the state
 * directory is given, the scheduler is the embedded one, the repository and folders are in /tmp.
 */
describe.skipIf(!isRoot)(`--root / end to end${isRoot ? '' : ' (skipped: needs root)'}`, () => {
  it(
    'apply, backup, restore into a fresh --target and in place, hooks run in /',
    async () => {
      const base = await tempDir('borgops-rootslash-');
      const data = join(base, 'data');
      await mkdir(data);
      await writeFile(join(data, 'db'), 'v1\n');
      const inventory = {
        instances: {
          borgbackup: {
            module: { name: 'borgbackup' },
            roles: {
              client: {
                machines: { jon: { settings: { destinations: { local: { repo: join(base, 'repo') } } } } },
              },
            },
          },
        },
      };
      const repo = await gitRepo({
        'inventory.json': JSON.stringify(inventory),
        'machines/jon/state.yaml': [
          'state:',
          '  app:',
          `    folders: [${data}]`,
          '    preBackupScript: |',
          `      echo "$BORGOPS_ROOT|$PWD" > ${join(base, 'pre-ran')}`,
          '',
        ].join('\n'),
      });
      const state = join(base, 'state');
      const here = ['--root', '/', '--state-dir', state];
      const applied = await borgops([
        'apply',
        '--source',
        repo.dir,
        '--machine',
        'jon',
        '--scheduler',
        'embedded',
        ...here,
      ]);
      expectOk(applied, 'apply --root /');
      expect(await exists(join(state, 'secrets/local.passphrase'))).toBe(true);
      expect(await exists(join(state, 'hooks/pre-backup-app'))).toBe(true);

      expectOk(await borgops(['backups', 'create', 'jon', ...here]), 'backups create --root /');
      expect(await readFile(join(base, 'pre-ran'), 'utf8')).toBe('/|/\n');
      const listed = await borgops(['backups', 'list', 'jon', '--json', ...here]);
      expectOk(listed, 'backups list');
      const names = (JSON.parse(listed.stdout) as { backups: { name: string }[] }).backups.map((b) => b.name);
      expect(names).toHaveLength(1);

      await writeFile(join(data, 'db'), 'v2\n');
      const target = join(base, 'restored');
      expectOk(
        await borgops(['backups', 'restore', 'jon', 'borgbackup', names[0]!, '--target', target, ...here]),
        'restore --target',
      );
      expect(await readFile(join(target, data.slice(1), 'db'), 'utf8')).toBe('v1\n');
      expect(await readFile(join(data, 'db'), 'utf8')).toBe('v2\n');

      // an archive of the folder holding a link out, and a member written through it
      const outside = join(base, 'outside');
      await mkdir(outside);
      await symlink(outside, join(data, 'link'));
      await mkdir(join(outside, 'sub'));
      await writeFile(join(outside, 'sub/file'), 'x\n');
      expectOk(await borgops(['backups', 'create', 'jon', ...here]), 'second backup');
      const again = (
        JSON.parse((await borgops(['backups', 'list', 'jon', '--json', ...here])).stdout) as {
          backups: { name: string }[];
        }
      ).backups;
      expect(again).toHaveLength(2);
      // a link alone is fine to restore in place: nothing in the archive lies under it
      const inPlace = await borgops([
        'backups',
        'restore',
        '--service',
        'app',
        'jon',
        'borgbackup',
        again.find((b) => b.name !== names[0])!.name,
        ...here,
      ]);
      expectOk(inPlace, 'in-place restore of a folder holding a symlink');
      expect(await readFile(join(data, 'db'), 'utf8')).toBe('v2\n');
    },
    TIMEOUT,
  );
});
