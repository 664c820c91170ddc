// `backups create` predicts retention from the last run's record and asks borg only when the
// prediction deletes something: these are the cases where the record is wrong or must not be
// trusted (real borg; archives deleted and added behind borgops' back).
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runApply } from '../../../reconcile/engine/converge.js';
import { RELIST_AFTER_MS, retentionRecord } from '../../../reconcile/operations/backup-destination.js';
import { createBackups } from '../../../reconcile/operations/backups-create.js';
import { repositoryFingerprint } from '../../../src/borg/repository-state.js';
import type { Borg } from '../../../src/borg/types.js';
import { readRuns, updateRun } from '../../../src/host/runs.js';
import { silentLogger } from '../../../src/log.js';
import { type AppliedWorld, appliedWorld, archiveNames, linkdingFiles } from '../../helpers/backups.js';

let world: AppliedWorld;
let repo: string;

/** linkding's declarations with `keep: { last: 2 }`: every third archive is a deletion. */
function keepLastTwo(): Record<string, string> {
  const files = linkdingFiles(['local']);
  const inventory = JSON.parse(files['inventory.json'] ?? '{}');
  inventory.instances.borgbackup.roles.client.machines.jon.settings.prune = { keep: { last: 2 } };
  return { ...files, 'inventory.json': JSON.stringify(inventory) };
}

beforeAll(async () => {
  world = await appliedWorld({ files: keepLastTwo() });
  repo = join(world.repos, 'local');
  await mkdir(join(world.root, 'data/podman/linkding'), { recursive: true });
  await writeFile(join(world.root, 'data/podman/linkding/db.sqlite3'), 'bookmarks\n');
});
afterAll(async () => {
  await world.dispose();
});

/** One backup run of `local` in `into`; returns its result and how many borg processes it started. */
async function backupIn(into: AppliedWorld, borg: Borg = into.borg) {
  const before = into.borg.processCount;
  const run = await createBackups({
    paths: into.paths,
    borg,
    logger: silentLogger(),
    machine: 'jon',
  });
  const result = run.destinations[0]!;
  expect(result.status).toBe('created');
  expect(result.error).toBeUndefined();
  // two archives never share a second: names are by the second
  await new Promise((resolve) => setTimeout(resolve, 1000));
  return { result, processes: into.borg.processCount - before };
}

function backup(borg: Borg = world.borg) {
  return backupIn(world, borg);
}

/** `borg` whose create does not report when the archive started (its processes still count on `borg`). */
function withoutStart(borg: Borg): Borg {
  const silent: Borg = Object.create(borg);
  silent.create = async (...args) => {
    const { start: _start, ...created } = await borg.create(...args);
    return created;
  };
  return silent;
}

async function known(): Promise<string[] | undefined> {
  return (await readRuns(world.paths.runs)).destinations.local?.known?.archives.map((a) => a.name);
}

