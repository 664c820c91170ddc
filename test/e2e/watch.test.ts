import { createHmac } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { exists } from '../helpers/files.js';
import { localConfig } from '../helpers/fleet.js';
import { gitRepo, headOf } from '../helpers/git.js';
import { jonAt, localWorld } from '../helpers/local-world.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';
import { agentStatus, startAgent, waitForApplied } from '../helpers/watch-agent.js';

describe('borgops watch (built CLI, real git, real borg)', () => {
  it('applies new commits, keeps the last good declarations over an invalid one, corrects drift and stops on SIGTERM', async () => {
    const { base, repo, root } = await localWorld('borgops-watch-');
    const hooks = join(root, 'var/lib/borgops/hooks');
    const secret = join(base, 'webhook.secret');
    await writeFile(secret, 's3cret\n');
    const agent = await startAgent([
      ...jonAt(repo.dir, root),
      '--drift-interval',
      '1',
      '--interval',
      '30',
      '--webhook-secret-file',
      secret,
    ]);
    const first = await headOf(repo);
    await waitForApplied(agent, first, 'the first commit to apply');
    expect(await exists(join(hooks, 'pre-backup-linkding'))).toBe(true);

    // a commit that adds a state: its hook appears
    const config = localConfig({ local: join(base, 'repos', 'local') });
    await repo.commit({
      'machines/jon/state.yaml': `${config['machines/jon/state.yaml']}  nextcloud:\n    folders: [/srv/nextcloud]\n    preBackupScript: echo nc\n`,
    });
    await waitFor('the new hook', async () =>
      (await exists(join(hooks, 'pre-backup-nextcloud'))) ? true : undefined,
    );
    const second = await headOf(repo);
    await waitForApplied(agent, second, 'the second commit to be applied');

    // an invalid commit changes nothing and shows as Stalled with the error
    await repo.commit({ 'machines/jon/state.yaml': 'state:\n  nextcloud:\n    folder: [/srv/nextcloud]\n' });
    const bad = await headOf(repo);
    const stalled = await waitFor('Stalled', async () => {
      const current = await agentStatus(agent);
      return current.failedCommit?.commit === bad ? current : undefined;
    });
    expect(stalled.appliedCommit).toBe(second);
    expect(stalled.conditions).toEqual([
      expect.objectContaining({ type: 'Ready', status: false, reason: 'InvalidDeclarations' }),
      expect.objectContaining({ type: 'Stalled', status: true, reason: 'InvalidDeclarations' }),
    ]);
    expect(stalled.conditions[1]?.message).toContain(
      'machines/jon/state.yaml:3: state.nextcloud.folder: unknown key "folder"; did you mean "folders"?',
    );
    expect(await exists(join(hooks, 'pre-backup-nextcloud'))).toBe(true);

    // drift is corrected from the last applied declarations even while the head is invalid
    await rm(join(hooks, 'pre-backup-linkding'));
    await waitFor('the deleted hook to come back', async () =>
      (await exists(join(hooks, 'pre-backup-linkding'))) ? true : undefined,
    );

    // a fixed commit converges again and clears the stall
    await repo.commit({ 'machines/jon/state.yaml': config['machines/jon/state.yaml'] ?? '' });
    const fixed = await headOf(repo);
    const recovered = await waitFor('recovery', async () => {
      const current = await agentStatus(agent);
      return current.appliedCommit === fixed && current.failedCommit === undefined ? current : undefined;
    });
    expect(recovered.conditions[1]).toMatchObject({ type: 'Stalled', status: false });
    await waitFor('the removed state hook to go', async () =>
      (await exists(join(hooks, 'pre-backup-nextcloud'))) ? undefined : true,
    );

    // webhooks must be signed
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    const unsigned = await fetch(`${agent.url}/hooks/push`, {
      method: 'POST',
      body,
      headers: { 'x-hub-signature-256': 'sha256=00' },
    });
    expect(unsigned.status).toBe(401);
    const signature = `sha256=${createHmac('sha256', 's3cret').update(body).digest('hex')}`;
    const signed = await fetch(`${agent.url}/hooks/push`, {
      method: 'POST',
      body,
      headers: { 'x-hub-signature-256': signature },
    });
    expect(signed.status).toBe(202);

    const metrics = await (await fetch(`${agent.url}/metrics`)).text();
    expect(metrics).toContain(`borgops_applied_commit_info{machine="jon",commit="${fixed}"} 1`);
    expect(metrics).toMatch(/borgops_reconcile_total\{machine="jon",result="invalid"\} 1\n/);
    expect((await fetch(`${agent.url}/healthz`)).status).toBe(200);

    agent.process.kill('SIGTERM');
    const exited = await agent.process;
    expect(exited.exitCode).toBe(0);
    expect(agent.stderr()).toContain('"msg":"stopping: finishing the current step"');
  });

  it('applies only commits signed by an allowed SSH key when verification is on', async () => {
    const base = await tempDir('borgops-verify-');
    await mkdir(join(base, 'repos'));
    const key = join(base, 'signer');
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'signer', '-f', key]);
    const allowed = join(base, 'allowed_signers');
    await writeFile(allowed, `test@borgops.invalid ${(await readFile(`${key}.pub`, 'utf8')).trim()}\n`);
    const repo = await gitRepo();
    await repo.git.addConfig('gpg.format', 'ssh');
    await repo.git.addConfig('user.signingkey', key);
    const config = localConfig({ local: join(base, 'repos', 'local') });
    await repo.write(config);
    await repo.git.add(['-A']);
    await repo.git.commit('unsigned', ['--no-gpg-sign']);
    const unsigned = await headOf(repo);
    const root = join(base, 'root');
    const agent = await startAgent([
      '--source',
      repo.dir,
      '--machine',
      'jon',
      '--root',
      root,
      '--scheduler',
      'embedded',
      '--verify-signatures',
      '--allowed-signers',
      allowed,
      '--interval',
      '1',
    ]);
    const refused = await waitFor('the unsigned commit to be refused', async () => {
      const current = await agentStatus(agent);
      return current.failedCommit?.commit === unsigned ? current : undefined;
    });
    expect(refused.failedCommit?.reason).toBe('UnverifiedCommit');
    expect(refused.appliedCommit).toBeUndefined();
    expect(await exists(join(root, 'var/lib/borgops/hooks'))).toBe(false);

    await repo.git.commit('signed', ['--allow-empty', '-S']);
    const signed = await headOf(repo);
    await waitForApplied(agent, signed, 'the signed commit to apply');
    expect(await exists(join(root, 'var/lib/borgops/hooks/pre-backup-linkding'))).toBe(true);
    agent.process.kill('SIGTERM');
    expect((await agent.process).exitCode).toBe(0);
  });

  it('mirrors a remote source and fetches at once on a signed webhook', async () => {
    const base = await tempDir('borgops-remote-');
    await mkdir(join(base, 'repos'));
    const work = await gitRepo(localConfig({ local: join(base, 'repos', 'local') }));
    const bare = join(base, 'config.git');
    await execa('git', ['clone', '--quiet', '--bare', work.dir, bare]);
    await work.git.addRemote('origin', bare);
    const secret = join(base, 'secret');
    await writeFile(secret, 'hook-secret');
    const root = join(base, 'root');
    const agent = await startAgent([
      '--source',
      `file://${bare}`,
      '--ref',
      'main',
      '--machine',
      'jon',
      '--root',
      root,
      '--scheduler',
      'embedded',
      '--interval',
      '3600',
      '--webhook-secret-file',
      secret,
    ]);
    const first = await headOf(work);
    await waitForApplied(agent, first, 'the mirror to apply');

    const config = localConfig({ local: join(base, 'repos', 'local') });
    await work.commit({
      'machines/jon/state.yaml': `${config['machines/jon/state.yaml']}  mail:\n    folders: [/var/mail]\n    postBackupScript: echo done\n`,
    });
    await work.git.push('origin', 'main');
    const pushed = await headOf(work);
    const body = '{}';
    const signature = createHmac('sha256', 'hook-secret').update(body).digest('hex');
    const response = await fetch(`${agent.url}/hooks/push`, {
      method: 'POST',
      body,
      headers: { 'x-gitea-signature': signature },
    });
    expect(response.status).toBe(202);
    await waitForApplied(agent, pushed, 'the pushed commit to apply', 10_000);
    expect(await exists(join(root, 'var/lib/borgops/hooks/post-backup-mail'))).toBe(true);
    agent.process.kill('SIGTERM');
    expect((await agent.process).exitCode).toBe(0);
  });

  it('runs a backup when the embedded schedule says so, and /metrics reports it', async () => {
    const base = await tempDir('borgops-schedule-');
    await mkdir(join(base, 'repos'));
    const root = join(base, 'root');
    await mkdir(join(root, 'var/backup/linkding'), { recursive: true });
    await writeFile(join(root, 'var/backup/linkding/db'), 'links\n');
    await mkdir(join(root, 'var/lib/zerotier-one'), { recursive: true });
    // every 10 s rather than one moment a few seconds ahead: an agent slow to start on a loaded
    // machine would miss a single moment (a new job has no catch-up) and wait a day
    // a drill on the same calendar: it runs after the backup of its slot (backups first)
    const repo = await gitRepo(
      localConfig(
        { local: join(base, 'repos', 'local') },
        { startAt: '*:*:0/10', verify: { check: false, drill: '*:*:0/10' } },
      ),
    );
    const before = Date.now();
    const agent = await startAgent([
      '--source',
      repo.dir,
      '--machine',
      'jon',
      '--root',
      root,
      '--scheduler',
      'embedded',
      '--drift-interval',
      '0',
    ]);
    const metrics = await waitFor(
      'the scheduled backup',
      async () => {
        const text = await (await fetch(`${agent.url}/metrics`)).text();
        return /borgops_last_backup_success_timestamp_seconds\{machine="jon",destination="local"\} \d+/.test(
          text,
        )
          ? text
          : undefined;
      },
      40_000,
    );
    const success = Number(
      /borgops_last_backup_success_timestamp_seconds\{[^}]*\} (\d+(\.\d+)?)/.exec(metrics)?.[1],
    );
    expect(success * 1000).toBeGreaterThanOrEqual(before - 1000);
    expect(metrics).toMatch(/borgops_archives\{machine="jon",destination="local"\} 1\n/);
    const report = (await (await fetch(`${agent.url}/status`)).json()) as {
      destinations: { name: string; lastArchive?: string; nextRun?: string }[];
    };
    expect(report.destinations[0]?.lastArchive).toMatch(/^jon-local-\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    expect(Date.parse(report.destinations[0]?.nextRun ?? '')).toBeGreaterThan(Date.now());
    expect(agent.stderr()).toContain('"msg":"scheduled backup finished"');

    // the scheduled drill restored the newest archive and verified its 1 file (6 bytes)
    const drilled = await waitFor(
      'the scheduled drill',
      async () => {
        const text = await (await fetch(`${agent.url}/metrics`)).text();
        return /borgops_last_drill_success_timestamp_seconds\{machine="jon",destination="local"\} \d+/.test(
          text,
        )
          ? text
          : undefined;
      },
      40_000,
    );
    expect(drilled).toMatch(/borgops_drill_verified_files\{machine="jon",destination="local"\} 1\n/);
    expect(drilled).toMatch(/borgops_drill_verified_bytes\{machine="jon",destination="local"\} 6\n/);
    expect(drilled).toMatch(/borgops_drill_failed\{machine="jon",destination="local"\} 0\n/);
    expect(agent.stderr()).toContain('"msg":"scheduled drill finished"');
    const runs = JSON.parse(await readFile(join(root, 'var/lib/borgops/runs.json'), 'utf8'));
    expect(runs.destinations.local.drill).toMatchObject({ ok: true, files: 1, bytes: 6 });
    agent.process.kill('SIGTERM');
    expect((await agent.process).exitCode).toBe(0);
  });
});
