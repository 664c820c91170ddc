import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apply } from '../../../reconcile/engine/apply.js';
import type { Action, ActualMachine, GuardName } from '../../../reconcile/engine/model.js';
import { plan } from '../../../reconcile/engine/plan.js';
import { createBorg } from '../../../src/borg/adapter.js';
import { compile } from '../../../src/desired/compile.js';
import { emptyLedger, readLedger } from '../../../src/host/ledger.js';
import { hostPaths } from '../../../src/host/paths.js';
import { embeddedScheduler } from '../../../src/host/schedulers/embedded.js';
import { silentLogger } from '../../../src/log.js';
import { declarationsOf } from '../../helpers/declarations.js';
import { localConfig } from '../../helpers/fleet.js';
import { tempDir } from '../../helpers/temp.js';

async function world() {
  const dir = await tempDir('borgops-apply-');
  const root = join(dir, 'root');
  await mkdir(root, { recursive: true });
  // borg init cannot create a repository under a regular file
  await writeFile(join(dir, 'file'), 'not a directory\n');
  const paths = hostPaths(root);
  const scheduler = embeddedScheduler(paths.schedule);
  const desired = compile(declarationsOf(localConfig({ usb: join(dir, 'file', 'usb') })), 'jon');
  const actual: ActualMachine = {
    repositories: { usb: { state: 'missing', via: 'borg' } },
    hooks: {},
    secrets: { usb: { passphrase: false, key: false } },
    sshKey: { exists: false },
    scheduler: 'embedded',
    schedules: {},
    served: {},
    authorizedKeys: {},
    accounts: { managed: false, users: {} },
    ledger: emptyLedger(),
  };
  const planned = plan(desired, actual, {
    paths,
    renderJob: scheduler.render,
    jobCommand: (d) => ['borgops', 'backups', 'create', 'jon', '--destination', d],
    worktree: false,
    refresh: false,
    now: new Date('2026-03-10T12:00:00Z'),
  });
  const context = {
    paths,
    borg: createBorg({ env: { ...process.env, BORG_BASE_DIR: join(dir, 'borg') }, logger: silentLogger() }),
    scheduler,
    logger: silentLogger(),
    allow: new Set<GuardName>(),
  };
  return { paths, desired, planned, context };
}

// apply over the real host adapters and real borg, with a planned machine where one repository cannot be created
describe('apply', () => {
  it('goes on after a failed step, skips the rest of that destination but not its job, and stamps the ledger with its clock', async () => {
    const { paths, desired, planned, context } = await world();
    // a step after the failing init, of the same destination: must be skipped
    const prune: Action = {
      op: 'retention.prune',
      id: 'retention/usb',
      kind: 'retention',
      destination: 'usb',
      archives: ['jon-usb-2026-03-01T01:00:00'],
      kept: 0,
      total: 1,
      effect: 'destructive',
      summary: 'prune',
    };
    const init = planned.actions.findIndex((a) => a.op === 'repository.init');
    planned.actions.splice(init + 1, 0, prune);
    const clock = new Date('2031-01-02T03:04:05.000Z');
    const seen: string[] = [];

    const result = await apply(
      { ...context, now: () => clock, onAction: (action) => seen.push(action.id) },
      desired,
      planned,
      emptyLedger(),
    );

    expect(result.errors.map((e) => [e.id, e.destination])).toEqual([['repository/usb', 'usb']]);
    expect(result.errors[0]?.message).toMatch(/^repository\/usb: /);
    expect(result.done.map((a) => a.op)).toEqual([
      'secret.create',
      'hook.write',
      'hook.write',
      'schedule.install',
    ]);
    expect(seen).not.toContain('retention/usb');
    expect(result.borgProcesses).toBe(1);

    const ledger = await readLedger(paths.ledger);
    expect(Object.keys(ledger.entries)).toEqual([
      'hook/post-restore-linkding',
      'hook/pre-backup-linkding',
      'schedule/usb',
      // the generated passphrase is recorded (the re-init guard tells it from a repository's)
      'secret/usb',
    ]);
    expect(Object.values(ledger.entries).map((e) => e.appliedAt)).toEqual(Array(4).fill(clock.toISOString()));
    expect(ledger.machine).toBe('jon');
    expect(await readFile(join(paths.hooksDir, 'pre-backup-linkding'), 'utf8')).toContain(
      'pre-backup linkding',
    );
  });

  it('changes nothing when a guard the user did not allow trips', async () => {
    const { paths, desired, planned, context } = await world();
    planned.refusals.push({ guard: 'reinit', id: 'repository/usb', message: 'usb: reinit' });
    await expect(apply(context, desired, planned, emptyLedger())).rejects.toMatchObject({ code: 'E_GUARD' });
    await expect(readFile(paths.ledger, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(readFile(join(paths.hooksDir, 'pre-backup-linkding'), 'utf8')).rejects.toMatchObject({
      code: 'ENOENT',
    });
    await expect(
      apply({ ...context, allow: new Set(['reinit']) }, desired, planned, emptyLedger()),
    ).resolves.toBeDefined();
  });
});
