import { access, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { describe, expect, it, onTestFinished } from 'vitest';
import { borgops, cliPath } from '../helpers/cli.js';
import { localConfig } from '../helpers/fleet.js';
import { gitRepo } from '../helpers/git.js';
import { tempDir } from '../helpers/temp.js';

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

function startAgent(args: string[]): { process: ResultPromise; stderr(): string } {
  const child = execa('node', [cliPath, 'watch', '--log-level', 'info', ...args], {
    reject: false,
    // the agent finishes its current step first: never SIGKILL it behind the test's back
    forceKillAfterDelay: false,
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  onTestFinished(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await child;
  });
  return { process: child, stderr: () => stderr };
}

async function world(startAt: string) {
  const base = await tempDir('borgops-signals-');
  await mkdir(join(base, 'repos'));
  const root = join(base, 'root');
  const repository = join(base, 'repos', 'local');
  await mkdir(join(root, 'var/backup/linkding'), { recursive: true });
  // sparse files keep borg create busy (it reads every zero) without using the disk; many of them,
  // as borg stops at the next file after SIGINT and writes a checkpoint
  const files = Array.from({ length: 300 }, (_, i) => join(root, 'var/backup/linkding', `zeros-${i}`));
  await execa('truncate', ['-s', '128M', ...files]);
  await mkdir(join(root, 'var/lib/zerotier-one'), { recursive: true });
  const config = localConfig({ local: repository }, { startAt });
  config['machines/jon/state.yaml'] = [
    'state:',
    '  linkding:',
    '    folders: [/var/backup/linkding]',
    '    postBackupScript: |',
    '      touch "$BORGOPS_ROOT/post-backup-ran"',
    '',
  ].join('\n');
  const repo = await gitRepo(config);
  const args = ['--source', repo.dir, '--machine', 'jon', '--root', root, '--scheduler', 'embedded'];
  return { root, repository, args, stateDir: join(root, 'var/lib/borgops') };
}

describe('borgops watch and signals (built CLI, real borg)', () => {
  it('SIGTERM during a scheduled backup: borg stops, post-backup scripts run, the lock is gone, exit 0', async () => {
    const w = await world('*:*:0/5');
    const agent = startAgent([...w.args, '--drift-interval', '0']);
    // borg create of the scheduled run holds the repository's lock while it reads the big file
    await waitFor(
      'the scheduled backup to start',
      async () => (agent.stderr().includes('"msg":"scheduled backup starting"') ? true : undefined),
      180_000,
    );
    await waitFor(
      'borg create of the scheduled backup',
      async () => ((await readdir(w.repository)).includes('lock.exclusive') ? true : undefined),
      180_000,
    );
    agent.process.kill('SIGTERM');
    const result = await agent.process;
    expect([result.exitCode, result.signal]).toEqual([0, undefined]);
    expect(await exists(join(w.root, 'post-backup-ran'))).toBe(true);
    expect(await exists(join(w.stateDir, 'backups.lock'))).toBe(false);
    expect(await exists(join(w.stateDir, 'watch.lock'))).toBe(false);
    // borg was not orphaned: it let go of the repository before the agent exited
    expect((await readdir(w.repository)).filter((name) => name.startsWith('lock.'))).toEqual([]);
    const runs = JSON.parse(await readFile(join(w.stateDir, 'runs.json'), 'utf8')) as unknown;
    expect(JSON.stringify(runs)).toContain('local');
  });

  it('a second watch on the same state directory exits 1 naming the first', async () => {
    const w = await world('*-*-* 01:00:00');
    const first = startAgent([...w.args, '--drift-interval', '0']);
    await waitFor(
      'the first agent to take its lock',
      async () => ((await exists(join(w.stateDir, 'watch.lock'))) ? true : undefined),
      120_000,
    );
    const second = await borgops(['watch', ...w.args]);
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toContain(
      `borgops: another watch agent runs on ${w.stateDir}: another borgops holds ${join(w.stateDir, 'watch.lock')}: pid ${first.process.pid} on `,
    );
    expect(second.stderr).toContain('(watch jon)');
    first.process.kill('SIGTERM');
    const stopped = await first.process;
    expect([stopped.exitCode, stopped.signal]).toEqual([0, undefined]);
    expect(await exists(join(w.stateDir, 'watch.lock'))).toBe(false);
  });

  it('refuses an empty --webhook-secret-file (an empty HMAC key authenticates everyone)', async () => {
    const w = await world('*-*-* 01:00:00');
    const secret = join(w.root, '..', 'secret');
    await writeFile(secret, '\n');
    const result = await borgops([
      'watch',
      ...w.args,
      '--listen',
      '127.0.0.1:0',
      '--webhook-secret-file',
      secret,
    ]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(
      `borgops: --webhook-secret-file ${secret} is empty; refusing an empty secret\n`,
    );
  });
});