describe('retention from the record (real borg)', () => {
  const names: string[] = [];

  it('lists on the first run (no record), then skips borg list while the record deletes nothing', async () => {
    const first = await backup();
    names.push(first.result.archive!);
    expect(first.processes).toBe(2); // create, list
    expect(first.result.retentionListed).toBe(true);
    expect(await known()).toEqual(names);

    const second = await backup();
    names.push(second.result.archive!);
    expect(second.processes).toBe(1); // create only
    expect(second.result).toMatchObject({ retentionListed: false, archives: 2, pruned: [] });
    expect(await known()).toEqual(names);
    expect(await archiveNames(world, 'local', repo)).toEqual([...names].sort());
  });

  it('records the repository state its last write left, and decides a deletion on the record while the repository is still in it', async () => {
    const recorded = (await readRuns(world.paths.runs)).destinations.local?.known?.fingerprint;
    expect(recorded).toBe(await repositoryFingerprint(repo));
    const third = await backup();
    // create, delete, compact: no borg list, the record plus a3 deletes a1 (keep last 2)
    expect(third.processes).toBe(3);
    expect(third.result).toMatchObject({ retentionListed: false, archives: 2, pruned: [names[0]] });
    names.splice(0, 1);
    names.push(third.result.archive!);
    expect(await archiveNames(world, 'local', repo)).toEqual([...names].sort());
    expect(await known()).toEqual(names);
    const after = (await readRuns(world.paths.runs)).destinations.local?.known?.fingerprint;
    expect(after).toBe(await repositoryFingerprint(repo));
    expect(after).not.toBe(recorded);
  });

  it('lists before deleting when borg create did not say when the archive started', async () => {
    // the new archive's period decides what borg's rules keep: without its exact start the
    // record must not delete, even in a repository still in the state the last run left
    const next = await backup(withoutStart(world.borg));
    expect(next.processes).toBe(4); // create, list, delete, compact
    expect(next.result).toMatchObject({ retentionListed: true, pruned: [names[0]] });
    names.splice(0, 1);
    names.push(next.result.archive!);
    expect(await archiveNames(world, 'local', repo)).toEqual([...names].sort());
  });

  it('does not vouch for its record when the record changed during the run (apply pruned meanwhile)', async () => {
    // apply's prune does not take the backups lock: it may delete and rewrite the record while a
    // backup runs; the backup's fingerprint, read after its own writes, would include that change
    const meanwhile: Borg = Object.create(world.borg);
    meanwhile.create = async (...args) => {
      const created = await world.borg.create(...args);
      await updateRun(world.paths.runs, 'local', (previous) => ({
        ...previous,
        ...(previous?.known === undefined
          ? {}
          : { known: { listedAt: previous.known.listedAt, archives: previous.known.archives } }),
      }));
      return created;
    };
    const during = await backup(meanwhile);
    expect(during.processes).toBe(3); // create, delete, compact: the record was verified before
    names.splice(0, 1);
    names.push(during.result.archive!);
    expect(await known()).toEqual(names);
    expect((await readRuns(world.paths.runs)).destinations.local?.known?.fingerprint).toBeUndefined();
    const next = await backup();
    expect(next.processes).toBe(4); // its deletion lists first
    expect(next.result).toMatchObject({ retentionListed: true, pruned: [names[0]] });
    names.splice(0, 1);
    names.push(next.result.archive!);
    expect(await archiveNames(world, 'local', repo)).toEqual([...names].sort());
  });

  it('never deletes on a record the repository no longer matches: an archive deleted behind its back makes borg list decide, and nothing is lost', async () => {
    // the record says [a1, a2]; someone deletes a2. The record plus a3 would delete a1 (keep last
    // 2), which would leave a3 alone: borg lists, sees [a1, a3], and deletes nothing.
    const [a1, a2] = names;
    expect((await world.rawBorg('local', ['delete', `${repo}::${a2}`])).exitCode).toBe(0);
    const third = await backup();
    expect(third.processes).toBe(2); // create, list: nothing to delete on borg's list
    expect(third.result).toMatchObject({ retentionListed: true, archives: 2, pruned: [] });
    expect(await archiveNames(world, 'local', repo)).toEqual([a1!, third.result.archive!].sort());
    expect(await known()).toEqual([a1, third.result.archive]);
    names.splice(0, names.length, a1!, third.result.archive!);
  });

  it('prunes an archive added behind its back by borg list, when the record predicts a deletion', async () => {
    // an older archive of this machine and destination appears (e.g. copied in by hand)
    const seed = join(world.dir, 'seed');
    await mkdir(seed, { recursive: true });
    const extra = 'jon-local-2020-01-01T00:00:00';
    const made = await world.rawBorg('local', [
      'create',
      '--timestamp',
      '2020-01-01T00:00:00',
      `${repo}::${extra}`,
      seed,
    ]);
    expect(made.exitCode).toBe(0);
    const fourth = await backup();
    // create, list, delete, compact: borg's list decides, with the guard (2 of 4 is not over half)
    expect(fourth.processes).toBe(4);
    expect(fourth.result.retentionListed).toBe(true);
    expect([...fourth.result.pruned].sort()).toEqual([extra, names[0]!].sort());
    expect(await archiveNames(world, 'local', repo)).toEqual([names[1]!, fourth.result.archive!].sort());
    expect(await known()).toEqual([names[1], fourth.result.archive]);
  });

  it("a tampered record (an unreadable time, another machine's name) is never trusted: borg lists, nothing fails", async () => {
    await updateRun(world.paths.runs, 'local', (previous) => ({
      ...previous,
      known: {
        listedAt: new Date().toISOString(),
        archives: [
          { name: 'sara-local-2020-01-01T00:00:00', start: '2020-01-01T00:00:00' },
          { name: 'jon-local-2020-01-02T00:00:00', start: 'yesterday' },
        ],
      },
    }));
    const before = await archiveNames(world, 'local', repo);
    const next = await backup();
    // decided on borg's list (keep last 2 of 3), not on the record's names
    expect(next.result.retentionListed).toBe(true);
    expect(next.result.pruned).toEqual([before[0]]);
    const after = [before[1]!, next.result.archive!];
    expect(await archiveNames(world, 'local', repo)).toEqual(after.sort());
    expect(await known()).toEqual(after);
  });

  it('a record without a fingerprint (an older borgops, an unverified prediction) never gains one without borg listing', async () => {
    // the record misses the older archive p, as after an archive added by hand; no fingerprint
    const [p, q] = await archiveNames(world, 'local', repo);
    await updateRun(world.paths.runs, 'local', (previous) => ({
      ...previous,
      known: {
        listedAt: new Date().toISOString(),
        archives: [{ name: q!, start: q!.slice('jon-local-'.length) }],
      },
    }));
    const r = await backup();
    // [q, r] deletes nothing: no borg list, and the record it leaves is still unverified
    expect(r.processes).toBe(1);
    expect((await readRuns(world.paths.runs)).destinations.local?.known?.fingerprint).toBeUndefined();
    const s = await backup();
    // [q, r, s] would delete q: borg lists [p, q, r, s] and keep last 2 deletes p and q
    expect(s.processes).toBe(4);
    expect(s.result.retentionListed).toBe(true);
    expect([...s.result.pruned].sort()).toEqual([p, q].sort());
    expect(await archiveNames(world, 'local', repo)).toEqual([r.result.archive!, s.result.archive!].sort());
    expect((await readRuns(world.paths.runs)).destinations.local?.known?.fingerprint).toBe(
      await repositoryFingerprint(repo),
    );
  });

  it('lists after a failed run, whatever the record predicts', async () => {
    await writeFile(join(world.root, 'fail-pre-backup-linkding'), '');
    try {
      await createBackups({ paths: world.paths, borg: world.borg, logger: silentLogger(), machine: 'jon' });
    } finally {
      await rm(join(world.root, 'fail-pre-backup-linkding'));
    }
    expect((await readRuns(world.paths.runs)).destinations.local?.failure).toBe('pre-backup');
    const next = await backup();
    expect(next.result.retentionListed).toBe(true);
  });
  it("apply's prune takes what it deleted out of the record", async () => {
    const inventory = JSON.parse(await readFile(join(world.config, 'inventory.json'), 'utf8'));
    inventory.instances.borgbackup.roles.client.machines.jon.settings.prune = { keep: { last: 1 } };
    await writeFile(join(world.config, 'inventory.json'), JSON.stringify(inventory));
    await execa(
      'git',
      ['-C', world.config, 'commit', '-qam', 'keep one', '--author', 'test <t@borgops.invalid>'],
      {
        env: { ...process.env, GIT_COMMITTER_NAME: 'test', GIT_COMMITTER_EMAIL: 't@borgops.invalid' },
      },
    );
    const before = (await known()) ?? [];
    expect(before).toHaveLength(2);
    const applied = await runApply({
      source: world.config,
      ref: 'HEAD',
      worktree: false,
      machine: 'jon',
      root: world.root,
      stateDir: world.paths.stateDir,
      refresh: true,
      scheduler: 'embedded',
      logger: silentLogger(),
      borg: world.borg,
      allow: new Set(),
    });
    expect(applied.result.errors).toEqual([]);
    expect(await archiveNames(world, 'local', repo)).toEqual([before[1]]);
    expect(await known()).toEqual([before[1]]);
    expect((await readRuns(world.paths.runs)).destinations.local?.known?.fingerprint).toBeUndefined();
  });

  it('deletes nothing when the repository was restored from a copy older than its last write (borg refuses it)', async () => {
    const copy = join(world.dir, 'repo-copy');
    await cp(repo, copy, { recursive: true });
    const atCopy = await archiveNames(world, 'local', repo);
    await writeFile(join(world.root, 'data/podman/linkding/db.sqlite3'), 'more bookmarks\n');
    const after = await backup();
    expect(after.result.status).toBe('created');
    await rm(repo, { recursive: true });
    await cp(copy, repo, { recursive: true });
    // the record (and its fingerprint) describe the repository after that backup; the copy is
    // older. borg's own replay protection refuses the older manifest before anything is written.
    const run = await createBackups({
      paths: world.paths,
      borg: world.borg,
      logger: silentLogger(),
      machine: 'jon',
    });
    const result = run.destinations[0]!;
    expect(result.status).toBe('failed');
    expect(result.pruned).toEqual([]);
    expect(await repositoryFingerprint(repo)).not.toBe(
      (await readRuns(world.paths.runs)).destinations.local?.known?.fingerprint,
    );
    const raw = await world.rawBorg('local', ['list', '--short', repo]);
    expect(raw.stderr).toMatch(/newer than repository/);
    await rm(copy, { recursive: true });
    expect(atCopy.length).toBeGreaterThan(0);
  });
});

