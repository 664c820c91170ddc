import { describe, expect, it } from 'vitest';
import type { ActualMachine } from '../../../reconcile/engine/model.js';
import { plan } from '../../../reconcile/engine/plan.js';
import { renderPlanText } from '../../../reconcile/render/plan-text.js';
import { compile } from '../../../src/desired/compile.js';
import type { DesiredMachine } from '../../../src/desired/types.js';
import { emptyLedger, type Ledger } from '../../../src/host/ledger.js';
import { declarationsOf } from '../../helpers/declarations.js';
import { localConfig } from '../../helpers/fleet.js';
import { observed, planOptions } from '../../helpers/plan.js';

// Unit tests of the pure planner with hand-made observations; the integration tests run real borg.
const options = planOptions();
const { paths } = options;

function desiredOf(extra: Record<string, unknown> = {}): DesiredMachine {
  return compile(declarationsOf(localConfig({ local: '/srv/borg/local' }, extra)), 'jon');
}

function emptyActual(overrides: Partial<ActualMachine> = {}): ActualMachine {
  return observed({
    repositories: { local: { state: 'missing', via: 'borg' } },
    secrets: { local: { passphrase: false, key: false } },
    ...overrides,
  });
}

function converged(desired: DesiredMachine, ledger: Ledger = emptyLedger()): ActualMachine {
  const hooks = Object.fromEntries(desired.hooks.map((h) => [h.name, { content: h.content, mode: 0o700 }]));
  const schedules = Object.fromEntries(
    desired.destinations.map((d) => [
      d.name,
      {
        destination: d.name,
        active: true,
        files: options.renderJob({
          machine: 'jon',
          destination: d.name,
          startAt: d.startAt,
          staggerSeconds: d.staggerSeconds,
          command: options.jobCommand(d.name),
        }),
      },
    ]),
  );
  return emptyActual({
    repositories: { local: { state: 'recorded', via: 'ledger' } },
    hooks,
    secrets: { local: { passphrase: true, key: true } },
    schedules,
    ledger,
  });
}

function archives(times: string[]) {
  return times.map((time, i) => ({
    name: `jon-local-${time}`,
    id: `${i}`.padStart(64, '0'),
    start: `${time}.000000`,
  }));
}

