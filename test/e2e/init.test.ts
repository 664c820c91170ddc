import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { describe, expect, it } from 'vitest';
import { borgops } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

describe('borgops init [DIR]', () => {
  it('scaffolds a config repository that validates as is and plans', async () => {
    const parent = await tempDir();
    const dir = join(parent, 'config');
    const init = await borgops(['init', dir, '--machine', 'alpha']);
    expect(init.stderr).toBe('');
    expect(init.exitCode).toBe(0);
    expect(init.stdout).toContain(`created ${dir}/inventory.yaml`);

    const inventory = await readFile(join(dir, 'inventory.yaml'), 'utf8');
    expect(inventory.split('\n')[0]).toBe('# yaml-language-server: $schema=schema/inventory.schema.json');
    const state = await readFile(join(dir, 'machines/alpha/state.yaml'), 'utf8');
    expect(state.split('\n')[0]).toBe('# yaml-language-server: $schema=../../schema/state.schema.json');
    // the $schema lines resolve: the schemas are in the repository
    const schema = JSON.parse(await readFile(join(dir, 'schema/state.schema.json'), 'utf8')) as object;
    expect(schema).toHaveProperty('$schema');

    const log = await simpleGit({ baseDir: dir }).log();
    expect(log.total).toBe(1);
    expect((await simpleGit({ baseDir: dir }).status()).isClean()).toBe(true);

    const validate = await borgops(['validate', '--source', dir]);
    expect(validate.stderr).toBe('');
    expect(validate.exitCode).toBe(0);
    expect(validate.stdout).toMatch(/are valid/);

    const root = await tempDir();
    const plan = await borgops(['plan', '--source', dir, '--machine', 'alpha', '--root', root]);
    expect(plan.stderr).toBe('');
    expect(plan.exitCode).toBe(2); // changes pending: a new machine to converge
    expect(plan.stdout).toContain('borg init --encryption repokey /srv/borg/alpha');
    expect(plan.stdout).toContain('Plan: 3 to add, 0 to change, 0 to destroy.');
  });

  it('with --no-commit leaves a git repository without commits, which validate --worktree accepts', async () => {
    const dir = await tempDir();
    const init = await borgops(['init', dir, '--machine', 'alpha', '--no-commit', '--json']);
    expect(init.exitCode).toBe(0);
    const report = JSON.parse(init.stdout) as { commit: string | null; files: string[]; gitInit: boolean };
    expect(report.commit).toBeNull();
    expect(report.gitInit).toBe(true);
    expect(report.files).toContain('machines/alpha/state.yaml');
    const validate = await borgops(['validate', '--source', dir, '--worktree']);
    expect(validate.exitCode).toBe(0);
  });

  it('refuses a directory that already has an inventory and never overwrites a file', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'inventory.json'), '{"mine": true}\n');
    const again = await borgops(['init', dir, '--machine', 'alpha']);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain('already has inventory.json');
    expect(await readFile(join(dir, 'inventory.json'), 'utf8')).toBe('{"mine": true}\n');

    const other = await tempDir();
    await writeFile(join(other, 'notes.txt'), 'keep me\n');
    expect((await borgops(['init', other, '--machine', 'alpha'])).exitCode).toBe(0);
    const inventory = await readFile(join(other, 'inventory.yaml'), 'utf8');
    await writeFile(join(other, 'inventory.yaml'), `${inventory}# edited\n`);
    const twice = await borgops(['init', other, '--machine', 'alpha']);
    expect(twice.exitCode).toBe(1);
    expect(await readFile(join(other, 'inventory.yaml'), 'utf8')).toBe(`${inventory}# edited\n`);
    // what was already in DIR is not committed on the user's behalf
    expect(await readFile(join(other, 'notes.txt'), 'utf8')).toBe('keep me\n');
    const tracked = await simpleGit({ baseDir: other }).raw(['ls-files']);
    expect(tracked).not.toContain('notes.txt');
  });
});
