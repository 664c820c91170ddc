import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makePlan } from '../../../reconcile/engine/converge.js';
import { readRuns, updateRun } from '../../../src/host/runs.js';
import {
  archiveNames,
  convergeWorld,
  dailyArchives,
  lockRepository,
  seedArchives,
} from '../../helpers/converge.js';

describe('apply with real borg: retention, guards and faults', () => {
  it("prunes exactly the archives the plan lists, only this machine and destination's, and guards large prunes", async () => {
    const w = await convergeWorld({ prune: { keep: { daily: 10 } } });
    expect((await w.apply()).result.errors).toEqual([]);
    await seedArchives(w, 'local', dailyArchives(['01', '02', '03', '04', '05', '06']));
    // neighbours in the same repository: another machine, a hyphenated destination, leftovers
    await seedArchives(w, 'local', {
      'sara-local-2026-03-01T01:00:00': '2026-02-01T01:00:00',
      'jon-local-x-2026-03-01T01:00:00': '2026-02-01T01:00:00',
      'jon-local-2026-02-01T01:00:00.failed': '2026-02-01T01:00:00',
    });

    await w.repo.commit({
      'inventory.json': (await readFile(join(w.repo.dir, 'inventory.json'), 'utf8')).replace(
        '"daily": 10',
        '"daily": 2',
      ),
    });
    const planned = await makePlan(w.options);
    const prune = planned.plan.actions.find((a) => a.op === 'retention.prune');
    expect(prune?.op === 'retention.prune' && prune.archives).toEqual([
      'jon-local-2026-03-04T01:00:00',
      'jon-local-2026-03-03T01:00:00',
      'jon-local-2026-03-02T01:00:00',
      'jon-local-2026-03-01T01:00:00',
    ]);
    expect(planned.plan.refusals.map((r) => r.guard)).toEqual(['large-prune']);

    await expect(w.apply()).rejects.toThrow(/refused by 1 safety guard; nothing was changed/);
    expect(await archiveNames(w, 'local')).toHaveLength(9);

    // the count the last backup recorded (status shows it): after the prune it is the count after
    await updateRun(w.paths.runs, 'local', (previous) => ({
      ...previous,
      lastSuccess: '2026-03-06T01:00:00Z',
      archives: 6,
    }));
    const applied = await w.apply(['large-prune']);
    expect(applied.result.errors).toEqual([]);
    expect((await readRuns(w.paths.runs)).destinations.local).toEqual({
      lastSuccess: '2026-03-06T01:00:00Z',
      archives: 2,
    });
    expect((await archiveNames(w, 'local')).sort()).toEqual([
      'jon-local-2026-02-01T01:00:00.failed',
      'jon-local-2026-03-05T01:00:00',
      'jon-local-2026-03-06T01:00:00',
      'jon-local-x-2026-03-01T01:00:00',
      'sara-local-2026-03-01T01:00:00',
    ]);
    expect((await makePlan({ ...w.options, refresh: true })).plan.actions).toEqual([]);
  });

  it('never initializes over a wrong passphrase, a file, or a locked repository, and converges the other destinations', async () => {
    const w = await convergeWorld({ lockWait: 1 }, ['good', 'locked', 'file']);
    await writeFile(join(w.repos, 'file'), 'not a repository\n');
    const first = await w.apply();
    expect(first.result.errors.map((e) => e.id)).toEqual(['repository/file']);
    expect(first.result.errors[0]?.message).toMatch(/^file: /);
    expect(first.result.done.map((a) => a.id)).toContain('repository/good');
    expect(first.result.done.map((a) => a.id)).toContain('repository/locked');
    expect(await readFile(join(w.repos, 'file'), 'utf8')).toBe('not a repository\n');

    // a lock held by another borg: reported by name, never taken for "missing"
    const release = await lockRepository(w, join(w.repos, 'locked'));
    const locked = await makePlan({ ...w.options, refresh: true });
    expect(locked.plan.errors.map((e) => e.id)).toEqual(['repository/file', 'repository/locked']);
    expect(locked.plan.errors[1]?.message).toMatch(/^locked: .*lock/i);
    expect(locked.plan.actions.filter((a) => a.op === 'repository.init')).toEqual([]);
    await release();

    // a wrong passphrase: an error naming the destination, no init, no new secret
    const secret = join(w.paths.secretsDir, 'good.passphrase');
    const original = await readFile(secret, 'utf8');
    await writeFile(secret, 'wrong\n');
    const wrong = await makePlan({ ...w.options, refresh: true });
    expect(wrong.plan.errors.map((e) => e.id)).toEqual(['repository/file', 'repository/good']);
    expect(wrong.plan.errors[1]?.message).toMatch(/^good: .*passphrase/i);
    expect(wrong.plan.actions.filter((a) => 'destination' in a && a.destination === 'good')).toEqual([]);
    expect(JSON.stringify(wrong.plan)).not.toContain(original.trim());
    await writeFile(secret, original);
  });

  it('leaves a stale lock of a killed apply to be taken over, and cleans temporary files it left', async () => {
    const w = await convergeWorld();
    await mkdir(w.paths.stateDir, { recursive: true });
    await writeFile(
      w.paths.lock,
      JSON.stringify({
        pid: 2 ** 22 + 12345,
        host: hostname(),
        command: 'apply jon',
        startedAt: 'x',
      }),
    );
    await mkdir(w.paths.hooksDir, { recursive: true });
    await writeFile(
      join(w.paths.hooksDir, '.pre-backup-linkding.borgops-abc123abc123.tmp'),
      '#!/usr/bin/env bash\nset -eu',
    );
    // not ours: another tool's temporary file, and a link with our name pattern
    await writeFile(join(w.paths.hooksDir, '.editor.swp.tmp'), 'someone else');
    await symlink('/etc/hostname', join(w.paths.hooksDir, '.x.borgops-abcdefabcdef.tmp'));
    const applied = await w.apply();
    expect(applied.result.errors).toEqual([]);
    expect((await readdir(w.paths.hooksDir)).sort()).toEqual([
      '.editor.swp.tmp',
      '.x.borgops-abcdefabcdef.tmp',
      'post-restore-linkding',
      'pre-backup-linkding',
    ]);
    await expect(readFile(w.paths.lock)).rejects.toThrow();
  });
});
