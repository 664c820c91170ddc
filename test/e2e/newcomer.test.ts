import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { borgops, cliPath } from '../helpers/cli.js';
import { localConfig } from '../helpers/fleet.js';
import { gitRepo } from '../helpers/git.js';
import { jonAt, localWorld } from '../helpers/local-world.js';
import { tempDir } from '../helpers/temp.js';

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function applied() {
  const { repo, root } = await localWorld('borgops-newcomer-');
  const apply = await borgops(['apply', ...jonAt(repo.dir, root)]);
  expect(apply.exitCode, apply.stderr).toBe(0);
  return { repo, root };
}

describe('the machine a command acts for', () => {
  it('status, schedule list and state list default to the machine the state directory was applied for', async () => {
    expect(hostname().split('.')[0]).not.toBe('jon');
    const { repo, root } = await applied();
    const status = await borgops(['status', '--root', root, '--json']);
    expect((JSON.parse(status.stdout) as { machine: string }).machine).toBe('jon');
    const text = await borgops(['status', '--root', root]);
    expect(text.stdout).toMatch(/^jon: /);
    const schedule = await borgops(['schedule', 'list', '--root', root, '--json']);
    expect(schedule.exitCode, schedule.stderr).toBe(0);
    expect((JSON.parse(schedule.stdout) as { machine: string }).machine).toBe('jon');
    const states = await borgops(['state', 'list', '--source', repo.dir, '--root', root]);
    expect(states.exitCode, states.stderr).toBe(0);
    expect(states.stdout).toContain('linkding');
  });

  it('plan and apply act for the machine the state directory was applied for, not the host name', async () => {
    const { repo, root } = await applied();
    const common = ['--source', repo.dir, '--root', root, '--scheduler', 'embedded'];
    const plan = await borgops(['plan', ...common, '--json']);
    expect(plan.exitCode, plan.stderr).toBe(0);
    expect((JSON.parse(plan.stdout) as { machine: string }).machine).toBe('jon');
    const apply = await borgops(['apply', ...common]);
    expect(apply.exitCode, apply.stderr).toBe(0);
    expect(apply.stdout).toContain('jon is converged');
  });

  it('keys show refuses a machine the declarations do not declare, and generates no key', async () => {
    const { repo, root } = await applied();
    const other = join(await tempDir(), 'root');
    // before any apply on this host: checked against the config repository
    const fresh = await borgops([
      'keys',
      'show',
      '--machine',
      'nobody',
      '--source',
      repo.dir,
      '--root',
      other,
      '--json',
    ]);
    expect(fresh.exitCode).toBe(1);
    const error = (JSON.parse(fresh.stdout) as { error: { code: string; message: string } }).error;
    expect(error).toEqual(
      expect.objectContaining({
        code: 'E_CONFIG',
        message: 'machine "nobody" is not declared (declared machines: jon)',
      }),
    );
    expect(await exists(join(other, 'var/lib/borgops/ssh/borgbackup.ssh'))).toBe(false);
    // after an apply: checked against the applied declarations, wherever the command runs
    const after = await borgops(['keys', 'show', '--machine', 'nobody', '--root', root], { cwd: root });
    expect(after.exitCode).toBe(1);
    expect(after.stderr).toContain('machine "nobody" is not declared');
    // the declared machine, by default the applied one, gets its key
    const ok = await borgops(['keys', 'show', '--root', root, '--json'], { cwd: root });
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      machine: 'jon',
      commitAs: 'machines/jon/borgbackup.ssh.pub',
    });
  });
});

