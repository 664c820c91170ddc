import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackups } from '../../../reconcile/operations/backups-create.js';
import { archiveTimestamp } from '../../../src/config/names.js';
import { compile } from '../../../src/desired/compile.js';
import { loadApplied } from '../../../src/host/applied.js';
import { readRuns } from '../../../src/host/runs.js';
import { borgTarget } from '../../../src/host/targets.js';
import { silentLogger } from '../../../src/log.js';
import { type AppliedWorld, appliedWorld, archiveNames, linkdingFiles } from '../../helpers/backups.js';

let world: AppliedWorld;

beforeAll(async () => {
  world = await appliedWorld({ files: linkdingFiles(['local']) });
  await mkdir(join(world.root, 'data/podman/linkding'), { recursive: true });
  await writeFile(join(world.root, 'data/podman/linkding/db.sqlite3'), 'bookmarks v1\n');
});
afterAll(async () => {
  await world.dispose();
});

async function hookLog(): Promise<string[]> {
  const text = await readFile(join(world.root, 'hooks.log'), 'utf8').catch(() => '');
  await rm(join(world.root, 'hooks.log'), { force: true });
  return text.split('\n').filter((line) => line !== '');
}

function run(options: { destination?: string } = {}) {
  return createBackups({
    paths: world.paths,
    borg: world.borg,
    logger: silentLogger(),
    machine: 'jon',
    ...options,
  });
}

describe('backups create (real borg, the applied declarations)', () => {
  it('runs no borg when a pre-backup script fails, names the state, and still runs every post-backup script', async () => {
    await writeFile(join(world.root, 'fail-pre-backup-linkding'), '');
    const before = world.borg.processCount;
    try {
      const result = await run();
      expect(world.borg.processCount - before).toBe(0);
      expect(result.preBackup.map((h) => [h.name, h.ok, h.error])).toEqual([
        ['pre-backup-linkding', false, 'exit code 3'],
      ]);
      expect(result.preBackup[0]?.output).toContain('pre-backup-linkding: refusing, as asked');
      expect(result.destinations).toEqual([
        expect.objectContaining({
          destination: 'local',
          status: 'skipped',
          error: { message: 'local: not backed up: pre-backup failed for linkding', failure: 'pre-backup' },
        }),
      ]);
      expect(result.postBackup.map((h) => [h.name, h.ok])).toEqual([
        ['post-backup-linkding', true],
        ['post-backup-notes', true],
      ]);
      expect((await hookLog()).map((line) => line.split(' ')[0])).toEqual([
        'pre-backup-linkding',
        'post-backup-linkding',
        'post-backup-notes',
      ]);
      const runs = await readRuns(world.paths.runs);
      expect(runs.destinations.local).toMatchObject({ failure: 'pre-backup', error: expect.any(String) });
      expect(runs.destinations.local?.lastSuccess).toBeUndefined();
    } finally {
      await rm(join(world.root, 'fail-pre-backup-linkding'));
    }
  });

  it('creates <name> directly, then prunes exactly what apply would: own archives and own leftovers only', async () => {
    const { desired } = await loadApplied(world.paths.applied).then(({ result }) => ({
      desired: compile(result.declarations!, 'jon'),
    }));
    const destination = desired.destinations[0]!;
    const target = borgTarget(destination, world.paths);
    const seed = join(world.dir, 'seed');
    await mkdir(join(seed, 'x'), { recursive: true });
    const day = new Date();
    day.setDate(day.getDate() - 10);
    const at = (hour: number) => new Date(day.getFullYear(), day.getMonth(), day.getDate(), hour, 0, 0);
    const old = (hour: number, name: string) =>
      world.borg.create(target, name, {
        paths: ['x'],
        cwd: seed,
        compression: 'none',
        exclude: [],
        timestamp: at(hour).toISOString().slice(0, 19),
      });
    const stamp = (hour: number) => archiveTimestamp(at(hour));
    await old(1, `jon-local-${stamp(1)}`);
    await old(2, `jon-local-${stamp(2)}`);
    await old(3, `jon-local-${stamp(3)}`);
    await old(4, `jon-local-${stamp(4)}.failed`);
    await old(5, `jon-local-${stamp(5)}.checkpoint`);
    await old(5, `sara-local-${stamp(5)}.checkpoint`);
    await old(1, `sara-local-${stamp(1)}`);
    await old(1, `jon-local-other-${stamp(1)}`);

    const before = world.borg.processCount;
    const result = await run({ destination: 'local' });
    // create (under the final name), list, delete (one process for all), compact
    expect(world.borg.processCount - before).toBe(4);
    const created = result.destinations[0]!;
    expect(created).toMatchObject({ destination: 'local', status: 'created', archives: 3 });
    expect(created.error).toBeUndefined();
    expect(created.archive).toMatch(/^jon-local-\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    expect(created.stats?.files).toBe(1);
    // daily #1 keeps 03:00 of that day, daily[oldest] the oldest archive (01:00), as borg prune would
    expect(created.pruned).toEqual([
      `jon-local-${stamp(2)}`,
      `jon-local-${stamp(4)}.failed`,
      `jon-local-${stamp(5)}.checkpoint`,
    ]);
    expect(created.warnings).toEqual([
      `/var/lib/zerotier-one does not exist (${join(world.root, 'var/lib/zerotier-one')}): state zerotier backed up nothing from it`,
    ]);
    expect(await archiveNames(world, 'local', destination.repo)).toEqual(
      [
        created.archive!,
        `jon-local-${stamp(1)}`,
        `jon-local-${stamp(3)}`,
        `jon-local-other-${stamp(1)}`,
        `sara-local-${stamp(1)}`,
        `sara-local-${stamp(5)}.checkpoint`,
      ].sort(),
    );
    // the archive holds the state folders as relative paths, read from <root>
    const listing = await world.rawBorg('local', [
      'list',
      '--short',
      `${destination.repo}::${created.archive}`,
    ]);
    expect(listing.stdout.split('\n').filter(Boolean).sort()).toEqual([
      'var/backup/linkding',
      'var/backup/linkding/db.sqlite3',
    ]);

    const log = await hookLog();
    expect(log[0]).toBe(`pre-backup-linkding machine=jon state=linkding name= folders= cwd=${world.root}`);
    const runs = await readRuns(world.paths.runs);
    const { known, ...record } = runs.destinations.local ?? {};
    expect(record).toEqual({
      lastAttempt: expect.any(String),
      lastSuccess: expect.any(String),
      archive: created.archive,
      durationSeconds: expect.any(Number),
      archives: 3,
      warnings: created.warnings,
    });
    // what the next run predicts retention from: the complete archives borg listed, minus the pruned
    expect(known?.archives.map((archive) => archive.name)).toEqual([
      `jon-local-${stamp(1)}`,
      `jon-local-${stamp(3)}`,
      created.archive,
    ]);
  });
});