describe('a record with a predicted start (borg create reported none)', () => {
  let fresh: AppliedWorld;

  beforeAll(async () => {
    fresh = await appliedWorld({ files: keepLastTwo() });
    await mkdir(join(fresh.root, 'data/podman/linkding'), { recursive: true });
    await writeFile(join(fresh.root, 'data/podman/linkding/db.sqlite3'), 'bookmarks\n');
  });
  afterAll(async () => {
    await fresh.dispose();
  });

  it('never vouches for it: the next deletion lists first', async () => {
    const run = (borg: Borg) => backupIn(fresh, borg);
    const fingerprint = async () => (await readRuns(fresh.paths.runs)).destinations.local?.known?.fingerprint;
    const first = await run(fresh.borg);
    expect(first.processes).toBe(2); // create, list
    expect(await fingerprint()).toBeDefined();
    // [a1] + a2 deletes nothing: decided on the record, whose a2 start is only predicted
    const second = await run(withoutStart(fresh.borg));
    expect(second.processes).toBe(1);
    expect(second.result.status).toBe('created');
    expect(await fingerprint()).toBeUndefined();
    // [a1, a2] + a3 deletes a1: without a fingerprint borg lists first
    const third = await run(fresh.borg);
    expect(third.processes).toBe(4);
    expect(third.result).toMatchObject({ retentionListed: true, pruned: [first.result.archive] });
  });
});