describe('plan (pure)', () => {
  it('plans a fresh machine: secret, init, hooks and schedule, all additive', () => {
    const result = plan(desiredOf(), emptyActual(), options);
    expect(result.actions.map((a) => `${a.effect} ${a.op} ${a.id}`)).toEqual([
      'additive secret.create secret/local',
      'additive repository.init repository/local',
      'additive key-export.create key-export/local',
      'additive hook.write hook/post-restore-linkding',
      'additive hook.write hook/pre-backup-linkding',
      'additive schedule.install schedule/local',
    ]);
    expect(result.summary).toEqual({ add: 6, change: 0, destroy: 0, archives: 0 });
    expect(result.errors).toEqual([]);
  });

  it('is empty when everything is converged, with a stable fingerprint', () => {
    const desired = desiredOf();
    const first = plan(desired, converged(desired), options);
    expect(first.actions).toEqual([]);
    const second = plan(desired, converged(desired), { ...options, now: new Date('2030-01-01T00:00:00Z') });
    expect(second.fingerprint).toBe(first.fingerprint);
    expect(renderPlanText(first, { color: false })).toContain(
      'No changes: jon is converged at 0123456789ab.',
    );
  });

  it('changes the fingerprint when anything observed moves', () => {
    const desired = desiredOf();
    const actual = converged(desired);
    const edited = structuredClone(actual);
    edited.hooks['pre-backup-linkding'] = { content: 'tampered', mode: 0o700 };
    expect(plan(desired, edited, options).fingerprint).not.toBe(plan(desired, actual, options).fingerprint);
  });

  it('rewrites a hand-edited hook with a unified diff, and restores a wrong mode', () => {
    const desired = desiredOf();
    const actual = converged(desired);
    actual.hooks['pre-backup-linkding'] = {
      content: desired.hooks[1]!.content.replace('pre-backup linkding', 'edited'),
      mode: 0o700,
    };
    actual.hooks['post-restore-linkding'] = { content: desired.hooks[0]!.content, mode: 0o755 };
    const result = plan(desired, actual, options);
    expect(result.actions.map((a) => `${a.effect} ${a.id} ${a.summary}`)).toEqual([
      'mutating hook/post-restore-linkding restore mode 0700 of /tmp/root/var/lib/borgops/hooks/post-restore-linkding',
      'mutating hook/pre-backup-linkding update /tmp/root/var/lib/borgops/hooks/pre-backup-linkding',
    ]);
    const text = renderPlanText(result, { color: false });
    expect(text).toContain(
      '  ~ hook/pre-backup-linkding    update /tmp/root/var/lib/borgops/hooks/pre-backup-linkding',
    );
    expect(text).toContain('      -echo "edited"\n      +echo "pre-backup linkding"');
    expect(text).toContain('Plan: 0 to add, 2 to change, 0 to destroy.');
  });

  it('removes only hooks and jobs it created when their declarations go, and leaves foreign files alone', () => {
    const desired = desiredOf();
    const ledger: Ledger = {
      version: 1,
      entries: {
        'hook/pre-backup-old': { kind: 'hook', appliedAt: 'x' },
        'schedule/gone': { kind: 'schedule', backend: 'embedded', appliedAt: 'x' },
        'repository/gone': { kind: 'repository', spec: 'x', appliedAt: 'x' },
      },
    };
    const actual = converged(desired, ledger);
    actual.hooks['pre-backup-old'] = { content: '#!/bin/sh\necho old\n', mode: 0o700 };
    actual.schedules.gone = {
      destination: 'gone',
      active: true,
      files: [{ path: `${paths.schedule}#gone`, content: '{}\n' }],
    };
    const result = plan(desired, actual, options);
    expect(result.actions.map((a) => `${a.effect} ${a.op} ${a.id}`)).toEqual([
      'destructive hook.remove hook/pre-backup-old',
      'destructive schedule.remove schedule/gone',
    ]);
    expect(result.notes).toEqual([
      `repository/gone is no longer declared: the repository and its archives are left in place (borgops never deletes a repository); its secrets stay in ${paths.secretsDir}`,
    ]);
  });

  it('removes a job of the previous backend until it is gone, and forgets jobs already gone', () => {
    const desired = desiredOf();
    const ledger: Ledger = {
      version: 1,
      entries: {
        'schedule/local': { kind: 'schedule', backend: 'embedded', appliedAt: 'x' },
        // an earlier switch whose removal failed: the systemd job is still remembered
        'schedule/local@systemd': { kind: 'schedule', backend: 'systemd', appliedAt: 'x' },
        'schedule/gone': { kind: 'schedule', backend: 'embedded', appliedAt: 'x' },
      },
    };
    const actual = converged(desired, ledger);
    actual.schedules['systemd:local'] = {
      destination: 'local',
      active: false,
      files: [{ path: '/tmp/root/etc/systemd/system/borgbackup-job-local.timer', content: '[Timer]\n' }],
    };
    const result = plan(desired, actual, options);
    expect(result.actions.map((a) => `${a.effect} ${a.id}: ${a.summary}`)).toEqual([
      'destructive schedule/local@systemd: remove the systemd job of local (the scheduler is now embedded)',
      'destructive schedule/gone: forget the embedded job of gone: it is already gone',
    ]);
    expect(result.actions[0]).toMatchObject({
      op: 'schedule.remove',
      destination: 'local',
      backend: 'systemd',
    });
  });

  it('re-activates an inactive job and says why, with no diff when its files are as declared', () => {
    const desired = desiredOf();
    const actual = converged(desired);
    actual.schedules.local = { ...actual.schedules.local!, active: false, reason: 'the timer is disabled' };
    const [action] = plan(desired, actual, options).actions;
    expect(action).toMatchObject({
      op: 'schedule.install',
      effect: 'mutating',
      summary: 're-activate the embedded job of local: the timer is disabled',
      diffs: [],
    });
  });

  it("prunes only this machine and destination's archives and names every one", () => {
    const desired = desiredOf({ prune: { keep: { daily: 2 } } });
    const actual = converged(desired);
    const own = archives([
      '2026-03-01T01:00:00',
      '2026-03-02T01:00:00',
      '2026-03-03T01:00:00',
      '2026-03-04T01:00:00',
      '2026-03-05T01:00:00',
    ]);
    const neighbours = [
      { name: 'sara-local-2026-03-01T01:00:00', id: 'n1', start: '2026-03-01T01:00:00.000000' },
      { name: 'jon-local-x-2026-03-01T01:00:00', id: 'n2', start: '2026-03-01T01:00:00.000000' },
      { name: 'jon-local-2026-02-01T01:00:00.checkpoint', id: 'n3', start: '2026-02-01T01:00:00.000000' },
      { name: 'jon-local-2026-02-02T01:00:00.failed', id: 'n4', start: '2026-02-02T01:00:00.000000' },
    ];
    actual.repositories.local = { state: 'present', via: 'borg', archives: [...own, ...neighbours] };
    const result = plan(desired, actual, options);
    const prune = result.actions.find((a) => a.op === 'retention.prune');
    expect(prune).toMatchObject({
      archives: [
        'jon-local-2026-03-03T01:00:00',
        'jon-local-2026-03-02T01:00:00',
        'jon-local-2026-03-01T01:00:00',
      ],
      kept: 2,
      total: 5,
      effect: 'destructive',
    });
    expect(result.refusals.map((r) => r.guard)).toEqual(['large-prune']);
    const text = renderPlanText(result, { color: false });
    expect(text).toContain('      - jon-local-2026-03-01T01:00:00');
    expect(text).toContain('Plan: 0 to add, 0 to change, 1 to destroy (3 archives pruned).');
  });

  it('refuses to prune a destination to nothing and to remove every destination', () => {
    const desired = desiredOf({ prune: { keep: { within: '1d' } } });
    const actual = converged(desired);
    actual.repositories.local = {
      state: 'present',
      via: 'borg',
      archives: archives(['2026-01-01T01:00:00']),
    };
    expect(plan(desired, actual, options).refusals.map((r) => r.guard)).toEqual(['prune-all']);

    const none = compile(
      declarationsOf({
        ...localConfig({ local: '/srv/borg/local' }),
        'machines/jon/state.yaml': 'state: {}\n',
      }),
      'jon',
    );
    const ledger: Ledger = {
      version: 1,
      entries: { 'schedule/local': { kind: 'schedule', backend: 'embedded', appliedAt: 'x' } },
    };
    expect(plan(none, converged(desired, ledger), options).refusals.map((r) => r.guard)).toEqual([
      'remove-all',
    ]);
  });

  it('never initializes a repository that failed to be read, and refuses to re-create one it made before', () => {
    const desired = desiredOf();
    const locked = emptyActual({
      repositories: {
        // as the adapter words it: the destination first (the plan does not name it twice)
        local: { state: 'failed', via: 'borg', failure: 'locked', message: 'local: repository is locked' },
      },
    });
    const result = plan(desired, locked, options);
    expect(result.actions.some((a) => a.kind === 'repository' || a.kind === 'secret')).toBe(false);
    expect(result.errors).toEqual([
      { id: 'repository/local', destination: 'local', message: 'local: repository is locked' },
    ]);

    const gone = emptyActual({
      ledger: {
        version: 1,
        entries: { 'repository/local': { kind: 'repository', spec: 'x', appliedAt: 'x' } },
      },
    });
    expect(plan(desired, gone, options).refusals.map((r) => r.guard)).toEqual(['reinit']);
  });

  it('reports a lost passphrase of an existing repository instead of generating a new one', () => {
    const desired = desiredOf();
    const actual = converged(desired);
    actual.secrets.local = { passphrase: false, key: false };
    const result = plan(desired, actual, options);
    expect(result.actions.filter((a) => a.kind === 'secret')).toEqual([]);
    expect(result.errors[0]?.message).toMatch(
      /^local: the repository exists but its passphrase file .* is missing/,
    );
  });

  it('plans each destination through its secret, init and prune before the next destination', () => {
    const desired = compile(
      declarationsOf(localConfig({ a: '/srv/borg/a', b: '/srv/borg/b' }, { prune: { keep: { daily: 2 } } })),
      'jon',
    );
    const times = ['2026-03-01T01:00:00', '2026-03-02T01:00:00', '2026-03-03T01:00:00'];
    const actual = emptyActual({
      repositories: {
        a: {
          state: 'present',
          via: 'borg',
          archives: times.map((time, i) => ({
            name: `jon-a-${time}`,
            id: `${i}`.padStart(64, '0'),
            start: `${time}.000000`,
          })),
        },
        b: { state: 'missing', via: 'borg' },
      },
      secrets: { a: { passphrase: true, key: true }, b: { passphrase: false, key: false } },
    });
    const result = plan(desired, actual, options);
    // destination order first, kind order within a destination (not all secrets, then all inits, then prunes)
    expect(result.actions.filter((a) => a.kind !== 'hook' && a.kind !== 'schedule').map((a) => a.id)).toEqual(
      ['retention/a', 'secret/b', 'repository/b', 'key-export/b'],
    );
  });
});
