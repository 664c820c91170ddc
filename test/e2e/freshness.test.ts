import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localConfig } from '../helpers/fleet.js';
import { gitRepo } from '../helpers/git.js';
import { tempDir } from '../helpers/temp.js';
import { startAgent, waitFor } from '../helpers/watch-agent.js';

interface Status {
  appliedCommit?: string;
  lastAttempt?: { at: string };
  conditions: { type: string; status: boolean; reason: string; message: string }[];
  destinations: { name: string; stale: boolean; lastSuccess?: string }[];
}

describe('freshness (built CLI, watch reconciling every second)', () => {
  it('a destination never backed up turns stale after maxAge although watch keeps reconciling', async () => {
    const base = await tempDir('borgops-fresh-');
    await mkdir(join(base, 'repos'));
    const root = join(base, 'root');
    // a backup once a year: no scheduled run during the test, so nothing ever succeeds
    const repo = await gitRepo(
      localConfig({ local: join(base, 'repos', 'local') }, { startAt: '*-01-01 00:00:00', maxAge: '4s' }),
    );
    const agent = await startAgent([
      ...['--source', repo.dir, '--machine', 'jon', '--root', root],
      ...['--scheduler', 'embedded', '--drift-interval', '1', '--interval', '1'],
    ]);
    const status = async () => (await (await fetch(`${agent.url}/status`)).json()) as Status;
    const applied = await waitFor('the first apply', async () => {
      const current = await status();
      return current.appliedCommit === undefined ? undefined : current;
    });
    expect(applied.conditions[0]).toMatchObject({ type: 'Ready', status: true });

    const stale = await waitFor(
      'BackupStale',
      async () => {
        const current = await status();
        return current.conditions[0]?.reason === 'BackupStale' ? current : undefined;
      },
      30_000,
    );
    expect(stale.conditions[0]).toMatchObject({ type: 'Ready', status: false, reason: 'BackupStale' });
    expect(stale.conditions[0]?.message).toContain('local: never backed up');
    expect(stale.destinations).toEqual([expect.objectContaining({ name: 'local', stale: true })]);
    // the agent keeps reconciling, and a reconcile does not make it fresh again
    const later = await waitFor('another reconcile', async () => {
      const current = await status();
      return Date.parse(current.lastAttempt?.at ?? '') > Date.parse(stale.lastAttempt?.at ?? '')
        ? current
        : undefined;
    });
    expect(Date.parse(stale.lastAttempt?.at ?? '')).toBeGreaterThan(
      Date.parse(applied.lastAttempt?.at ?? ''),
    );
    expect(later.conditions[0]).toMatchObject({ status: false, reason: 'BackupStale' });
    agent.process.kill('SIGTERM');
    expect((await agent.process).exitCode).toBe(0);
  });
});
