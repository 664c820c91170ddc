import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { borgops } from '../helpers/cli.js';
import { exampleDir, gitRepo } from '../helpers/git.js';
import { guideStateListing } from '../helpers/guide.js';
import { tempDir } from '../helpers/temp.js';

describe('borgops CLI on the guide example', () => {
  it('validates the example and lists its states exactly as the guide shows', async () => {
    const repo = await gitRepo(undefined, { from: exampleDir });
    const validate = await borgops(['validate', '--source', repo.dir]);
    expect(validate.stderr).toBe('');
    expect(validate.exitCode).toBe(0);
    expect(validate.stdout).toMatch(/^declarations at [0-9a-f]{12} are valid: 0 errors, 0 warnings\n$/);

    const list = await borgops(['state', 'list', 'jon', '--source', repo.dir]);
    expect(list.exitCode).toBe(0);
    expect(list.stdout).toBe(guideStateListing);

    const json = await borgops(['state', 'list', 'jon', '--source', repo.dir, '--json']);
    expect(JSON.parse(json.stdout)).toEqual([
      {
        name: 'linkding',
        folders: ['/var/backup/linkding'],
        preBackupCommand: 'pre-backup-linkding',
        postRestoreCommand: 'post-restore-linkding',
      },
      { name: 'zerotier', folders: ['/var/lib/zerotier-one'] },
    ]);
  });

  it('reports every problem with validate --json and exits 1', async () => {
    const repo = await gitRepo(undefined, { from: exampleDir });
    await repo.commit({
      'machines/jon/state.yaml': 'state:\n  linkding:\n    folder: [/x]\n    preBackupScript: 1\n',
    });
    const result = await borgops(['validate', '--source', repo.dir, '--json']);
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(result.stdout) as {
      valid: boolean;
      problems: { file: string; line: number; path: string }[];
    };
    expect(report.valid).toBe(false);
    expect(report.problems.map((p) => `${p.file}:${p.line}: ${p.path}`)).toEqual([
      'machines/jon/state.yaml:3: state.linkding.folder',
      'machines/jon/state.yaml:4: state.linkding.preBackupScript',
    ]);
  });

  it('reads the declarations at --ref and ignores uncommitted edits without --worktree', async () => {
    const repo = await gitRepo(undefined, { from: exampleDir });
    const good = (await repo.git.revparse(['HEAD'])).trim();
    await repo.commit({ 'machines/jon/state.yaml': 'state: {broken: 1}\n' });
    expect((await borgops(['validate', '--source', repo.dir])).exitCode).toBe(1);
    expect((await borgops(['validate', '--source', repo.dir, '--ref', good])).exitCode).toBe(0);

    await repo.write({ 'machines/jon/state.yaml': 'state:\n  fixed:\n    folders: [/srv/fixed]\n' });
    expect((await borgops(['validate', '--source', repo.dir])).exitCode).toBe(1);
    const worktree = await borgops(['state', 'list', 'jon', '--source', repo.dir, '--worktree']);
    expect(worktree.exitCode).toBe(0);
    expect(worktree.stdout).toBe('· service: fixed\n  folders:\n  - /srv/fixed\n\n');
  });

  it.each([
    [
      'a path that is not a git repository',
      async () => ['validate', '--source', await tempDir()],
      /^borgops: config source \/\S+ is not a git repository \(to read the files in it as they are, add --worktree\)\n$/,
    ],
    [
      'an unknown ref',
      async (dir: string) => ['validate', '--source', dir, '--ref', 'v9'],
      /^borgops: unknown ref "v9" in \/\S+\n$/,
    ],
    [
      'a machine that is not declared',
      async (dir: string) => ['state', 'list', 'bob', '--source', dir],
      /^borgops: machine "bob" is not declared \(declared machines: jon\)\n$/,
    ],
    ['an unknown command', async () => ['frobnicate'], /unknown command 'frobnicate'/],
  ])('gives one clear message and exit 1 for %s', async (_name, args, message) => {
    const repo = await gitRepo(undefined, { from: exampleDir });
    const root = await tempDir();
    const result = await borgops([...(await args(repo.dir)), '--root', root]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(await readdir(root)).toEqual([]);
  });

  it('refuses to act on invalid declarations, listing every problem', async () => {
    const repo = await gitRepo(undefined, { from: exampleDir });
    await repo.commit({
      'inventory.json': '{\n  "instances": {},\n  "instances": {}\n}\n',
      'machines/jon/state.yaml': 'state: [\n',
    });
    const result = await borgops(['state', 'list', 'jon', '--source', repo.dir]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('are invalid (2 errors); run `borgops validate`');
    expect(result.stderr).toContain('  inventory.json:3: invalid JSON: duplicate key: "instances"');
    expect(result.stderr).toContain('  machines/jon/state.yaml:');
  });

  it('refuses a script bash cannot parse in validate and in plan, naming the file, line and field', async () => {
    const repo = await gitRepo(undefined, { from: exampleDir });
    await repo.commit({
      'machines/jon/state.yaml':
        'state:\n  zerotier:\n    folders: [/var/lib/zerotier-one]\n    postBackupScript: |\n      cp -a (x) /tmp\n',
    });
    const line =
      "machines/jon/state.yaml:4: state.zerotier.postBackupScript: bash -n: line 1: syntax error near unexpected token `(' (in `cp -a (x) /tmp')";
    const validate = await borgops(['validate', '--source', repo.dir]);
    expect(validate.exitCode).toBe(1);
    expect(validate.stdout).toContain(`${line}\n`);
    const root = await tempDir();
    const plan = await borgops(['plan', '--source', repo.dir, '--machine', 'jon', '--root', root]);
    expect(plan.exitCode).toBe(1);
    expect(plan.stderr).toContain('run `borgops validate`');
    expect(plan.stderr).toContain(`  ${line}\n`);
  });

  it('prints the JSON Schema of both files', async () => {
    const result = await borgops(['schema']);
    expect(result.exitCode).toBe(0);
    const schema = JSON.parse(result.stdout) as { $defs: Record<string, unknown> };
    expect(Object.keys(schema.$defs)).toEqual(['inventory', 'state']);
    const bad = await borgops(['schema', 'nope']);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toBe('borgops: unknown schema "nope"; accepted: inventory, state\n');
  });
});
