import { chmod, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { repositoryId } from '../helpers/borg.js';
import { borgops, expectOk } from '../helpers/cli.js';
import { exists } from '../helpers/files.js';
import { localConfig } from '../helpers/fleet.js';
import { gitRepo } from '../helpers/git.js';
import { tempDir } from '../helpers/temp.js';

const TIMEOUT = 300_000;

async function world(passCommand: string) {
  const base = await tempDir('borgops-escrow-');
  await mkdir(join(base, 'repos'));
  const repository = join(base, 'repos/local');
  const root = join(base, 'root');
  const repo = await gitRepo(localConfig({ local: repository }, { encryption: { passCommand } }));
  const args = ['--source', repo.dir, '--machine', 'jon', '--root', root, '--scheduler', 'embedded'];
  const secrets = join(root, 'var/lib/borgops/secrets');
  return { base, repository, root, repo, args, secrets, exportPath: join(secrets, 'local.key') };
}

describe('key escrow is a converged resource; the passphrase comes before borg init (built CLI, real borg)', () => {
  it(
    'the first apply with a passCommand exports the key and exits 0; a re-initialized repository keeps the old export under its id',
    async () => {
      const w = await world('cat /dev/null');
      const pass = join(w.base, 'pass');
      await writeFile(pass, 'from-a-pass-command\n');
      await w.repo.commit(
        localConfig({ local: w.repository }, { encryption: { passCommand: `cat ${pass}` } }),
        'pass',
      );
      const plan = await borgops(['plan', ...w.args]);
      expect(plan.stdout).toMatch(
        /\+ key-export\/local +borg key export local to .*\/secrets\/local\.key \(0600\)\n/,
      );
      expect(plan.stdout).not.toContain('exists only on this machine');
      expectOk(await borgops(['apply', ...w.args]), 'first apply');
      const id = await repositoryId(w.repository);
      const first = await readFile(w.exportPath, 'utf8');
      expect(first.startsWith(`BORG_KEY ${id}\n`)).toBe(true);
      expect((await stat(w.exportPath)).mode & 0o777).toBe(0o600);
      expect((await borgops(['plan', ...w.args])).exitCode).toBe(0);

      // the disk was replaced: a new, empty repository gets a new key; the old export stays, named by its id
      await rm(w.repository, { recursive: true });
      expectOk(await borgops(['apply', ...w.args, '--refresh', '--allow-reinit']), 'reinit');
      const newId = await repositoryId(w.repository);
      expect(newId).not.toBe(id);
      expect(await readFile(`${w.exportPath}.${id}`, 'utf8')).toBe(first);
      expect((await readFile(w.exportPath, 'utf8')).startsWith(`BORG_KEY ${newId}\n`)).toBe(true);
      expect((await readdir(w.secrets)).sort()).toEqual(['local.key', `local.key.${id}`]);

      // an export that is there is never replaced by apply, even when its content was changed by hand
      await writeFile(w.exportPath, 'kept as it is\n');
      expectOk(await borgops(['apply', ...w.args, '--refresh']), 'apply again');
      expect(await readFile(w.exportPath, 'utf8')).toBe('kept as it is\n');
    },
    TIMEOUT,
  );

  it(
    'a failing passCommand at the first apply creates no repository; once it works, init succeeds',
    async () => {
      const w = await world('false');
      const failed = await borgops(['apply', ...w.args]);
      expect(failed.exitCode).toBe(1);
      expect(failed.stdout + failed.stderr).toContain(
        'local: encryption.passCommand failed (exit 1); nothing was created',
      );
      expect(await exists(w.repository)).toBe(false);
      expect(await exists(w.exportPath)).toBe(false);

      const pass = join(w.base, 'pass');
      await writeFile(pass, 'now-it-works\n');
      await w.repo.commit(
        localConfig({ local: w.repository }, { encryption: { passCommand: `cat ${pass}` } }),
        'fixed',
      );
      expectOk(await borgops(['apply', ...w.args]), 'apply after the fix');
      expect(await exists(w.exportPath)).toBe(true);
      const listed = await execa('borg', ['list', w.repository], {
        env: { BORG_PASSPHRASE: 'now-it-works', BORG_BASE_DIR: join(w.base, 'raw') },
        reject: false,
      });
      expect(listed.exitCode, listed.stderr).toBe(0);
    },
    TIMEOUT,
  );

  it(
    'kill -9 between borg init and the key export: the next apply exports the key',
    async () => {
      const w = await world('echo killed-before-export');
      // borgops's own borg, except that `borg key export` kills borgops (its parent) with SIGKILL first
      const bin = join(w.base, 'bin');
      await mkdir(bin);
      const real = (await execa('sh', ['-c', 'command -v borg'])).stdout.trim();
      await writeFile(
        join(bin, 'borg'),
        `#!/bin/sh\ncase " $* " in *" key export "*) kill -9 "$PPID"; exit 1;; esac\nexec ${real} "$@"\n`,
      );
      await chmod(join(bin, 'borg'), 0o755);
      const killed = await borgops(['apply', ...w.args], { env: { PATH: `${bin}:${process.env.PATH}` } });
      expect(killed.exitCode).not.toBe(0);
      expect(await exists(join(w.repository, 'config'))).toBe(true);
      expect(await exists(w.exportPath)).toBe(false);

      const plan = await borgops(['plan', ...w.args]);
      expect(plan.exitCode).toBe(2);
      expect(plan.stdout).toContain('+ key-export/local');
      expect(plan.stdout).not.toContain('repository/local');
      expectOk(await borgops(['apply', ...w.args]), 'apply after the kill');
      const id = await repositoryId(w.repository);
      expect((await readFile(w.exportPath, 'utf8')).startsWith(`BORG_KEY ${id}\n`)).toBe(true);
      expect((await borgops(['plan', ...w.args])).exitCode).toBe(0);
    },
    TIMEOUT,
  );

  it(
    'the passCommand runs once per destination per command, not once per borg process',
    async () => {
      const w = await world('cat /dev/null');
      const runs = join(w.base, 'runs');
      const script = join(w.base, 'pass.sh');
      await writeFile(script, `#!/bin/sh\necho run >> ${runs}\necho counted-pass\n`);
      await chmod(script, 0o755);
      await w.repo.commit(
        localConfig({ local: w.repository }, { encryption: { passCommand: script } }),
        'counted',
      );
      const count = async () =>
        (await readFile(runs, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
      const applied = ['--machine', 'jon', '--root', w.root];
      for (const [what, args] of [
        ['apply', ['apply', ...w.args]],
        ['backups create (create, rename, prune, compact)', [...applied, 'backups', 'create', 'jon']],
        ['plan --refresh', ['plan', '--refresh', ...w.args]],
      ] as const) {
        const before = await count();
        const result = await borgops(args);
        expect(result.exitCode, `${what}: ${result.stdout}${result.stderr}`).not.toBe(1);
        expect(await count(), what).toBe(before + 1);
      }
    },
    TIMEOUT,
  );
});
