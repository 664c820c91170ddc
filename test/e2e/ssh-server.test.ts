import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRuns } from '../../src/host/runs.js';
import { treeOf } from '../helpers/backups.js';
import { borgops } from '../helpers/cli.js';
import { gitRepoAt, type TestRepo } from '../helpers/git.js';
import { keygen, type SshDaemon, skipWithoutSshd, sshDaemon, sshdSkipReason } from '../helpers/sshd.js';

/*
 * Clan's two roles with a real sshd on 127.0.0.1 and the built CLI. Machine `nas` serves two
 * instances: `main` (client jon, who also backs up to a local `usb` repository) and `archive`
 * (client sara, append-only, host key pinned). Each machine is a --root of its own on this host;
 * the server logs clients in as the user running the tests (server setting `user`), so nothing
 * touches /etc or creates users here. The cases share one world and run in order.
 */

// a silent link fails within ~5 s instead of a minute (the default stays 60 s)
const env = { BORGOPS_SSH_TIMEOUT: '5' };
let base: string;
let config: string;
let daemon: SshDaemon;
let repo: TestRepo;
const roots: Record<string, string> = {};
let usb: string;
let authorizedKeysFile: string;
const foreignLine =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl admin@laptop';

interface InventoryOptions {
  saraIsClient?: boolean;
  archiveHostKey?: string;
  jonExtra?: Record<string, unknown>;
}

