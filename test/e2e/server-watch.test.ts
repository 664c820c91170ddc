import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { borgops } from '../helpers/cli.js';
import { sizeOf } from '../helpers/files.js';
import { gitRepoAt, type TestRepo } from '../helpers/git.js';
import { type SshDaemon, skipWithoutSshd, sshDaemon, sshdSkipReason } from '../helpers/sshd.js';
import { startAgent } from '../helpers/watch-agent.js';

/*
 * The server's own view of its clients (issue 19), with a real sshd on 127.0.0.1 and the built
 * CLI: machine `nas` serves client `jon` append-only with a quota. The server reports jon's last
 * write, size and quota use without jon's passphrase, sees the pending deletions of jon's prune,
 * and reports jon stale once jon stops backing up — while jon itself reports nothing.
 */

const env = { BORGOPS_SSH_TIMEOUT: '5' };
let base: string;
let config: string;
let daemon: SshDaemon;
let repo: TestRepo;
const roots: Record<string, string> = {};

function inventory(maxAge: string): string {
  return `${JSON.stringify(
    {
      machines: { nas: {}, jon: {} },
      instances: {
        main: {
          module: { name: 'borgbackup' },
          roles: {
            server: {
              machines: {
                nas: {
                  settings: {
                    address: '127.0.0.1',
                    port: daemon.port,
                    user: daemon.user,
                    directory: '/srv/borg',
                    appendOnly: true,
                    quota: '1G',
                  },
                },
              },
            },
            client: { settings: { maxAge, prune: { keep: { last: 1 } } }, machines: { jon: {} } },
          },
        },
      },
    },
    null,
    2,
  )}\n`;
}

function cli(machine: string, args: string[]) {
  const source = ['plan', 'apply'].includes(args[0] ?? '') ? ['--source', config] : [];
  return borgops([...args, ...source, '--machine', machine, '--root', roots[machine]!], { env });
}

interface Served {
  client: string;
  instance: string;
  lastWrite?: string;
  transaction?: number;
  bytes: number;
  quotaBytes?: number;
  quotaUseBytes?: number;
  growthBytes?: number;
  shrunk: boolean;
  appendOnly: boolean;
  pendingDeletions?: number;
  maxAgeSeconds?: number;
  stale: boolean;
}

interface Report {
  conditions: { type: string; status: boolean; reason: string; message: string }[];
  served?: Served[];
}

async function serverStatus(): Promise<{ exitCode: number; report: Report }> {
  const result = await cli('nas', ['status', '--json']);
  return { exitCode: result.exitCode, report: JSON.parse(result.stdout) as Report };
}

const repository = () => join(roots.nas!, 'srv/borg/jon');

beforeAll(async () => {
  if (skipWithoutSshd) return;
  base = await mkdtemp(join(tmpdir(), 'borgops-served-'));
  for (const machine of ['nas', 'jon']) roots[machine] = join(base, machine);
  config = join(base, 'config');
  daemon = await sshDaemon();
  await mkdir(join(roots.jon!, 'srv/app'), { recursive: true });
  await writeFile(join(roots.jon!, 'srv/app/data.bin'), Buffer.alloc(200_000, 7));
  repo = await gitRepoAt(config);
  await repo.commit(
    {
      'inventory.json': inventory('1h'),
      'machines/jon/state.yaml': 'state:\n  app:\n    folders: [/srv/app]\n',
    },
    'nas serves jon',
  );
});

afterAll(async () => {
  await daemon?.stop();
  if (base !== undefined) await rm(base, { recursive: true, force: true });
});

