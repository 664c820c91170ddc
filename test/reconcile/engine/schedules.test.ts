import { mkdir, readdir, readFile, readlink, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apply } from '../../../reconcile/engine/apply.js';
import { type ConvergeOptions, makePlan, runApply } from '../../../reconcile/engine/converge.js';
import type { GuardName } from '../../../reconcile/engine/model.js';
import type { SchedulerChoice } from '../../../reconcile/engine/schedulers.js';
import { renderPlanText } from '../../../reconcile/render/plan-text.js';
import { createBorg } from '../../../src/borg/adapter.js';
import { staggerOffset } from '../../../src/desired/stagger.js';
import { readLedger } from '../../../src/host/ledger.js';
import { hostPaths } from '../../../src/host/paths.js';
import { readScheduleTable } from '../../../src/host/schedulers/embedded.js';
import { silentLogger } from '../../../src/log.js';
import { formatDuration } from '../../../src/util/duration.js';
import { localConfig } from '../../helpers/fleet.js';
import { gitRepo, type TestRepo } from '../../helpers/git.js';
import { tempDir } from '../../helpers/temp.js';
import { hasSystemdAnalyze, verifyUnits } from '../../src/host/schedulers/systemd-analyze-verify.js';

interface World {
  repo: TestRepo;
  root: string;
  repos: string;
  units: string;
  link(destination: string): string;
  options(scheduler?: SchedulerChoice, machine?: string): ConvergeOptions;
  apply(scheduler?: SchedulerChoice, allow?: GuardName[]): ReturnType<typeof runApply>;
  plan(scheduler?: SchedulerChoice): Promise<Awaited<ReturnType<typeof makePlan>>['plan']>;
}

async function world(files: Record<string, string>, root?: string, repos?: string): Promise<World> {
  const base = await tempDir('borgops-schedules-');
  const repo = await gitRepo(files);
  return worldOf(repo, root ?? join(base, 'root'), repos ?? join(base, 'repos'));
}

async function worldOf(repo: TestRepo, root: string, repos: string): Promise<World> {
  await mkdir(repos, { recursive: true });
  const stateDir = join(root, 'var/lib/borgops');
  const borg = createBorg({
    env: { ...process.env, BORG_BASE_DIR: join(stateDir, 'borg') },
    logger: silentLogger(),
  });
  const options = (scheduler: SchedulerChoice = 'systemd', machine = 'jon'): ConvergeOptions => ({
    source: repo.dir,
    ref: 'HEAD',
    worktree: false,
    machine,
    root,
    stateDir,
    refresh: false,
    scheduler,
    logger: silentLogger(),
    borg,
    // systemd is not PID 1 here, and --root is not / anyway: units are files only
    schedulerHost: { systemdRunning: false },
  });
  const units = join(root, 'etc/systemd/system');
  return {
    repo,
    root,
    repos,
    units,
    link: (destination) => join(units, 'timers.target.wants', `borgbackup-job-${destination}.timer`),
    options,
    apply: (scheduler, allow = []) => runApply({ ...options(scheduler), allow: new Set(allow) }),
    plan: async (scheduler) => (await makePlan(options(scheduler))).plan,
  };
}

/** The backup jobs' cases: the checks and drills next to them are off (their own case is below). */
function backupsOnly(repos: Record<string, string>, extra: Record<string, unknown> = {}) {
  return localConfig(repos, { verify: { check: false, drill: false }, ...extra });
}

async function unitFiles(units: string): Promise<string[]> {
  try {
    return (await readdir(units)).filter((name) => name.startsWith('borgbackup-job-')).sort();
  } catch {
    return [];
  }
}

function inventoryWith(repos: string, destinations: string[], extra: Record<string, unknown> = {}) {
  return backupsOnly(Object.fromEntries(destinations.map((d) => [d, join(repos, d)])), extra)[
    'inventory.json'
  ]!;
}