describe('retentionRecord (when the record may be used)', () => {
  const now = new Date('2026-11-30T12:00:00Z');
  const archives = [{ name: 'jon-local-2026-11-30T11:00:00', start: '2026-11-30T11:00:00' }];
  const at = (ms: number) => new Date(now.getTime() - ms).toISOString();

  it('is used when the last run succeeded and borg listed less than a day ago', () => {
    const known = { listedAt: at(RELIST_AFTER_MS - 60_000), archives };
    expect(retentionRecord({ known }, now)).toEqual(known);
  });

  it('is not used a day after borg listed, when listedAt is in the future or unreadable, or after a failure', () => {
    expect(retentionRecord({ known: { listedAt: at(RELIST_AFTER_MS), archives } }, now)).toBeUndefined();
    expect(retentionRecord({ known: { listedAt: at(-60_000), archives } }, now)).toBeUndefined();
    expect(retentionRecord({ known: { listedAt: 'yesterday', archives } }, now)).toBeUndefined();
    const listedAt = at(1000);
    expect(retentionRecord({ known: { listedAt, archives }, error: 'x: failed' }, now)).toBeUndefined();
    expect(retentionRecord({ known: { listedAt, archives }, failure: 'aborted' }, now)).toBeUndefined();
    expect(retentionRecord({}, now)).toBeUndefined();
    expect(retentionRecord(undefined, now)).toBeUndefined();
  });
});
