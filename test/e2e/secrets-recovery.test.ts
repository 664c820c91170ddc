import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { adminKey, ageDecrypt, filesContaining, withRecipients } from '../helpers/age.js';
import { repositoryId } from '../helpers/borg.js';
import { borgops, type CliResult, expectOk } from '../helpers/cli.js';
import { expectFiles, writeJonData } from '../helpers/files.js';
import { localConfig } from '../helpers/fleet.js';
import { gitRepo } from '../helpers/git.js';
import { tempDir } from '../helpers/temp.js';

const secretFile = 'machines/jon/secrets/local.passphrase.age';
const TIMEOUT = 600_000;

const on = (root: string) => ['--machine', 'jon', '--root', root];

/** An admin identity, jon's first root and key, and a config repository whose secrets go to both. */
async function recoveryWorld(prefix: string) {
  const base = await tempDir(prefix);
  const admin = await adminKey(base);
  const repository = join(base, 'repos/local');
  await mkdir(join(base, 'repos'));
  const root1 = join(base, 'jon-1');
  const key1 = await borgops(['keys', 'show', ...on(root1)]);
  expectOk(key1, 'keys show');
  const files = withRecipients(localConfig({ local: repository }), [admin.recipient]);
  const repo = await gitRepo({ ...files, 'machines/jon/borgbackup.ssh.pub': key1.stdout });
  return { base, admin, repository, root1, key1, repo };
}

