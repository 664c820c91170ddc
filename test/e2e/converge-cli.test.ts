import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { borgops, cliPath } from '../helpers/cli.js';
import { localConfig } from '../helpers/fleet.js';
import { gitRepo } from '../helpers/git.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

async function setup(files?: Record<string, string>) {
  const base = await tempDir('borgops-e2e-');
  const repos = join(base, 'repos');
  await mkdir(repos);
  const repo = await gitRepo(files ?? localConfig({ local: join(repos, 'local') }));
  const root = join(base, 'root');
  const common = ['--source', repo.dir, '--machine', 'jon', '--root', root, '--scheduler', 'embedded'];
  return { base, repo, root, repos, common };
}

describe('borgops plan and apply (built CLI)', () => {
  it('plan exits 2 with changes, apply converges, plan then exits 0; --json and saved plans', async () => {
    const { base, repo, root, common } = await setup();
    const plan = await borgops(['plan', ...common]);
    expect(plan.exitCode).toBe(2);
    expect(plan.stdout).toMatch(
      /^borgops plan for jon at [0-9a-f]{12} \(scheduler embedded, 1 borg process\)\n/,
    );
    expect(plan.stdout).toContain('  + repository/local ');
    expect(plan.stdout).toContain('Plan: 6 to add, 0 to change, 0 to destroy.');

    const saved = join(base, 'plan.json');
    expect((await borgops(['plan', ...common, '--out', saved])).exitCode).toBe(2);
    const other = await borgops(['apply', ...common.map((a) => (a === 'jon' ? 'sara' : a)), '--plan', saved]);
    expect(other.exitCode).toBe(3);
    expect(other.stderr).toBe('borgops: the plan is for machine "jon", not "sara"; refusing it\n');

    const applied = await borgops(['apply', ...common, '--plan', saved]);
    expect(applied.stderr).toContain('[6/6] schedule/local');
    expect(applied.exitCode).toBe(0);
    expect(applied.stdout).toMatch(/Apply complete: 6 applied, 0 failed \(\d+ borg process(es)?\)\.\n$/);

    const converged = await borgops(['plan', ...common, '--json']);
    expect(converged.exitCode).toBe(0);
    expect(JSON.parse(converged.stdout)).toMatchObject({
      machine: 'jon',
      actions: [],
      errors: [],
      borgProcesses: 0,
    });

    // a saved plan is made at a commit; it goes stale when the machine moves before it is applied
    await repo.commit({
      'machines/jon/state.yaml':
        'state:\n  zerotier:\n    folders: [/var/lib/zerotier-one]\n    preBackupScript: echo hi\n',
    });
    expect((await borgops(['plan', ...common, '--out', saved])).exitCode).toBe(2);
    await writeFile(join(root, 'var/lib/borgops/hooks/pre-backup-linkding'), 'edited by hand\n');
    const stale = await borgops(['apply', ...common, '--plan', saved]);
    expect(stale.exitCode).toBe(3);
    expect(stale.stderr).toContain('the saved plan is stale');
    expect(await readFile(join(root, 'var/lib/borgops/hooks/pre-backup-linkding'), 'utf8')).toBe(
      'edited by hand\n',
    );
  });

  it('a kill -9 in the middle of apply leaves no half-written file, and the rerun converges', async () => {
    const states = Array.from(
      { length: 120 },
      (_, i) =>
        `  s${i}:\n    folders: [/srv/s${i}]\n    preBackupScript: echo ${i}\n    postRestoreScript: echo ${i}\n`,
    );
    const base = await setup();
    await base.repo.commit({ 'machines/jon/state.yaml': `state:\n${states.join('')}` });
    const hooks = join(base.root, 'var/lib/borgops/hooks');
    const child = execa('node', [cliPath, 'apply', ...base.common], { reject: false });
    await waitFor('apply to be writing hooks', async () =>
      (await readdir(hooks)).length >= 20 ? true : undefined,
    );
    child.kill('SIGKILL');
    const killed = await child;
    expect(killed.signal).toBe('SIGKILL');
    const written = (await readdir(hooks)).filter((name) => !name.startsWith('.'));
    expect(written.length).toBeGreaterThan(0);
    expect(written.length).toBeLessThan(240);
    for (const name of written)
      expect(await readFile(join(hooks, name), 'utf8')).toMatch(
        /^#!\/usr\/bin\/env bash\n[\s\S]*echo \d+\n$/,
      );

    const rerun = await borgops(['apply', ...base.common]);
    expect(rerun.exitCode).toBe(0);
    expect((await readdir(hooks)).filter((n) => !n.startsWith('.'))).toHaveLength(240);
    expect((await readdir(hooks)).filter((n) => n.startsWith('.'))).toEqual([]);
    expect((await borgops(['plan', ...base.common])).exitCode).toBe(0);
  });
});