describe('help and shell completion', () => {
  it('subcommand --help lists the common options', async () => {
    for (const args of [['status'], ['backups', 'create'], ['plan']]) {
      const help = await borgops([...args, '--help']);
      expect(help.exitCode).toBe(0);
      expect(help.stdout).toContain('Global Options:');
      for (const option of ['--source <dir>', '--machine <name>', '--root <dir>', '--json']) {
        expect(help.stdout).toContain(option);
      }
    }
  });

  it('completion bash completes subcommands and options in a real bash', async () => {
    const script = await borgops(['completion', 'bash']);
    expect(script.exitCode).toBe(0);
    const dir = await tempDir();
    const file = join(dir, 'borgops.bash');
    await writeFile(file, script.stdout);
    const complete = (words: string[]) =>
      execa('bash', [
        '-c',
        `source ${file}; COMP_WORDS=(${words.join(' ')}); COMP_CWORD=${words.length - 1}; _borgops; echo "\${COMPREPLY[@]}"`,
      ]);
    expect((await complete(['borgops', 'ba'])).stdout).toBe('backups');
    expect((await complete(['borgops', 'backups', 'cr'])).stdout).toBe('create');
    expect((await complete(['borgops', '--source', 'x', 'backups', 'create', '--par'])).stdout).toBe(
      '--parallel',
    );
    expect((await complete(['borgops', 'status', '--ma'])).stdout).toBe('--machine');
  });

  it('completion zsh and fish print scripts; another shell is a usage error', async () => {
    const zsh = await borgops(['completion', 'zsh']);
    expect(zsh.stdout.split('\n')[0]).toBe('#compdef borgops');
    expect(zsh.stdout).toContain('complete -o default -F _borgops borgops');
    const fish = await borgops(['completion', 'fish']);
    expect(fish.stdout).toContain("complete -c borgops -n '__fish_seen_subcommand_from backups' -a 'create'");
    expect(fish.stdout).toContain(
      "complete -c borgops -n '__fish_seen_subcommand_from create' -l parallel -r",
    );
    const other = await borgops(['completion', 'tcsh', '--json']);
    expect(other.exitCode).toBe(1);
    expect(JSON.parse(other.stdout)).toMatchObject({ error: { code: 'E_USAGE' } });
    // bash parses the script (syntax check), as zsh's bashcompinit would source it
    const dir = await tempDir();
    await writeFile(join(dir, 'c.sh'), zsh.stdout.split('\n').slice(2).join('\n'));
    expect((await execa('bash', ['-n', join(dir, 'c.sh')])).exitCode).toBe(0);
  });
});

describe('backups create shows each result as it happens', () => {
  async function twoDestinations() {
    const base = await tempDir('borgops-newcomer-');
    const repos = join(base, 'repos');
    await mkdir(repos);
    const out = join(base, 'out.log');
    const seen = join(base, 'seen.log');
    const files = localConfig({ local: join(repos, 'local'), spare: join(repos, 'spare') });
    const data = join(base, 'data');
    await mkdir(data);
    await writeFile(join(data, 'file.txt'), 'hello\n');
    files['machines/jon/state.yaml'] = [
      'state:',
      '  app:',
      `    folders: [${data}]`,
      '    postBackupScript: |',
      // what a reader of the job's output had seen when the post-backup script ran
      `      cat ${out} > ${seen} 2>/dev/null || true`,
      '',
    ].join('\n');
    const repo = await gitRepo(files);
    const root = join(base, 'root');
    const apply = await borgops(['apply', ...jonAt(repo.dir, root)]);
    expect(apply.exitCode, apply.stdout + apply.stderr).toBe(0);
    return { root, out, seen };
  }

  it('in a log (no terminal): each destination result is written before the post-backup script runs', async () => {
    const { root, out, seen } = await twoDestinations();
    const run = await execa('sh', ['-c', `node ${cliPath} backups create jon --root ${root} > ${out}`], {
      reject: false,
    });
    expect(run.exitCode, run.stderr).toBe(0);
    const before = await readFile(seen, 'utf8');
    expect(before).toMatch(/^✓ local: created jon-local-/m);
    expect(before).toMatch(/^✓ spare: created jon-spare-/m);
    expect(before).not.toContain('Backup complete');
    const all = await readFile(out, 'utf8');
    expect(all).toMatch(/✓ post-backup-app \(.*\)\nBackup complete: 2 of 2 destinations backed up in /);
    // no progress drawing in a log
    expect(all).not.toContain('\u001b[');
  });
});
