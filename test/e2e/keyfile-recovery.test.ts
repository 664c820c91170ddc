import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it, onTestFinished } from 'vitest';
import { adminKey, ageDecrypt, withRecipients } from '../helpers/age.js';
import { repositoryId } from '../helpers/borg.js';
import { borgops, type CliResult, cliPath, expectOk } from '../helpers/cli.js';
import { expectFiles, writeJonData } from '../helpers/files.js';
import { localConfig } from '../helpers/fleet.js';
import { gitRepo } from '../helpers/git.js';
import { tempDir } from '../helpers/temp.js';

const keyFile = 'machines/jon/secrets/local.key.age';
const TIMEOUT = 600_000;

/** Files in borg's keys directory under a borgops state directory (BORG_BASE_DIR=<state>/borg). */
async function borgKeys(stateDir: string): Promise<string[]> {
  return readdir(join(stateDir, 'borg/.config/borg/keys')).catch(() => []);
}

const on = (root: string) => ['--machine', 'jon', '--root', root];

describe('disaster recovery in keyfile mode: the committed key.age restores (built CLI, real borg, git and age)', () => {
  it(
    "jon's root is lost: a new root and a workstation restore byte for byte from git and the admin identity; broken keys are named errors; the decrypted key never stays on disk",
    async () => {
      const base = await tempDir('borgops-kf-');
      // every borgops run puts its temporary files here, so leftovers are visible
      const tmp = join(base, 'tmp');
      await mkdir(tmp);
      const env = { TMPDIR: tmp };
      const leftovers = async () => (await readdir(tmp)).filter((name) => name.startsWith('borgops-key-'));
      const run = async (args: string[]): Promise<CliResult> => {
        const result = await borgops(args, { env });
        expect(await leftovers(), args.join(' ')).toEqual([]);
        return result;
      };

      const admin = await adminKey(base);
      await mkdir(join(base, 'repos'));
      const repository = join(base, 'repos/local');
      const root1 = join(base, 'jon-1');
      const key1 = await run(['keys', 'show', ...on(root1)]);
      expectOk(key1, 'keys show');
      const config = withRecipients(localConfig({ local: repository }, { encryption: { mode: 'keyfile' } }), [
        admin.recipient,
      ]);
      const repo = await gitRepo({ ...config, 'machines/jon/borgbackup.ssh.pub': key1.stdout });
      const converge = ['--source', repo.dir, '--scheduler', 'embedded'];
      expectOk(await run(['secrets', 'generate', '--source', repo.dir]), 'generate');
      await repo.commit({}, 'secrets generate');

      expectOk(await run(['apply', ...converge, ...on(root1)]), 'apply on jon-1');
      const id = await repositoryId(repository);
      expect(await borgKeys(join(root1, 'var/lib/borgops'))).toHaveLength(1);
      const data = await writeJonData(root1, 90_000);
      expectOk(await run(['backups', 'create', 'jon', ...on(root1)]), 'backups create');
      const listed1 = await run(['backups', 'list', 'jon', ...on(root1)]);
      expectOk(listed1, 'list on jon-1');
      const archives = listed1.stdout.trim().split('\n');
      expect(archives).toHaveLength(1);

      // the key exists only on jon: plan says so until the admin commits adopt's output
      const warned = await run(['plan', ...converge, ...on(root1)]);
      expect(warned.stdout).toContain('keyfile mode keeps the repository key only on this machine');
      const adopted = await run(['secrets', 'adopt', '--json', ...on(root1)]);
      expectOk(adopted, 'adopt');
      const secrets = (JSON.parse(adopted.stdout) as { secrets: { commitAs: string; armored: string }[] })
        .secrets;
      expect(secrets.map((s) => s.commitAs)).toEqual([keyFile]);
      const goodKey = secrets[0]!.armored;
      await repo.commit({ [keyFile]: goodKey }, 'escrow jon key');
      // the standard tool opens it: a `borg key export` of this very repository
      expect((await ageDecrypt(admin.file, join(repo.dir, keyFile))).startsWith(`BORG_KEY ${id}\n`)).toBe(
        true,
      );
      expect((await run(['plan', ...converge, ...on(root1)])).stdout).not.toContain('keyfile mode keeps');

      // the machine is gone: its root, state directory, borg keys and SSH key
      await rm(root1, { recursive: true, force: true });
      const root2 = join(base, 'jon-2');
      const state2 = join(root2, 'var/lib/borgops');
      const key2 = await run(['keys', 'show', ...on(root2)]);
      expect(key2.stdout).not.toBe(key1.stdout);
      await repo.commit({ 'machines/jon/borgbackup.ssh.pub': key2.stdout }, 'new jon');
      const rekeyed = await run(['secrets', 'rekey', '--source', repo.dir, '--identity', admin.file]);
      expectOk(rekeyed, 'rekey');
      expect(rekeyed.stdout + rekeyed.stderr).toContain(keyFile);
      await repo.commit({}, 'rekey for the new jon');

      const applied = await run(['apply', ...converge, ...on(root2)]);
      expectOk(applied, 'apply on jon-2');
      expect(applied.stdout).not.toContain('borg init');
      expect(await repositoryId(repository)).toBe(id);
      expect((await run(['plan', ...converge, ...on(root2)])).exitCode).toBe(0);
      const listed2 = await run(['backups', 'list', 'jon', ...on(root2)]);
      expectOk(listed2, 'list on jon-2');
      expect(listed2.stdout.trim().split('\n')).toEqual(archives);
      expectOk(
        await run(['backups', 'restore', 'jon', 'borgbackup', archives[0]!, '--yes', ...on(root2)]),
        'restore on jon-2',
      );
      await expectFiles(root2, data);
      // borg never got the key into its keys directory: every process read the committed one
      expect(await borgKeys(state2)).toEqual([]);

      // a workstation: no applied state, no machine key, only git and the admin identity
      const wsState = join(base, 'workstation-state');
      const ws = ['--source', repo.dir, '--identity', admin.file, '--state-dir', wsState];
      const wsList = await run(['backups', 'list', 'jon', ...ws]);
      expectOk(wsList, 'list on the workstation');
      expect(wsList.stdout.trim().split('\n')).toEqual(archives);
      const target = join(base, 'workstation');
      expectOk(
        await run(['backups', 'restore', 'jon', 'borgbackup', archives[0]!, ...ws, '--target', target]),
        'restore on the workstation',
      );
      await expectFiles(target, data);
      expect(await borgKeys(wsState)).toEqual([]);

      // hostile: a tampered and a truncated key.age, another repository's key
      const lines = goodKey.split('\n');
      const middle = Math.floor(lines.length / 2);
      const line = lines[middle]!;
      const tampered = [
        ...lines.slice(0, middle),
        `${line[0] === 'A' ? 'B' : 'A'}${line.slice(1)}`,
        ...lines.slice(middle + 1),
      ];
      const truncated = [...lines.slice(0, 3), lines.at(-2)!, ''];
      for (const [what, armored] of [
        ['tampered', tampered.join('\n')],
        ['truncated', truncated.join('\n')],
      ] as const) {
        await repo.commit({ [keyFile]: armored }, what);
        const failed = await run(['backups', 'list', 'jon', ...ws]);
        expect(failed.exitCode, what).not.toBe(0);
        expect(failed.stdout + failed.stderr, what).toContain(`cannot decrypt ${keyFile} with ${admin.file}`);
      }
      const otherBorg = { BORG_BASE_DIR: join(base, 'other-borg'), BORG_PASSPHRASE: 'other' };
      const other = join(base, 'repos/other');
      await execa('borg', ['init', '--encryption', 'keyfile', other], { env: otherBorg });
      await execa('borg', ['key', 'export', other, join(base, 'other.key')], { env: otherBorg });
      const otherArmored = (
        await execa('age', ['-a', '-r', admin.recipient, join(base, 'other.key')], { encoding: 'utf8' })
      ).stdout;
      await repo.commit({ [keyFile]: `${otherArmored}\n` }, 'wrong key');
      const mismatch = await run(['backups', 'list', 'jon', ...ws]);
      expect(mismatch.exitCode).not.toBe(0);
      expect(mismatch.stdout + mismatch.stderr).toMatch(
        new RegExp(`Mismatch between repository .* and key file ${keyFile} \\(decrypted\\)`),
      );
      expect(mismatch.stdout + mismatch.stderr).not.toContain(tmp);
      expect(await borgKeys(wsState)).toEqual([]);

      // SIGTERM while borg waits for the repository lock holding the decrypted key: it is removed
      await repo.commit({ [keyFile]: goodKey }, 'the right key again');
      const holder = execa('borg', ['with-lock', repository, 'cat'], {
        env: { BORG_BASE_DIR: join(base, 'holder-borg') },
        stdin: 'pipe',
        reject: false,
      });
      onTestFinished(() => {
        holder.stdin?.end();
      });
      for (const [what, args] of [
        ['backups list (no signal handler of its own)', ['backups', 'list', 'jon', ...ws]],
        [
          'backups restore (stops borg on SIGTERM)',
          ['backups', 'restore', 'jon', 'borgbackup', archives[0]!, ...ws, '--target', join(base, 'ws2')],
        ],
      ] as const) {
        const child = execa('node', [cliPath, ...args], {
          env: { ...env, BORGOPS_LOG_LEVEL: 'warn' },
          reject: false,
          // restore's first `borg list` waits out its lock wait (10 s) before borgops can exit
          forceKillAfterDelay: false,
        });
        // until the key is written: the directory appears (mkdtemp) a moment before its key
        let seen: string[] = [];
        let inside: string[] = [];
        for (let attempt = 0; attempt < 600 && inside.length === 0; attempt += 1) {
          seen = await leftovers();
          inside = seen.length === 1 ? await readdir(join(tmp, seen[0]!)).catch(() => []) : [];
          if (inside.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
        }
        expect(seen, what).toHaveLength(1);
        expect(inside.sort(), what).toEqual(['key']);
        child.kill('SIGTERM');
        const ended = await child;
        expect(
          ended.exitCode === 143 || ended.signal === 'SIGTERM',
          `${what}: ${ended.exitCode} ${ended.signal} ${ended.stdout} ${ended.stderr}`,
        ).toBe(true);
        expect(await leftovers(), what).toEqual([]);
      }
      // SIGKILL: nothing in the process can remove its key; the next borgops that needs one does
      const killed = execa('node', [cliPath, 'backups', 'list', 'jon', ...ws], {
        env: { ...env, BORGOPS_LOG_LEVEL: 'warn' },
        reject: false,
      });
      let held: string[] = [];
      for (let attempt = 0; attempt < 600 && held.length === 0; attempt += 1) {
        held = await leftovers();
        if (held.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(held).toHaveLength(1);
      killed.kill('SIGKILL');
      await killed;
      expect(await leftovers()).toEqual(held);
      holder.stdin?.end();
      await holder;
      // run() checks that no key directory is left, the killed one's included
      expectOk(await run(['backups', 'list', 'jon', ...ws]), 'list after a SIGKILLed borgops');
    },
    TIMEOUT,
  );
});