// each case runs several CLI processes and borg over ssh: a generous timeout for loaded machines
describe.skipIf(skipWithoutSshd)(
  `the server watches its served repositories${skipWithoutSshd ? ` (${sshdSkipReason})` : ''}`,
  { timeout: 240_000 },
  () => {
    it('reports a client that has not written yet as never written, counted from the repository creation', async () => {
      expect((await cli('nas', ['apply'])).exitCode).toBe(0);
      const { report } = await serverStatus();
      expect(report.served).toHaveLength(1);
      expect(report.served?.[0]).toMatchObject({
        client: 'jon',
        instance: 'main',
        appendOnly: true,
        quotaBytes: 1_000_000_000,
        bytes: 0,
        stale: false,
        maxAgeSeconds: 3600,
      });
      expect(report.served?.[0]?.lastWrite).toBeUndefined();
    });

    it('shows the last write within seconds of the backup, its size and its quota use, without the passphrase', async () => {
      const key = JSON.parse((await cli('jon', ['keys', 'show', '--json'])).stdout) as { publicKey: string };
      await repo.commit({ 'machines/jon/borgbackup.ssh.pub': `${key.publicKey}\n` }, 'jon key');
      const applied = await cli('nas', ['apply', '--json']);
      expect(applied.exitCode).toBe(0);
      const plan = (JSON.parse(applied.stdout) as { plan: { actions: { op: string; file?: string }[] } })
        .plan;
      const keysFile = plan.actions.find((a) => a.op === 'authorized-key.set')?.file;
      expect(keysFile).toBeDefined();
      await daemon.start([keysFile!]);
      expect((await cli('jon', ['apply'])).exitCode).toBe(0);
      const created = await cli('jon', ['backups', 'create', 'jon']);
      expect(created.exitCode).toBe(0);
      const backedUp = Date.now();

      const { exitCode, report } = await serverStatus();
      expect(exitCode).toBe(0);
      const jon = report.served![0]!;
      expect(Math.abs(Date.parse(jon.lastWrite!) - backedUp)).toBeLessThan(10_000);
      expect(jon.bytes).toBe(await sizeOf(repository()));
      const index = (await readdir(repository())).find((name) => name.startsWith('index.'));
      expect(jon.transaction).toBe(Number(index?.slice('index.'.length)));

      // quota use is what borg counts: the compressed unique data borg info reports, plus borg's
      // per-object headers and the manifest (a few hundred bytes here)
      const passphrase = (
        await readFile(join(roots.jon!, 'var/lib/borgops/secrets/nas.passphrase'), 'utf8')
      ).trim();
      const info = JSON.parse(
        (
          await execa('borg', ['info', '--json', repository()], {
            env: { BORG_PASSPHRASE: passphrase, BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes' },
          })
        ).stdout,
      ) as { cache: { stats: { unique_csize: number; total_unique_chunks: number } } };
      const { unique_csize, total_unique_chunks } = info.cache.stats;
      expect(jon.quotaUseBytes).toBeGreaterThanOrEqual(unique_csize);
      expect(jon.quotaUseBytes! - unique_csize).toBeLessThan(41 * (total_unique_chunks + 4) + 4096);

      const text = await cli('nas', ['status']);
      expect(text.stdout).toMatch(
        /served jon \(main, \/srv\/borg\/jon\): last write \d+[sm] ago, transaction \d+, /,
      );
    });

    it("an append-only client's prune shows as pending deletions and never as a shrink", async () => {
      await writeFile(join(roots.jon!, 'srv/app/more.bin'), Buffer.alloc(50_000, 9));
      // archive names have a one-second resolution
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const second = await cli('jon', ['backups', 'create', 'jon']);
      expect(second.exitCode).toBe(0);
      const { report } = await serverStatus();
      const jon = report.served![0]!;
      expect(jon.pendingDeletions).toBeGreaterThan(0);
      expect(jon.growthBytes).toBeGreaterThan(0);
      expect(jon.shrunk).toBe(false);
    });

    it('reports the client stale once it stops writing, from the server alone, and /metrics passes promtool', async () => {
      await repo.commit({ 'inventory.json': inventory('3s') }, 'a short maxAge');
      expect((await cli('nas', ['apply'])).exitCode).toBe(0);
      // jon stops backing up: no agent, no command runs on jon from here on
      await new Promise((resolve) => setTimeout(resolve, 3500));
      const { exitCode, report } = await serverStatus();
      expect(exitCode).toBe(1);
      expect(report.served?.[0]).toMatchObject({ client: 'jon', stale: true, maxAgeSeconds: 3 });
      expect(report.conditions[0]).toMatchObject({ type: 'Ready', status: false, reason: 'ClientStale' });
      expect(report.conditions[0]?.message).toMatch(
        /^served jon \(main\): last write \d+[sm] ago \(maxAge 3s\)$/,
      );

      const agent = await startAgent(['--source', config, '--machine', 'nas', '--root', roots.nas!], { env });
      const metrics = await (await fetch(`${agent.url}/metrics`)).text();
      expect(metrics).toContain('borgops_served_stale{machine="nas",instance="main",client="jon"} 1');
      expect(metrics).toMatch(
        /borgops_served_last_write_timestamp_seconds\{machine="nas",instance="main",client="jon"\} \d+/,
      );
      expect(metrics).toContain(
        'borgops_served_quota_bytes{machine="nas",instance="main",client="jon"} 1000000000',
      );
      expect(metrics).toMatch(/borgops_served_bytes\{machine="nas",instance="main",client="jon"\} [1-9]\d*/);
      const checked = await execa('promtool', ['check', 'metrics'], { input: metrics, reject: false });
      expect(`${checked.stdout}${checked.stderr}`.trim()).toBe('');
      expect(checked.exitCode).toBe(0);
    });
  },
);