describe('schedules end to end under a temporary root (real git, real borg, systemd units as files)', () => {
  it('says the state is gone, not the destination, when the state file is deleted', async () => {
    const base = await tempDir('borgops-schedules-');
    const repos = join(base, 'repos');
    const repo = await gitRepo(localConfig({ local: join(repos, 'local') }));
    const w = await worldOf(repo, join(base, 'root'), repos);
    expect((await w.apply()).result.errors).toEqual([]);
    await repo.commit({ 'machines/jon/state.yaml': null });
    const summaries = (await w.plan()).actions.filter((a) => a.kind === 'schedule').map((a) => a.summary);
    expect(summaries).toEqual([
      'remove the systemd check job of local (no state to back up any more)',
      'remove the systemd drill job of local (no state to back up any more)',
      'remove the systemd job of local (no state to back up any more)',
    ]);
  });

  it('installs units that change with startAt, restores drift, and removes them with their destination', async () => {
    const base = await tempDir('borgops-schedules-');
    const repos = join(base, 'repos');
    const repo = await gitRepo(backupsOnly({ local: join(repos, 'local') }));
    const w = await worldOf(repo, join(base, 'root'), repos);

    const first = await w.apply();
    expect(first.result.errors).toEqual([]);
    expect(first.planned.plan.notes).toContain(
      `--root is ${w.root}: the units are written and enabled as files under it; systemctl is not run`,
    );
    expect(await unitFiles(w.units)).toEqual(['borgbackup-job-local.service', 'borgbackup-job-local.timer']);
    expect(await readlink(w.link('local'))).toBe('/etc/systemd/system/borgbackup-job-local.timer');
    const timer = join(w.units, 'borgbackup-job-local.timer');
    const service = join(w.units, 'borgbackup-job-local.service');
    expect(await readFile(timer, 'utf8')).toContain('OnCalendar=*-*-* 01:00:00\nPersistent=true\n');
    expect(await readFile(service, 'utf8')).toContain(
      ` backups create jon --destination local --root ${w.root} --state-dir ${join(w.root, 'var/lib/borgops')}\n`,
    );
    expect((await readLedger(hostPaths(w.root).ledger)).entries['schedule/local']).toMatchObject({
      kind: 'schedule',
      backend: 'systemd',
      paths: [service, timer, w.link('local')],
    });
    expect((await w.plan()).actions).toEqual([]);
    if (hasSystemdAnalyze) expect(verifyUnits([service, timer])).toEqual({ exitCode: 0, output: '' });

    // a new startAt: only the timer changes, shown as a unit-file diff
    await repo.commit({
      'inventory.json': inventoryWith(repos, ['local'], { startAt: ['03:00', 'Sat 12:00'] }),
    });
    const changed = await w.plan();
    expect(changed.actions.map((a) => `${a.effect} ${a.id}`)).toEqual(['mutating schedule/local']);
    const text = renderPlanText(changed, { color: false });
    expect(text).toContain(
      `  ~ schedule/local  update the systemd job of local\n      --- ${timer}\tcurrent\n      +++ ${timer}\tdeclared\n`,
    );
    expect(text).toContain(
      '      -# startAt "*-*-* 01:00:00", no stagger\n      -OnCalendar=*-*-* 01:00:00\n',
    );
    expect(text).toContain('      +OnCalendar=03:00\n      +OnCalendar=Sat 12:00\n');
    expect(text).not.toContain(`--- ${service}`);
    await w.apply();
    expect(await readFile(timer, 'utf8')).toContain(
      'OnCalendar=03:00\nOnCalendar=Sat 12:00\nPersistent=true\n',
    );

    // a hand-edited service is drift: plan shows it, apply restores it
    const declared = await readFile(service, 'utf8');
    await writeFile(service, declared.replace('Nice=19', 'Nice=0'));
    const drift = await w.plan();
    expect(drift.actions.map((a) => `${a.effect} ${a.id}`)).toEqual(['mutating schedule/local']);
    expect(renderPlanText(drift, { color: false })).toContain('      -Nice=0\n      +Nice=19\n');
    await w.apply();
    expect(await readFile(service, 'utf8')).toBe(declared);

    // a disabled timer (systemctl disable removes the symlink) is re-enabled; a deleted unit comes back
    await rm(w.link('local'));
    await rm(timer);
    const disabled = await w.plan();
    expect(disabled.actions.map((a) => a.summary)).toEqual([
      'update the systemd job of local and re-activate it: the timer is disabled (no timers.target.wants/borgbackup-job-local.timer)',
    ]);
    await w.apply();
    expect(await readlink(w.link('local'))).toBe('/etc/systemd/system/borgbackup-job-local.timer');
    await rm(w.link('local'));
    expect((await w.plan()).actions.map((a) => a.summary)).toEqual([
      're-activate the systemd job of local: the timer is disabled (no timers.target.wants/borgbackup-job-local.timer)',
    ]);
    await w.apply();
    expect((await w.plan()).actions).toEqual([]);

    // a second destination gets its job; renaming it removes the old job and installs the new one
    await repo.commit({ 'inventory.json': inventoryWith(repos, ['local', 'usb']) });
    await w.apply();
    expect(await unitFiles(w.units)).toEqual([
      'borgbackup-job-local.service',
      'borgbackup-job-local.timer',
      'borgbackup-job-usb.service',
      'borgbackup-job-usb.timer',
    ]);
    await repo.commit({ 'inventory.json': inventoryWith(repos, ['local', 'usbdisk']) });
    const renamed = await w.plan();
    expect(
      renamed.actions.filter((a) => a.kind === 'schedule').map((a) => `${a.effect} ${a.op} ${a.id}`),
    ).toEqual(['additive schedule.install schedule/usbdisk', 'destructive schedule.remove schedule/usb']);
    expect(renderPlanText(renamed, { color: false })).toContain(
      `  - schedule/usb${' '.repeat(8)}remove the systemd job of usb (its destination is gone)\n      --- ${join(w.units, 'borgbackup-job-usb.service')}\tcurrent\n`,
    );
    await w.apply();
    expect(await unitFiles(w.units)).toEqual([
      'borgbackup-job-local.service',
      'borgbackup-job-local.timer',
      'borgbackup-job-usbdisk.service',
      'borgbackup-job-usbdisk.timer',
    ]);
    expect((await readdir(join(w.units, 'timers.target.wants'))).sort()).toEqual([
      'borgbackup-job-local.timer',
      'borgbackup-job-usbdisk.timer',
    ]);
    expect(
      Object.keys((await readLedger(hostPaths(w.root).ledger)).entries).filter((id) =>
        id.startsWith('schedule/'),
      ),
    ).toEqual(['schedule/local', 'schedule/usbdisk']);
    expect((await w.plan()).actions).toEqual([]);
  });

  it('switching backends removes the jobs of the old one, both ways', async () => {
    const base = await tempDir('borgops-schedules-');
    const repos = join(base, 'repos');
    const w = await world(
      backupsOnly({ local: join(repos, 'local') }, { stagger: '1h' }),
      join(base, 'root'),
      repos,
    );
    const table = hostPaths(w.root).schedule;

    await w.apply('embedded');
    expect(Object.keys((await readScheduleTable(table)).jobs)).toEqual(['local']);
    expect(await unitFiles(w.units)).toEqual([]);

    const toSystemd = await w.plan('systemd');
    expect(toSystemd.actions.map((a) => `${a.op} ${a.id}: ${a.summary}`)).toEqual([
      `schedule.install schedule/local: install a systemd job for local (*-*-* 01:00:00, stagger +${formatDuration(staggerOffset('jon', 'local', 3600))})`,
      'schedule.remove schedule/local@embedded: remove the embedded job of local (the scheduler is now systemd)',
    ]);
    await w.apply('systemd');
    expect((await readScheduleTable(table)).jobs).toEqual({});
    expect(await unitFiles(w.units)).toEqual(['borgbackup-job-local.service', 'borgbackup-job-local.timer']);
    expect(
      Object.keys((await readLedger(hostPaths(w.root).ledger)).entries).filter((id) =>
        id.startsWith('schedule/'),
      ),
    ).toEqual(['schedule/local']);
    expect((await w.plan('systemd')).actions).toEqual([]);

    await w.apply('embedded');
    expect(await unitFiles(w.units)).toEqual([]);
    expect(await readdir(join(w.units, 'timers.target.wants'))).toEqual([]);
    const row = (await readScheduleTable(table)).jobs.local;
    const offset = staggerOffset('jon', 'local', 3600);
    expect(row).toMatchObject({ startAt: ['*-*-* 01:00:00'], staggerSeconds: offset });
    expect((await w.plan('embedded')).actions).toEqual([]);
    // auto is embedded here: systemd is not PID 1
    expect((await w.plan('auto')).actions).toEqual([]);
  });

  it('remembers the old backend in the ledger until its job is really removed (no orphaned timer)', async () => {
    const base = await tempDir('borgops-schedules-');
    const repos = join(base, 'repos');
    const w = await world(backupsOnly({ local: join(repos, 'local') }), join(base, 'root'), repos);
    const paths = hostPaths(w.root);
    await w.apply('embedded');

    const planned = await makePlan(w.options('systemd'));
    // the old backend fails to remove its job: its table cannot be read
    await rename(paths.schedule, `${paths.schedule}.moved`);
    await mkdir(paths.schedule);
    const result = await apply(
      {
        paths,
        borg: w.options().borg,
        scheduler: planned.schedulers.active,
        schedulers: planned.schedulers.all,
        logger: silentLogger(),
        allow: new Set(),
      },
      planned.desired,
      planned.plan,
      await readLedger(paths.ledger),
    );
    expect(result.errors.map((e) => e.id)).toEqual(['schedule/local@embedded']);
    expect(await unitFiles(w.units)).toEqual(['borgbackup-job-local.service', 'borgbackup-job-local.timer']);
    const ledger = (await readLedger(paths.ledger)).entries;
    expect(ledger['schedule/local']?.backend).toBe('systemd');
    expect(ledger['schedule/local@embedded']?.backend).toBe('embedded');

    await rm(paths.schedule, { recursive: true });
    await rename(`${paths.schedule}.moved`, paths.schedule);
    expect((await w.plan('systemd')).actions.map((a) => a.id)).toEqual(['schedule/local@embedded']);
    await w.apply('systemd');
    expect((await readScheduleTable(paths.schedule)).jobs).toEqual({});
    expect(
      Object.keys((await readLedger(paths.ledger)).entries).filter((id) => id.startsWith('schedule/')),
    ).toEqual(['schedule/local']);
  });

  it('gives a machine with no state no jobs, and removes them when its last state goes (with consent)', async () => {
    const base = await tempDir('borgops-schedules-');
    const repos = join(base, 'repos');
    const files = backupsOnly({ local: join(repos, 'local') });
    const w = await world({ 'inventory.json': files['inventory.json']! }, join(base, 'root'), repos);
    const fresh = await w.apply();
    expect(fresh.planned.desired.destinations).toEqual([]);
    expect(fresh.result.done.filter((a) => a.kind === 'schedule')).toEqual([]);
    expect(await unitFiles(w.units)).toEqual([]);

    await w.repo.commit({ 'machines/jon/state.yaml': files['machines/jon/state.yaml']! });
    await w.apply();
    expect(await unitFiles(w.units)).toEqual(['borgbackup-job-local.service', 'borgbackup-job-local.timer']);

    await w.repo.commit({ 'machines/jon/state.yaml': null });
    await expect(w.apply()).rejects.toThrow(/refused by 1 safety guard/);
    expect(await unitFiles(w.units)).toHaveLength(2);
    const removed = await w.apply('systemd', ['remove-all']);
    expect(removed.result.done.map((a) => `${a.op} ${a.id}`)).toContain('schedule.remove schedule/local');
    expect(await unitFiles(w.units)).toEqual([]);
  });

  it('gives two hosts different, stable stagger slots, shown in the plan', async () => {
    const base = await tempDir('borgops-schedules-');
    const repos = join(base, 'repos');
    const destinations = { local: { repo: join(repos, 'local') } };
    const inventory = {
      instances: {
        borgbackup: {
          module: { name: 'borgbackup', input: 'clan-core' },
          roles: {
            client: {
              settings: { destinations, stagger: '1h' },
              machines: { jon: {}, sansa: {} },
            },
          },
        },
      },
    };
    const state = 'state:\n  app:\n    folders: [/srv/app]\n';
    const repo = await gitRepo({
      'inventory.json': JSON.stringify(inventory),
      'machines/jon/state.yaml': state,
      'machines/sansa/state.yaml': state,
    });
    const slot = (machine: string) => {
      const offset = staggerOffset(machine, 'local', 3600);
      return `*-*-* 01:${String(Math.floor(offset / 60)).padStart(2, '0')}:${String(offset % 60).padStart(2, '0')}`;
    };
    expect(slot('jon')).not.toBe(slot('sansa'));
    const timers: Record<string, string[]> = {};
    for (const machine of ['jon', 'sansa', 'jon']) {
      // every run on a fresh root: the slot depends only on machine and destination
      const w = await worldOf(repo, join(base, `root-${machine}-${Object.keys(timers).length}`), repos);
      const planned = (await makePlan(w.options('systemd', machine))).plan;
      const install = planned.actions.find((a) => a.id === 'schedule/local');
      const timer =
        install?.op === 'schedule.install' ? install.diffs.find((d) => d.path.endsWith('.timer')) : undefined;
      const offset = staggerOffset(machine, 'local', 3600);
      expect(timer?.after).toContain(
        `+ this host's stagger of ${formatDuration(offset)} (${offset}s)\nOnCalendar=${slot(machine)}\n`,
      );
      timers[machine] = [...(timers[machine] ?? []), timer?.after ?? ''];
      // the drill next to it has the same stagger (a fleet's drills do not all start at once)
      const drill = planned.actions.find((a) => a.id === 'schedule/drill:local');
      const drillTimer =
        drill?.op === 'schedule.install' ? drill.diffs.find((d) => d.path.endsWith('.timer')) : undefined;
      expect(drillTimer?.after).toContain(
        `+ this host's stagger of ${formatDuration(offset)} (${offset}s)\n`,
      );
    }
    expect(timers.jon).toHaveLength(2);
    expect(timers.jon![0]).toBe(timers.jon![1]);
    expect(timers.sansa![0]).not.toBe(timers.jon![0]);
  });

  it('installs check and drill jobs as their own units next to the backup job, and removes one turned off', async () => {
    const base = await tempDir('borgops-schedules-');
    const repos = join(base, 'repos');
    const repo = await gitRepo(
      localConfig({ local: join(repos, 'local') }, { verify: { verifyData: 'Sun 04:00', drill: 'weekly' } }),
    );
    const w = await worldOf(repo, join(base, 'root'), repos);
    const first = await w.apply();
    expect(first.result.errors).toEqual([]);
    const names = (await readdir(w.units)).filter((n) => n.startsWith('borgbackup-')).sort();
    expect(names).toEqual([
      'borgbackup-check-local.service',
      'borgbackup-check-local.timer',
      'borgbackup-drill-local.service',
      'borgbackup-drill-local.timer',
      'borgbackup-job-local.service',
      'borgbackup-job-local.timer',
      'borgbackup-verify-data-local.service',
      'borgbackup-verify-data-local.timer',
    ]);
    expect((await readdir(join(w.units, 'timers.target.wants'))).sort()).toEqual(
      names.filter((n) => n.endsWith('.timer')),
    );
    const unit = (name: string) => readFile(join(w.units, name), 'utf8');
    const stateDir = join(w.root, 'var/lib/borgops');
    expect(await unit('borgbackup-check-local.service')).toContain(
      ` check jon --destination local --root ${w.root} --state-dir ${stateDir}\n`,
    );
    expect(await unit('borgbackup-verify-data-local.service')).toContain(
      ` check jon --destination local --verify-data --root ${w.root}`,
    );
    expect(await unit('borgbackup-drill-local.service')).toContain(
      ` drill jon --destination local --root ${w.root}`,
    );
    expect(await unit('borgbackup-drill-local.service')).toContain(
      'Description=restore drill of jon of local',
    );
    expect(await unit('borgbackup-check-local.timer')).toContain('OnCalendar=monthly\n');
    expect(await unit('borgbackup-drill-local.timer')).toContain('OnCalendar=weekly\n');
    expect(await unit('borgbackup-drill-local.timer')).toContain('Unit=borgbackup-drill-local.service\n');
    if (hasSystemdAnalyze)
      expect(verifyUnits(names.map((n) => join(w.units, n)))).toEqual({ exitCode: 0, output: '' });
    expect((await w.plan()).actions).toEqual([]);

    // the weekly drill turned off: its units go, the others stay
    await repo.commit({
      'inventory.json': localConfig(
        { local: join(repos, 'local') },
        { verify: { verifyData: 'Sun 04:00', drill: false } },
      )['inventory.json']!,
    });
    const off = await w.plan();
    expect(off.actions.map((a) => `${a.effect} ${a.id}: ${a.summary}`)).toEqual([
      'destructive schedule/drill:local: remove the systemd drill job of local (no drill is declared for it)',
    ]);
    await w.apply();
    expect((await readdir(w.units)).filter((n) => n.startsWith('borgbackup-drill-'))).toEqual([]);
    expect(await readdir(join(w.units, 'timers.target.wants'))).not.toContain('borgbackup-drill-local.timer');

    // moved to the embedded table, under their keys
    await w.apply('embedded');
    expect(Object.keys((await readScheduleTable(hostPaths(w.root).schedule)).jobs)).toEqual([
      'check:local',
      'local',
      'verify-data:local',
    ]);
    expect((await readdir(w.units)).filter((n) => n.startsWith('borgbackup-'))).toEqual([]);
    expect((await w.plan('embedded')).actions).toEqual([]);
  });
});
