import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { borgops, expectOk } from '../helpers/cli.js';
import { localConfig } from '../helpers/fleet.js';
import { gitRepo } from '../helpers/git.js';
import { tempDir } from '../helpers/temp.js';

describe('plan shows a passCommand change (built CLI, real borg)', () => {
  it('a changed encryption.passCommand is a change in plan (exit 2), never printed; converged after apply', async () => {
    const base = await tempDir('borgops-passcommand-');
    await mkdir(join(base, 'repos'));
    const first = join(base, 'first.pass');
    const second = join(base, 'second.pass');
    // the same passphrase behind two commands: only the command changes
    await writeFile(first, 'correct horse battery staple\n');
    await writeFile(second, 'correct horse battery staple\n');
    const config = (command: string) =>
      localConfig(
        { local: join(base, 'repos', 'local') },
        { encryption: { mode: 'repokey', passCommand: command } },
      );
    const repo = await gitRepo(config(`cat ${first}`));
    const root = join(base, 'root');
    const common = ['--source', repo.dir, '--machine', 'jon', '--root', root, '--scheduler', 'embedded'];
    expectOk(await borgops(['apply', ...common]), 'first apply');
    expect((await borgops(['plan', ...common])).exitCode).toBe(0);

    await repo.commit(config(`cat ${second}`));
    const plan = await borgops(['plan', ...common]);
    expect(plan.exitCode, plan.stdout + plan.stderr).toBe(2);
    expect(plan.stdout).toMatch(/^ {2}~ settings\/local +encryption\.passCommand changed \(hidden\)/m);
    expect(plan.stdout).toContain('Plan: 0 to add, 1 to change, 0 to destroy.');
    expect(plan.stdout + plan.stderr).not.toContain(second);
    expect(plan.stdout + plan.stderr).not.toContain('first.pass');
    const json = await borgops(['plan', ...common, '--json']);
    expect(json.exitCode).toBe(2);
    expect((JSON.parse(json.stdout) as { settings: unknown[] }).settings).toEqual([
      {
        id: 'settings/local',
        destination: 'local',
        setting: 'encryption.passCommand',
        summary: expect.stringMatching(/^encryption\.passCommand changed \(hidden\)/),
      },
    ]);
    expect(json.stdout).not.toContain(second);

    expectOk(await borgops(['apply', ...common]), 'apply of the new command');
    const after = await borgops(['plan', ...common]);
    expect(after.exitCode, after.stdout).toBe(0);
    expect(after.stdout).toContain('No changes: jon is converged');
  });
});
