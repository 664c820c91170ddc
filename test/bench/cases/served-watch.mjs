// A server's view of 100 served client repositories (`borgops status` on the server: listings,
// file metadata and borg's hints files only) vs `du -sb` over the same 100 directories, the
// cheapest walk of the same metadata. No borg process runs and no archive data is read.
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { borg, borgops, cleanup, configRepo, median, sideBySide, tempDir } from '../lib.mjs';

export const name = 'server status, 100 served repositories';
export const target = '< 1 s (no borg process, no archive data read)';

const count = 100;

export async function run({ runs }) {
  const dir = await tempDir('served');
  try {
    const clients = Array.from({ length: count }, (_, i) => `c${String(i).padStart(3, '0')}`);
    const files = {
      'inventory.json': JSON.stringify({
        machines: Object.fromEntries(['nas', ...clients].map((m) => [m, {}])),
        instances: {
          main: {
            module: { name: 'borgbackup' },
            roles: {
              server: {
                machines: { nas: { settings: { address: 'nas', directory: '/srv/borg', quota: '10G' } } },
              },
              client: { machines: Object.fromEntries(clients.map((c) => [c, {}])) },
            },
          },
        },
      }),
    };
    for (const c of clients)
      files[`machines/${c}/state.json`] = JSON.stringify({ state: { app: { folders: ['/srv/app'] } } });
    const config = join(dir, 'config');
    await configRepo(config, files);
    const root = join(dir, 'root');
    const common = ['--source', config, '--machine', 'nas', '--root', root, '--scheduler', 'embedded'];
    const applied = await borgops(['apply', ...common]);
    if (applied.exitCode !== 0) throw new Error(`apply failed: ${applied.stderr}`);

    // one real repository with a few archives, copied into every client's served directory
    const template = join(dir, 'template');
    await mkdir(join(dir, 'data'), { recursive: true });
    await writeFile(join(dir, 'data/file'), Buffer.alloc(1_000_000, 1));
    const env = { BORG_PASSPHRASE: 'bench', BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes' };
    await borg(['init', '-e', 'none', '--append-only', template], env);
    for (const archive of ['a', 'b', 'c'])
      await borg(['create', `${template}::${archive}`, 'data'], env, dir);
    const served = clients.map((c) => join(root, 'srv/borg', c));
    for (const path of served) await cp(template, path, { recursive: true });

    const status = async () => {
      const result = await borgops(['status', '--json', '--machine', 'nas', '--root', root]);
      const report = JSON.parse(result.stdout);
      if (report.served?.length !== count)
        throw new Error(`status saw ${report.served?.length} served repositories`);
      return result.ms;
    };
    const baseline = async () => {
      const started = performance.now();
      await execa('du', ['-sb', ...served]);
      return performance.now() - started;
    };
    const samples = await sideBySide({ ours: status, baseline, runs });
    const ms = median(samples.ours);
    const base = median(samples.baseline);
    return {
      rows: [
        {
          case: `status with ${count} served repositories`,
          ms,
          baselineMs: base,
          ratio: ms / base,
          met: ms < 1000,
        },
      ],
    };
  } finally {
    await cleanup(dir);
  }
}
