import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { borgops } from '../helpers/cli.js';
import { localConfig } from '../helpers/fleet.js';
import { gitRepo } from '../helpers/git.js';
import { tempDir } from '../helpers/temp.js';

// `borgops observe --export` on a machine with archives in a real borg repository, and
// `preview --observed` of it (and of `backups list --json`) naming what the live `plan` prunes.

const TIMES = ['2026-03-08T01:00:00', '2026-03-09T01:00:00', '2026-03-10T01:00:00'];

interface PlanJson {
  actions: { id: string; archives?: string[] }[];
}
interface PreviewJson {
  machines: { machine: string; prunes: { destination: string; pruned: string[] }[] }[];
}

describe('borgops observe --export (real borg) and preview --observed', () => {
  it('exports the snapshot, and preview of it (or of backups list --json) prunes what the live plan prunes; garbage is named', async () => {
    const base = await tempDir('borgops-observe-');
    const local = join(base, 'repos', 'local');
    await mkdir(join(base, 'repos'));
    const config = (extra: Record<string, unknown>) =>
      localConfig({ local }, { encryption: { mode: 'none' }, ...extra });
    const repo = await gitRepo(config({}));
    await repo.git.tag(['base']);
    const root = join(base, 'root');
    const common = ['--source', repo.dir, '--machine', 'jon', '--root', root, '--scheduler', 'embedded'];
    const env = { TZ: 'UTC' };
    const applied = await borgops(['apply', ...common], { env });
    expect(applied.stderr + applied.stdout).toContain('Apply complete');
    expect(applied.exitCode).toBe(0);

    // three archives of jon's at known times, made by borg itself
    const data = join(base, 'data');
    await mkdir(data);
    await writeFile(join(data, 'file'), 'content\n');
    for (const time of TIMES) {
      await execa('borg', ['create', '--timestamp', time, `${local}::jon-local-${time}`, data], {
        env: {
          TZ: 'UTC',
          BORG_BASE_DIR: join(base, 'borg-base'),
          BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes',
        },
      });
    }

    // the change under review: keep one daily archive
    await repo.commit(config({ prune: { keep: { daily: 1 } } }));
    const plan = await borgops(['plan', ...common, '--json'], { env });
    const planned = (JSON.parse(plan.stdout) as PlanJson).actions.find((a) => a.id === 'retention/local');
    expect(planned?.archives).toEqual([`jon-local-${TIMES[1]}`, `jon-local-${TIMES[0]}`]);

    const snapshot = join(base, 'out', 'jon.json');
    const exported = await borgops(['observe', '--export', snapshot, '--root', root], { env });
    expect(exported.stderr).toBe('');
    expect(exported.exitCode).toBe(0);
    expect(exported.stdout).toBe(`wrote ${snapshot}: jon, 1 destination, 3 archives\n`);
    const file = JSON.parse(await import('node:fs/promises').then((fs) => fs.readFile(snapshot, 'utf8')));
    expect(file).toMatchObject({
      machine: 'jon',
      destinations: { local: { repo: local, archives: TIMES.map((t) => ({ name: `jon-local-${t}` })) } },
      errors: [],
    });
    expect(Number.isNaN(new Date(file.observedAt).getTime())).toBe(false);
    // `-` and --json print the same snapshot to stdout
    const stdout = JSON.parse((await borgops(['observe', '--export', '-', '--root', root], { env })).stdout);
    expect(stdout.destinations).toEqual(file.destinations);

    const preview = async (observed: string) => {
      const result = await borgops(
        ['preview', '--source', repo.dir, '--base', 'base', '--observed', observed, '--json'],
        { env },
      );
      expect(result.exitCode, result.stderr).toBe(3);
      const report = JSON.parse(result.stdout) as PreviewJson;
      return report.machines.find((m) => m.machine === 'jon')?.prunes.find((p) => p.destination === 'local')
        ?.pruned;
    };
    expect(await preview(snapshot)).toEqual(planned?.archives);

    const listed = join(base, 'out', 'list.json');
    const list = await borgops(['backups', 'list', '--json', '--root', root], { env });
    expect(list.exitCode).toBe(0);
    await writeFile(listed, list.stdout);
    expect(await preview(listed)).toEqual(planned?.archives);

    const garbage = join(base, 'out', 'garbage.json');
    await writeFile(garbage, '{"machine": "jon", "backups": 3}\n');
    const bad = await borgops(['preview', '--source', repo.dir, '--base', 'base', '--observed', garbage]);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain('--observed: garbage.json is neither a snapshot');
  });
});
