import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { borgops } from '../helpers/cli.js';
import { localConfig } from '../helpers/fleet.js';
import { gitRepo } from '../helpers/git.js';
import { startReceivers } from '../helpers/receivers.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';
import { spawnAgent } from '../helpers/watch-agent.js';

const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

/*
 * A backup job that stopped running (a disabled timer, a unit that no longer starts borgops) is
 * told by the agent, which runs whether or not the job does: a `fail` of class `stale`, once per
 * spell. Time passes by moving borgops's own clocks back, as the days would.
 */
describe('the agent tells a stale backup (built CLI watch, real borg, real HTTP receivers)', () => {
  it('sends `fail` (stale) once per spell; a backup ends the spell', async () => {
    const receivers = await startReceivers();
    onTestFinished(() => receivers.close());
    const base = await tempDir('borgops-overdue-agent-');
    await mkdir(join(base, 'repos'));
    const notify = {
      ops: { webhook: { url: `${receivers.base}/hook/ops` }, on: ['fail'] },
      phone: { ntfy: { url: `${receivers.base}/ntfy/ops` }, on: ['fail'] },
    };
    const config = localConfig({ local: join(base, 'repos', 'local') }, { notify, maxAge: '1d' });
    const repo = await gitRepo(config);
    const root = join(base, 'root');
    const on = ['--source', repo.dir, '--machine', 'jon', '--root', root, '--scheduler', 'embedded'];
    const applied = await borgops(['apply', ...on]);
    expect(applied.exitCode, applied.stderr).toBe(0);
    for (const folder of ['var/backup/linkding', 'var/lib/zerotier-one']) {
      await mkdir(join(root, folder), { recursive: true });
      await writeFile(join(root, folder, 'data'), `${folder}\n`);
    }
    // applied two days ago and never backed up since: past maxAge (1d)
    const ledgerPath = join(root, 'var/lib/borgops/ledger.json');
    const ledger = JSON.parse(await readFile(ledgerPath, 'utf8'));
    ledger.destinations.local.firstAppliedAt = daysAgo(2);
    await writeFile(ledgerPath, JSON.stringify(ledger));

    const agent = spawnAgent([...on, '--interval', '1', '--drift-interval', '1']);
    const told = () =>
      receivers.at('/hook/ops').map((r) => {
        const body = JSON.parse(r.body) as Record<string, unknown>;
        return [body.event, body.result, body.failure, body.destination];
      });
    await waitFor('the stale notice', () => (told().length > 0 ? true : undefined));
    expect(told()).toEqual([['fail', 'failure', 'stale', 'local']]);
    const message = JSON.parse(receivers.at('/hook/ops')[0]?.body ?? '{}');
    expect(message.summary).toBe(
      'jon/local: backup overdue: no successful backup yet (applied 2d ago); maxAge 1d',
    );
    expect(message.log).toContain('By hand: borgops backups create jon --destination local');
    await waitFor('ntfy', () => (receivers.at('/ntfy/ops').length > 0 ? true : undefined));
    expect(receivers.at('/ntfy/ops')[0]?.headers.title).toBe('borgops jon/local: backup overdue');
    // checked every second from now on: the same spell is not told again
    await sleep(3000);
    expect(told()).toHaveLength(1);

    // a backup ends the spell; two days without one start another, told again
    const created = await borgops(['backups', 'create', 'jon', '--root', root]);
    expect(created.exitCode, created.stderr).toBe(0);
    await sleep(2000);
    expect(told()).toHaveLength(1);
    const runsPath = join(root, 'var/lib/borgops/runs.json');
    const runs = JSON.parse(await readFile(runsPath, 'utf8'));
    runs.destinations.local.lastSuccess = daysAgo(2);
    runs.destinations.local.lastAttempt = daysAgo(2);
    await writeFile(runsPath, JSON.stringify(runs));
    await waitFor('the second spell', () => (told().length > 1 ? true : undefined));
    expect(told()).toEqual([
      ['fail', 'failure', 'stale', 'local'],
      ['fail', 'failure', 'stale', 'local'],
    ]);
    expect(JSON.parse(receivers.at('/hook/ops')[1]?.body ?? '{}').summary).toMatch(
      /^jon\/local: backup overdue: no successful backup since \S+ \(2d ago\); maxAge 1d$/,
    );
    agent.process.kill('SIGTERM');
    expect((await agent.process).exitCode).toBe(0);
  }, 90_000);
});
