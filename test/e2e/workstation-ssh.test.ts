import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it, onTestFinished } from 'vitest';
import { adminKey, withRecipients } from '../helpers/age.js';
import { borgops, type CliResult, expectOk } from '../helpers/cli.js';
import { localConfig } from '../helpers/fleet.js';
import { gitRepo } from '../helpers/git.js';
import { keygen, skipWithoutSshd, sshDaemon, sshdSkipReason } from '../helpers/sshd.js';
import { tempDir } from '../helpers/temp.js';

const TIMEOUT = 600_000;

/*
 * jon backs up over SSH (real sshd on 127.0.0.1) in keyfile mode, then is lost. An admin restores
 * from a workstation with the config repository, the admin age identity and the admin's own SSH
 * key (in an ssh-agent, authorized on the server next to jon's key): no machine key, no state.
 */
describe.skipIf(skipWithoutSshd)(
  `workstation restore from a remote repository${skipWithoutSshd ? ` (${sshdSkipReason})` : ''}`,
  () => {
    it(
      "lists and restores jon's remote keyfile repository byte for byte with --identity and the admin's ssh-agent",
      async () => {
        const base = await tempDir('borgops-ws-ssh-');
        const tmp = join(base, 'tmp');
        await mkdir(tmp);
        const daemon = await sshDaemon();
        onTestFinished(() => daemon.stop());
        const served = join(base, 'served');
        await mkdir(served);
        const env = { TMPDIR: tmp, BORGOPS_SSH_TIMEOUT: '10', SSH_AUTH_SOCK: join(base, 'no-agent') };
        const run = async (args: string[], extra: Record<string, string> = {}): Promise<CliResult> => {
          const result = await borgops(args, { env: { ...env, ...extra } });
          expect(
            (await readdir(tmp)).filter((n) => n.startsWith('borgops-key-')),
            args.join(' '),
          ).toEqual([]);
          return result;
        };

        const admin = await adminKey(base);
        const adminSsh = join(base, 'admin-ssh');
        const adminSshPublic = await keygen(adminSsh);
        const root1 = join(base, 'jon-1');
        const on = ['--machine', 'jon', '--root', root1];
        const jonKey = await run(['keys', 'show', ...on]);
        expectOk(jonKey, 'keys show');
        // the server's forced command confines both keys to jon's repository
        const forced = `command="borg serve --restrict-to-path ${join(served, 'jon')}",restrict`;
        const authorizedKeys = join(base, 'authorized_keys');
        await writeFile(authorizedKeys, `${forced} ${jonKey.stdout.trim()}\n${forced} ${adminSshPublic}\n`);
        await daemon.start([authorizedKeys]);

        const url = `ssh://${daemon.user}@127.0.0.1:${daemon.port}${join(served, 'jon')}`;
        const config = withRecipients(localConfig({ remote: url }, { encryption: { mode: 'keyfile' } }), [
          admin.recipient,
        ]);
        const repo = await gitRepo({ ...config, 'machines/jon/borgbackup.ssh.pub': jonKey.stdout });
        expectOk(await run(['secrets', 'generate', '--source', repo.dir]), 'generate');
        await repo.commit({}, 'secrets');
        expectOk(await run(['apply', '--source', repo.dir, ...on, '--scheduler', 'embedded']), 'apply');
        const data: Record<string, Buffer> = {
          'var/backup/linkding/db.sqlite3': randomBytes(50_000),
          'var/lib/zerotier-one/identity.secret': randomBytes(256),
        };
        for (const [path, content] of Object.entries(data)) {
          await mkdir(join(root1, path, '..'), { recursive: true });
          await writeFile(join(root1, path), content);
        }
        expectOk(await run(['backups', 'create', 'jon', ...on]), 'create');
        const listed = await run(['backups', 'list', 'jon', ...on]);
        expectOk(listed, 'list on jon');
        const archives = listed.stdout.trim().split('\n');
        expect(archives).toHaveLength(1);
        const adopted = await run(['secrets', 'adopt', '--json', ...on]);
        const [key] = (JSON.parse(adopted.stdout) as { secrets: { commitAs: string; armored: string }[] })
          .secrets;
        expect(key?.commitAs).toBe('machines/jon/secrets/remote.key.age');
        await repo.commit({ [key!.commitAs]: key!.armored }, 'escrow the key');

        // jon is gone: its root with its SSH key, borg keys and known_hosts
        await rm(root1, { recursive: true, force: true });
        const wsState = join(base, 'ws-state');
        const ws = ['--source', repo.dir, '--identity', admin.file, '--state-dir', wsState];

        // without the admin's SSH key the server turns the workstation away (the test is not vacuous)
        const refused = await run(['backups', 'list', 'jon', ...ws]);
        expect(refused.exitCode).not.toBe(0);
        expect(refused.stdout + refused.stderr).toMatch(/remote: .*(unreachable|ssh|Permission denied)/i);

        const sock = join(base, 'agent.sock');
        const agent = execa('ssh-agent', ['-D', '-a', sock], { reject: false });
        onTestFinished(() => {
          agent.kill();
        });
        for (let attempt = 0; attempt < 200; attempt += 1) {
          if ((await readdir(base)).includes('agent.sock')) break;
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        await execa('ssh-add', [adminSsh], { env: { SSH_AUTH_SOCK: sock } });
        const withAgent = { SSH_AUTH_SOCK: sock };

        const wsList = await run(['backups', 'list', 'jon', ...ws], withAgent);
        expectOk(wsList, 'list on the workstation');
        expect(wsList.stdout.trim().split('\n')).toEqual(archives);
        const target = join(base, 'restored');
        expectOk(
          await run(
            ['backups', 'restore', 'jon', 'borgbackup', archives[0]!, ...ws, '--target', target],
            withAgent,
          ),
          'restore on the workstation',
        );
        for (const [path, content] of Object.entries(data)) {
          expect((await readFile(join(target, path))).equals(content), path).toBe(true);
        }
        // the key came from git: the workstation's borg keys directory never had it
        expect(await readdir(join(wsState, 'borg/.config/borg/keys')).catch(() => [])).toEqual([]);
      },
      TIMEOUT,
    );
  },
);