describe('disaster recovery: passphrases committed age-encrypted (built CLI, real borg, git and age)', () => {
  it(
    "jon's whole root is lost: a new root, an admin rekey, the old repository and every file come back; a workstation restores with --identity alone",
    async () => {
      const { base, admin, repository, root1, key1, repo } = await recoveryWorld('borgops-dr-');
      expectOk(await borgops(['secrets', 'generate', '--source', repo.dir]), 'generate');
      await repo.commit({}, 'secrets generate');
      const passphrase = await ageDecrypt(admin.file, join(repo.dir, secretFile));
      const outputs: CliResult[] = [];
      const run = async (args: string[]) => {
        const result = await borgops(args);
        outputs.push(result);
        return result;
      };

      const plan1 = await run(['plan', '--source', repo.dir, ...on(root1), '--scheduler', 'embedded']);
      expect(plan1.exitCode).toBe(2);
      expect(plan1.stdout).not.toContain('exists only on this machine');
      expect(plan1.stdout).toContain('key-export/local');
      expectOk(
        await run(['apply', '--source', repo.dir, ...on(root1), '--scheduler', 'embedded']),
        'apply on jon-1',
      );
      const id = await repositoryId(repository);
      const data = await writeJonData(root1, 70_000);
      expectOk(await run(['backups', 'create', 'jon', ...on(root1)]), 'backups create');
      const listed1 = await run(['backups', 'list', 'jon', ...on(root1)]);
      expectOk(listed1, 'list on jon-1');
      const archives = listed1.stdout.trim().split('\n');
      expect(archives).toHaveLength(1);
      // the standard tool's plaintext opens the repository
      const raw = await execa('borg', ['list', '--short', repository], {
        env: { BORG_PASSPHRASE: passphrase, BORG_BASE_DIR: join(base, 'raw-borg') },
        reject: false,
      });
      expect(raw.exitCode, raw.stderr).toBe(0);
      expect(`local::${repository}::${raw.stdout.trim()}`).toBe(archives[0]);
      // committed secrets: no plaintext passphrase anywhere in the state directory
      expect(await filesContaining(join(root1, 'var/lib/borgops'), passphrase)).toEqual([]);
      expect((await readdir(join(root1, 'var/lib/borgops/secrets'))).sort()).toEqual(['local.key']);

      // the machine is gone
      await rm(root1, { recursive: true, force: true });
      const root2 = join(base, 'jon-2');
      const key2 = await run(['keys', 'show', '--machine', 'jon', '--root', root2]);
      expect(key2.stdout).not.toBe(key1.stdout);
      await repo.commit({ 'machines/jon/borgbackup.ssh.pub': key2.stdout }, 'new jon');
      // before the rekey the new machine cannot decrypt: plan says so and nothing is created
      const blocked = await run(['plan', '--source', repo.dir, ...on(root2), '--scheduler', 'embedded']);
      expect(blocked.exitCode).toBe(1);
      expect(blocked.stdout + blocked.stderr).toContain(
        'cannot decrypt machines/jon/secrets/local.passphrase.age',
      );
      expectOk(await run(['secrets', 'rekey', '--source', repo.dir, '--identity', admin.file]), 'rekey');
      await repo.commit({}, 'rekey for the new jon');

      const plan2 = await run(['plan', '--source', repo.dir, ...on(root2), '--scheduler', 'embedded']);
      expect(plan2.stdout).not.toContain('repository/local');
      const applied = await run(['apply', '--source', repo.dir, ...on(root2), '--scheduler', 'embedded']);
      expectOk(applied, 'apply on jon-2');
      expect(applied.stdout + applied.stderr).not.toContain('borg init');
      expect(await repositoryId(repository)).toBe(id);
      expect(
        (await run(['plan', '--source', repo.dir, ...on(root2), '--scheduler', 'embedded'])).exitCode,
      ).toBe(0);

      const listed2 = await run(['backups', 'list', 'jon', ...on(root2)]);
      expectOk(listed2, 'list on jon-2');
      expect(listed2.stdout.trim().split('\n')).toEqual(archives);
      const restored = await run([
        'backups',
        'restore',
        'jon',
        'borgbackup',
        archives[0]!,
        '--yes',
        ...on(root2),
      ]);
      expectOk(restored, 'restore on jon-2');
      await expectFiles(root2, data);
      expect(await filesContaining(join(root2, 'var/lib/borgops'), passphrase)).toEqual([]);

      // a workstation: no applied state, no machine key, only git and an admin identity
      const workstation = join(base, 'workstation');
      const wsList = await run(['backups', 'list', 'jon', '--source', repo.dir, '--identity', admin.file]);
      expectOk(wsList, 'list on the workstation');
      expect(wsList.stdout.trim().split('\n')).toEqual(archives);
      const wsRestore = await run([
        'backups',
        'restore',
        'jon',
        'borgbackup',
        archives[0]!,
        '--source',
        repo.dir,
        '--identity',
        admin.file,
        '--target',
        workstation,
      ]);
      expectOk(wsRestore, 'restore on the workstation');
      await expectFiles(workstation, data);

      for (const output of outputs) expect(output.stdout + output.stderr).not.toContain(passphrase);
    },
    TIMEOUT,
  );

  it(
    '`secrets adopt` output committed lets a new root open the repository made with a local passphrase',
    async () => {
      const { base, admin, repository, root1, repo } = await recoveryWorld('borgops-adopt-');

      const plan = await borgops(['plan', '--source', repo.dir, ...on(root1), '--scheduler', 'embedded']);
      expect(plan.stdout).toContain('local: its passphrase exists only on this machine');
      expect(plan.stdout).toContain('`borgops secrets adopt`');
      expectOk(
        await borgops(['apply', '--source', repo.dir, ...on(root1), '--scheduler', 'embedded']),
        'apply',
      );
      const id = await repositoryId(repository);
      const data = await writeJonData(root1, 70_000);
      expectOk(await borgops(['backups', 'create', 'jon', ...on(root1)]), 'create');
      const local = await readFile(join(root1, 'var/lib/borgops/secrets/local.passphrase'), 'utf8');

      const adopted = await borgops(['secrets', 'adopt', '--destination', 'local', ...on(root1)]);
      expectOk(adopted, 'adopt');
      expect(adopted.stdout).toMatch(
        /^-----BEGIN AGE ENCRYPTED FILE-----\n[\s\S]+-----END AGE ENCRYPTED FILE-----\n$/,
      );
      expect(adopted.stderr).toContain(`commit this as ${secretFile}`);
      expect(adopted.stdout + adopted.stderr).not.toContain(local.trim());
      await repo.commit({ [secretFile]: adopted.stdout }, 'adopt jon');
      expect(`${await ageDecrypt(admin.file, join(repo.dir, secretFile))}\n`).toBe(local);
      const adoptedPlan = await borgops([
        'plan',
        '--source',
        repo.dir,
        ...on(root1),
        '--scheduler',
        'embedded',
      ]);
      expect(adoptedPlan.stdout).not.toContain('exists only on this machine');

      await rm(root1, { recursive: true, force: true });
      const root2 = join(base, 'jon-2');
      const key2 = await borgops(['keys', 'show', '--machine', 'jon', '--root', root2]);
      await repo.commit({ 'machines/jon/borgbackup.ssh.pub': key2.stdout }, 'new jon');
      expectOk(await borgops(['secrets', 'rekey', '--source', repo.dir, '--identity', admin.file]), 'rekey');
      await repo.commit({}, 'rekey');
      expectOk(
        await borgops(['apply', '--source', repo.dir, ...on(root2), '--scheduler', 'embedded']),
        'apply on jon-2',
      );
      expect(await repositoryId(repository)).toBe(id);
      const listed = await borgops(['backups', 'list', 'jon', ...on(root2)]);
      expectOk(listed, 'list');
      const name = listed.stdout.trim();
      expectOk(
        await borgops(['backups', 'restore', 'jon', 'borgbackup', name, '--yes', ...on(root2)]),
        'restore',
      );
      await expectFiles(root2, data);
    },
    TIMEOUT,
  );
});
