import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makePlan, runApply } from '../../../reconcile/engine/converge.js';
import { readLedger } from '../../../src/host/ledger.js';
import { convergeWorld } from '../../helpers/converge.js';

describe('plan and apply with real borg on the example', () => {
  it('converges, is idempotent, and a hooks-only change costs zero borg processes', async () => {
    const w = await convergeWorld();
    const first = await makePlan(w.options);
    expect(first.plan.actions.map((a) => a.id)).toEqual([
      'secret/local',
      'repository/local',
      'key-export/local',
      'hook/post-restore-linkding',
      'hook/pre-backup-linkding',
      'schedule/local',
    ]);
    expect(first.plan.borgProcesses).toBe(1);

    const applied = await w.apply();
    expect(applied.result.errors).toEqual([]);
    expect(applied.result.done).toHaveLength(6);
    const { paths } = w;
    expect((await stat(join(paths.hooksDir, 'pre-backup-linkding'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(paths.secretsDir, 'local.passphrase'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(paths.secretsDir, 'local.key'))).isFile()).toBe(true);
    const passphrase = (await readFile(join(paths.secretsDir, 'local.passphrase'), 'utf8')).trim();

    const again = await makePlan(w.options);
    expect(again.plan.actions).toEqual([]);
    expect(again.plan.borgProcesses).toBe(0);
    const second = await w.apply();
    expect(second.result.done).toEqual([]);

    // an edited script: one hook diff, no borg process at all
    const before = w.borg.processCount;
    await w.repo.commit({
      'machines/jon/state.yaml': (
        await readFile(join(w.repo.dir, 'machines/jon/state.yaml'), 'utf8')
      ).replace('echo "pre-backup linkding"', 'echo "changed"'),
    });
    const edited = await makePlan(w.options);
    expect(edited.plan.actions.map((a) => `${a.effect} ${a.id}`)).toEqual([
      'mutating hook/pre-backup-linkding',
    ]);
    const applyEdited = await w.apply();
    expect(applyEdited.result.done.map((a) => a.id)).toEqual(['hook/pre-backup-linkding']);
    expect(w.borg.processCount - before).toBe(0);
    expect(await readFile(join(paths.hooksDir, 'pre-backup-linkding'), 'utf8')).toContain('echo "changed"');

    // removing a state removes its hooks, and nothing else
    await writeFile(join(paths.hooksDir, 'my-own-script'), 'echo foreign\n');
    await w.repo.commit({
      'machines/jon/state.yaml': 'state:\n  zerotier:\n    folders: [/var/lib/zerotier-one]\n',
    });
    const removed = await w.apply();
    expect(removed.result.done.map((a) => `${a.op} ${a.id}`)).toEqual([
      'hook.remove hook/post-restore-linkding',
      'hook.remove hook/pre-backup-linkding',
    ]);
    expect((await readdir(paths.hooksDir)).sort()).toEqual(['my-own-script']);

    // secrets never appear in a plan, in JSON or in text
    expect(JSON.stringify(first.plan)).not.toContain(passphrase);
    expect((await makePlan({ ...w.options, refresh: true })).plan.actions).toEqual([]);
  });

  it('stamps the plan and every ledger write with the clock it is given, on the paths it is given', async () => {
    const w = await convergeWorld();
    const clock = new Date('2031-05-06T07:08:09.000Z');
    // root and stateDir name nothing usable: only the paths passed in are used
    const applied = await runApply({
      ...w.options,
      root: '/nonexistent-root',
      stateDir: '/nonexistent-state',
      paths: w.paths,
      now: () => clock,
      allow: new Set(),
    });
    expect(applied.result.errors).toEqual([]);
    expect(applied.planned.plan.createdAt).toBe(clock.toISOString());
    const ledger = await readLedger(w.paths.ledger);
    const stamps = new Set(Object.values(ledger.entries).map((entry) => entry.appliedAt));
    expect(Object.keys(ledger.entries)).toContain('repository/local');
    expect([...stamps]).toEqual([clock.toISOString()]);
    expect(ledger.destinations?.local?.firstAppliedAt).toBe(clock.toISOString());
  });
});