function inventory(options: InventoryOptions = {}): string {
  const server = { address: '127.0.0.1', port: daemon.port, user: daemon.user };
  const value = {
    machines: { nas: {}, jon: {}, sara: {} },
    instances: {
      main: {
        module: { name: 'borgbackup' },
        roles: {
          server: { machines: { nas: { settings: { ...server, directory: '/srv/borg' } } } },
          client: {
            machines: {
              jon: { settings: { destinations: { usb: { repo: usb }, ...options.jonExtra } } },
            },
          },
        },
      },
      archive: {
        module: { name: 'borgbackup' },
        roles: {
          server: {
            machines: {
              nas: {
                settings: {
                  ...server,
                  directory: '/srv/borg-archive',
                  appendOnly: true,
                  hostKey: options.archiveHostKey ?? daemon.hostPublicKey,
                },
              },
            },
          },
          client: {
            settings: { prune: { keep: { last: 1 } } },
            machines: options.saraIsClient === false ? {} : { sara: {} },
          },
        },
      },
    },
  };
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** The built CLI as machine `machine` on its own root; backups commands take no --source. */
function cli(machine: string, args: string[]) {
  const source = ['plan', 'apply', 'validate'].includes(args[0] ?? '') ? ['--source', config] : [];
  return borgops([...args, ...source, '--machine', machine, '--root', roots[machine]!], { env });
}

function json<T>(result: { stdout: string }): T {
  return JSON.parse(result.stdout) as T;
}

interface PlanJson {
  actions: { id: string; op: string; file?: string; add?: string[]; remove?: string[]; summary: string }[];
  notes: string[];
  warnings: string[];
  errors: { message: string }[];
}

async function listNames(machine: string): Promise<string[]> {
  const listed = await cli(machine, ['backups', 'list', machine]);
  expect(listed.stderr).toBe('');
  return listed.stdout.split('\n').filter(Boolean);
}

const mode = async (path: string) => ((await stat(path)).mode & 0o777).toString(8);

beforeAll(async () => {
  if (skipWithoutSshd) return;
  base = await mkdtemp(join(tmpdir(), 'borgops-ssh-'));
  for (const machine of ['nas', 'jon', 'sara']) roots[machine] = join(base, machine);
  config = join(base, 'config');
  usb = join(base, 'usb');
  daemon = await sshDaemon();
  await mkdir(join(roots.jon!, 'srv/app'), { recursive: true });
  await writeFile(join(roots.jon!, 'srv/app/notes.txt'), 'jon v1\n');
  await mkdir(join(roots.sara!, 'srv/db'), { recursive: true });
  await writeFile(join(roots.sara!, 'srv/db/rows'), 'sara v1\n');
  repo = await gitRepoAt(config);
  await repo.commit(
    {
      'inventory.json': inventory(),
      'machines/jon/state.yaml': 'state:\n  app:\n    folders: [/srv/app]\n',
      'machines/sara/state.yaml': 'state:\n  db:\n    folders: [/srv/db]\n',
    },
    'nas serves jon and sara',
  );
});

afterAll(async () => {
  await daemon?.stop();
  if (base !== undefined) await rm(base, { recursive: true, force: true });
});

describe.skipIf(skipWithoutSshd)(
  `server role and SSH destinations with a real sshd${skipWithoutSshd ? ` (${sshdSkipReason})` : ''}`,
  () => {
    it('converges the server without client keys: a warning naming the file, directories, no key lines', async () => {
      const applied = await cli('nas', ['apply', '--json']);
      expect(applied.exitCode).toBe(0);
      const { plan } = json<{ plan: PlanJson }>(applied);
      for (const client of ['jon', 'sara']) {
        expect(plan.warnings).toContain(
          `client "${client}" has no public key yet: commit machines/${client}/borgbackup.ssh.pub (\`borgops keys show\` on ${client} prints it); its repository is created, its key is not authorized`,
        );
      }
      expect(plan.actions.map((a) => a.id)).toEqual(['served-repository/jon', 'served-repository/sara']);
      expect(await mode(join(roots.nas!, 'srv/borg/jon'))).toBe('700');
      expect(await mode(join(roots.nas!, 'srv/borg-archive/sara'))).toBe('700');
      // not root on / (a test root): no user is created and the plan says so
      expect(plan.notes.some((note) => note.startsWith(`user ${daemon.user} is not managed here`))).toBe(
        true,
      );
    });

    it('prints each client key once generated, and authorizes the committed keys with forced commands', async () => {
      const keys: Record<string, string> = {};
      for (const client of ['jon', 'sara']) {
        const shown = await cli(client, ['keys', 'show', '--json']);
        expect(shown.exitCode).toBe(0);
        const key = json<{ publicKey: string; commitAs: string; generated: boolean }>(shown);
        expect(key).toMatchObject({ commitAs: `machines/${client}/borgbackup.ssh.pub`, generated: true });
        expect(key.publicKey).toMatch(new RegExp(`^ssh-ed25519 \\S+ borgops@${client}$`));
        const privateKey = join(roots[client]!, 'var/lib/borgops/ssh/borgbackup.ssh');
        expect(await mode(privateKey)).toBe('600');
        // once: showing it again prints the same key and generates nothing
        const again = await cli(client, ['keys', 'show']);
        expect(again.stdout).toBe(`${key.publicKey}\n`);
        expect(again.stderr).toBe(
          `borgops: commit this line as machines/${client}/borgbackup.ssh.pub in the config repository\n`,
        );
        keys[client] = key.publicKey;
      }
      await repo.commit(
        {
          'machines/jon/borgbackup.ssh.pub': `${keys.jon}\n`,
          'machines/sara/borgbackup.ssh.pub': `${keys.sara}\n`,
        },
        'client keys',
      );

      const applied = await cli('nas', ['apply', '--json']);
      expect(applied.exitCode).toBe(0);
      const { plan } = json<{ plan: PlanJson }>(applied);
      expect(plan.warnings).toEqual([]);
      const set = plan.actions.filter((a) => a.op === 'authorized-key.set');
      // one authorized_keys per user, in its home: the directory of its first server (instance
      // "archive" before "main"), under --root
      authorizedKeysFile = set[0]!.file!;
      expect(authorizedKeysFile).toBe(join(roots.nas!, 'srv/borg-archive/.ssh/authorized_keys'));
      expect(set.map((a) => a.file)).toEqual([authorizedKeysFile, authorizedKeysFile]);
      expect((await readFile(authorizedKeysFile, 'utf8')).split('\n').filter(Boolean)).toEqual([
        `command="cd ${join(roots.nas!, 'srv/borg/jon')} && borg serve --restrict-to-repository .",restrict ${keys.jon}`,
        `command="cd ${join(roots.nas!, 'srv/borg-archive/sara')} && borg serve --restrict-to-repository . --append-only",restrict ${keys.sara}`,
      ]);
      expect(await mode(authorizedKeysFile)).toBe('600');
      await daemon.start([authorizedKeysFile]);
    });

    it('a client applies, backs up, lists and restores over SSH; the host key is trusted on first use', async () => {
      const applied = await cli('jon', ['apply', '--json']);
      expect(applied.exitCode).toBe(0);
      const { plan } = json<{ plan: PlanJson }>(applied);
      const knownHosts = join(roots.jon!, 'var/lib/borgops/ssh/known_hosts');
      expect(plan.notes).toContain(
        `nas: host key of [127.0.0.1]:${daemon.port} trusted on first use (StrictHostKeyChecking=accept-new, as clan) and remembered in ${knownHosts}; pin it with the hostKey setting of server nas`,
      );
      // the served directory is empty: from the client it reads as "not a repository", which init may fill
      expect(plan.actions.map((a) => a.id)).toContain('repository/nas');
      expect(await readdir(join(roots.nas!, 'srv/borg/jon'))).toContain('config');
      // ssh learned the server's key (hashed or not, as the host's ssh_config says)
      const learned = await execa('ssh-keygen', ['-F', `[127.0.0.1]:${daemon.port}`, '-f', knownHosts]);
      expect(learned.stdout).toContain(daemon.hostPublicKey);

      const created = await cli('jon', ['backups', 'create', 'jon']);
      expect(created.stdout).toMatch(/✓ nas: created jon-nas-\S+: 1 file, /);
      expect(created.stdout).toMatch(/✓ usb: created jon-usb-\S+: 1 file, /);
      expect(created.exitCode).toBe(0);

      const names = await listNames('jon');
      const repo = `ssh://${daemon.user}@127.0.0.1:${daemon.port}/./`;
      expect(names).toHaveLength(2);
      expect(names[0]).toMatch(
        new RegExp(
          `^nas::${repo.replaceAll('.', '\\.')}::jon-nas-\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d$`,
        ),
      );
      expect(names[1]).toMatch(/^usb::/);

      const live = join(roots.jon!, 'srv/app');
      await writeFile(join(live, 'notes.txt'), 'jon v2, after the backup\n');
      const restored = await cli('jon', [
        'backups',
        'restore',
        '--service',
        'app',
        'jon',
        'borgbackup',
        names[0]!,
      ]);
      expect(restored.stderr).toBe('');
      expect(restored.exitCode).toBe(0);
      expect(await treeOf(live)).toEqual(['notes.txt: jon v1\n']);
    });

    it("client jon's key cannot open client sara's repository: the forced command restricts it", async () => {
      const sara = join(roots.nas!, 'srv/borg-archive/sara');
      const peek = await repo.commit(
        {
          'inventory.json': inventory({
            jonExtra: { peek: { repo: `ssh://${daemon.user}@127.0.0.1:${daemon.port}${sara}` } },
          }),
        },
        'jon tries to read sara',
      );
      await repo.git.reset(['-q', '--hard', 'HEAD~1']);
      const planned = await cli('jon', ['plan', '--json', '--ref', peek]);
      expect(planned.exitCode).toBe(1);
      const errors = json<PlanJson>(planned).errors.map((e) => e.message);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^peek: permission denied: .*Repository path not allowed/);
    });

    it('an append-only client creates, and its prune removes nothing the server cannot roll back', async () => {
      const applied = await cli('sara', ['apply', '--json']);
      expect(applied.exitCode).toBe(0);
      expect(json<{ plan: PlanJson }>(applied).plan.notes).toContain(
        `nas: host key of [127.0.0.1]:${daemon.port} pinned (1 key): ssh refuses any other (StrictHostKeyChecking=yes)`,
      );
      const pinned = await readFile(join(roots.sara!, 'var/lib/borgops/ssh/known_hosts.d/nas'), 'utf8');
      expect(pinned.split('\n').filter((line) => !line.startsWith('#'))).toEqual([
        `[127.0.0.1]:${daemon.port} ${daemon.hostPublicKey}`,
        '',
      ]);

      const repository = join(roots.nas!, 'srv/borg-archive/sara');
      const first = await cli('sara', ['backups', 'create', 'sara']);
      expect(first.exitCode).toBe(0);
      const kept = /✓ nas: created (sara-nas-\S+):/.exec(first.stdout)?.[1];
      // the transaction borg logs in append-only mode after the first backup: the server's way back
      const transactions = (await readFile(join(repository, 'transactions'), 'utf8')).trim().split('\n');
      const goodTransaction = Number(/^transaction (\d+),/.exec(transactions.at(-1)!)?.[1]);

      await writeFile(join(roots.sara!, 'srv/db/rows'), 'sara v2\n');
      const second = await cli('sara', ['backups', 'create', 'sara']);
      // keep last 1: the client's retention deletes the first archive and compacts, and borg says yes
      expect(second.stdout).toMatch(/✓ nas: created sara-nas-\S+: .*; pruned 1 archive; 1 archive kept/);
      expect(second.exitCode).toBe(0);
      const after = await listNames('sara');
      expect(after).toHaveLength(1);
      expect(after[0]).not.toContain(kept);

      // on the server, the admin rolls back to that transaction (borg's append-only recovery):
      // every later segment and the index go, borg rebuilds the index from what is left
      for (const dir of await readdir(join(repository, 'data'))) {
        for (const segment of await readdir(join(repository, 'data', dir))) {
          if (Number(segment) > goodTransaction) await rm(join(repository, 'data', dir, segment));
        }
      }
      for (const file of await readdir(repository)) {
        if (/^(index|hints|integrity)\.\d+$/.test(file)) await rm(join(repository, file));
      }
      const passphrase = (
        await readFile(join(roots.sara!, 'var/lib/borgops/secrets/nas.passphrase'), 'utf8')
      ).trim();
      const admin = { BORG_BASE_DIR: join(base, 'admin-borg'), BORG_PASSPHRASE: passphrase };
      const archive = kept!;
      const listed = await execa('borg', ['list', '--short', repository], { env: admin, reject: false });
      expect(listed.stdout.split('\n')).toContain(archive);
      const into = join(base, 'recovered');
      await mkdir(into);
      await execa('borg', ['extract', `${repository}::${archive}`], { env: admin, cwd: into });
      expect(await readFile(join(into, 'srv/db/rows'), 'utf8')).toBe('sara v1\n');
    });

    it("a pinned host key that is not the server's is refused, naming the destination", async () => {
      const other = await keygen(join(base, 'not-the-host-key'));
      const wrong = await repo.commit(
        { 'inventory.json': inventory({ archiveHostKey: other.split(' ').slice(0, 2).join(' ') }) },
        'pin the wrong key',
      );
      await repo.git.reset(['-q', '--hard', 'HEAD~1']);
      const planned = await cli('sara', ['plan', '--json', '--ref', wrong]);
      expect(planned.exitCode).toBe(1);
      expect(json<PlanJson>(planned).errors.map((e) => e.message)).toEqual([
        `nas: repository unreachable: ssh: Host key for [127.0.0.1]:${daemon.port} has changed and you have requested strict checking. Host key verification failed.`,
      ]);
    });

    it('removing a client revokes its key line only: its repository and lines borgops did not write stay', async () => {
      await writeFile(authorizedKeysFile, `${await readFile(authorizedKeysFile, 'utf8')}${foreignLine}\n`);
      await repo.commit(
        { 'inventory.json': inventory({ saraIsClient: false }), 'machines/sara/state.yaml': null },
        'sara leaves',
      );
      const applied = await cli('nas', ['apply', '--json']);
      expect(applied.exitCode).toBe(0);
      const { plan } = json<{ plan: PlanJson }>(applied);
      expect(plan.actions.map((a) => [a.id, a.op, a.summary])).toEqual([
        [
          'authorized-key/sara',
          'authorized-key.set',
          `revoke sara's key in ${authorizedKeysFile} (its repository stays)`,
        ],
      ]);
      expect(plan.notes).toContain(
        'served-repository/sara is no longer declared: its repository is left in place',
      );
      const lines = (await readFile(authorizedKeysFile, 'utf8')).split('\n').filter(Boolean);
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(
        /^command="cd .*\/srv\/borg\/jon && borg serve --restrict-to-repository \.",restrict ssh-ed25519 .* borgops@jon$/,
      );
      expect(lines[1]).toBe(foreignLine);
      expect(await readdir(join(roots.nas!, 'srv/borg-archive/sara'))).toContain('config');
      // and sara's key no longer logs in
      const listed = await cli('sara', ['backups', 'list', 'sara']);
      expect(listed.exitCode).toBe(1);
      expect(listed.stderr).toBe(
        `borgops: nas: repository unreachable: ssh: ${daemon.user}@127.0.0.1: Permission denied (publickey).\n`,
      );
    });

    it('an SSH server stopped mid-backup fails that destination within the timeout; the others complete', async () => {
      await writeFile(join(roots.jon!, 'srv/app/notes.txt'), 'jon v3\n');
      const run = cli('jon', ['backups', 'create', 'jon']);
      // sshd and borg serve stop answering once borg create is connected: a link gone silent,
      // which only ssh's keepalive (ServerAliveInterval × ServerAliveCountMax) can notice
      await daemon.freezeWhenServing();
      const created = await run;
      expect(created.exitCode).toBe(1);
      expect(created.stdout).toContain(
        '✗ nas: repository unreachable: ssh: Timeout, server 127.0.0.1 not responding.\n',
      );
      expect(created.stdout).toMatch(/✓ usb: created jon-usb-\S+: 1 file, /);
      expect(created.stdout).toContain('Backup failed: 1 of 2 destinations backed up (failed: nas)');
      const runs = await readRuns(join(roots.jon!, 'var/lib/borgops/runs.json'));
      expect(runs.destinations.nas).toMatchObject({ failure: 'unreachable' });
    });
  },
);
