import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isBorgopsError } from '../../../src/errors.js';
import { readApplied } from '../../../src/host/applied.js';
import { readLedger } from '../../../src/host/ledger.js';
import { acquireLock } from '../../../src/host/lock.js';
import { readNotifyFailures } from '../../../src/host/notify-failures.js';
import { readOverdueNotices } from '../../../src/host/overdue-notices.js';
import { readRuns } from '../../../src/host/runs.js';
import { readScheduleTable } from '../../../src/host/schedulers/embedded.js';
import { readServedHistory } from '../../../src/host/served-history.js';
import { readStatus } from '../../../src/host/status.js';
import { tempDir } from '../../helpers/temp.js';

interface StateFileCase {
  /** The file name in the state directory. */
  file: string;
  /** `ledger` in "is not a borgops ledger". */
  what: string;
  read(stateDir: string): Promise<unknown>;
  /** A file as the previous release wrote it: it must keep working. */
  previous: unknown;
  /** What reading `previous` gives (a subset). */
  parsed: unknown;
  /** Valid JSON of the wrong shape, and the dotted path the error names. */
  wrong: unknown;
  wrongPath: string;
  /** What a missing file reads as (`absent` when the reader says so by throwing nothing and returning undefined). */
  absent: unknown;
}

const at = '2026-03-10T12:00:00.000Z';
const job = {
  machine: 'jon',
  destination: 'local',
  startAt: ['daily'],
  staggerSeconds: 12,
  command: ['borgops', 'backups', 'create', 'jon'],
  runsAt: ['*-*-* 00:00:12'],
};

const cases: StateFileCase[] = [
  {
    file: 'ledger.json',
    what: 'ledger',
    read: (dir) => readLedger(join(dir, 'ledger.json')),
    previous: {
      version: 1,
      machine: 'jon',
      entries: { 'hook/pre-backup-x': { kind: 'hook', paths: ['/h'], appliedAt: at } },
    },
    parsed: { version: 1, machine: 'jon', entries: { 'hook/pre-backup-x': { kind: 'hook', paths: ['/h'] } } },
    wrong: { version: 1, entries: { 'hook/x': { kind: 'volcano', appliedAt: at } } },
    wrongPath: 'entries.hook/x.kind',
    absent: { version: 1, entries: {} },
  },
  {
    file: 'runs.json',
    what: 'run record',
    read: (dir) => readRuns(join(dir, 'runs.json')),
    previous: {
      version: 1,
      destinations: { local: { lastAttempt: at, lastSuccess: at, archive: 'jon-1', archives: 3 } },
    },
    parsed: { destinations: { local: { archive: 'jon-1', archives: 3 } } },
    wrong: { version: 1, destinations: { local: { archives: 'three' } } },
    wrongPath: 'destinations.local.archives',
    absent: { version: 1, destinations: {} },
  },
  {
    file: 'runs.json',
    what: 'run record',
    read: (dir) => readRuns(join(dir, 'runs.json')),
    // issue 15: the last check and drill of a destination live in its run record
    previous: {
      version: 1,
      destinations: {
        local: {
          lastSuccess: at,
          check: { lastAttempt: at, lastSuccess: at, ok: true, durationSeconds: 2, verifyData: false },
          drill: { lastAttempt: at, ok: false, durationSeconds: 9, failure: 'mismatch', error: 'x' },
        },
      },
    },
    parsed: { destinations: { local: { check: { ok: true }, drill: { ok: false, failure: 'mismatch' } } } },
    wrong: {
      version: 1,
      destinations: { local: { drill: { lastAttempt: at, ok: 'no', durationSeconds: 9 } } },
    },
    wrongPath: 'destinations.local.drill.ok',
    absent: { version: 1, destinations: {} },
  },
  {
    file: 'notify.json',
    what: 'notification failure count',
    read: (dir) => readNotifyFailures(join(dir, 'notify.json')),
    previous: {
      version: 1,
      failures: { hc: { count: 2, lastAt: at, lastEvent: 'fail', lastError: 'HTTP 503' } },
    },
    parsed: { failures: { hc: { count: 2 } } },
    wrong: { version: 1, failures: { hc: { count: 'two', lastAt: at, lastEvent: 'fail', lastError: 'x' } } },
    wrongPath: 'failures.hc.count',
    absent: { version: 1, failures: {} },
  },
  {
    file: 'overdue-notices.json',
    what: 'overdue verification notices',
    read: (dir) => readOverdueNotices(join(dir, 'overdue-notices.json')),
    previous: { version: 1, sent: { 'local/drill': { since: at, at } } },
    parsed: { sent: { 'local/drill': { since: at } } },
    wrong: { version: 1, sent: { 'local/drill': { since: 7, at } } },
    wrongPath: 'sent.local/drill.since',
    absent: { version: 1, sent: {} },
  },
  {
    file: 'served.json',
    what: 'served-repository history',
    read: (dir) => readServedHistory(join(dir, 'served.json')),
    previous: {
      version: 1,
      repositories: { '/srv/borg/jon': { current: { at, bytes: 1024, transaction: 7 } } },
    },
    parsed: { repositories: { '/srv/borg/jon': { current: { bytes: 1024 } } } },
    wrong: { version: 1, repositories: { '/srv/borg/jon': { current: { at, bytes: -1 } } } },
    wrongPath: 'repositories./srv/borg/jon.current.bytes',
    absent: { version: 1, repositories: {} },
  },
  {
    file: 'status.json',
    what: 'status file',
    read: (dir) => readStatus(join(dir, 'status.json')),
    previous: {
      version: 1,
      machine: 'jon',
      appliedCommit: 'abc',
      lastAttempt: { at, result: 'applied', actions: 2, errors: [], durationMs: 5 },
    },
    parsed: { appliedCommit: 'abc', lastAttempt: { result: 'applied' } },
    wrong: { version: 1, lastAttempt: { at, result: 'exploded', actions: 2, errors: [], durationMs: 5 } },
    wrongPath: 'lastAttempt.result',
    absent: { version: 1 },
  },
  {
    file: 'schedule.json',
    what: 'schedule table',
    read: (dir) => readScheduleTable(join(dir, 'schedule.json')),
    previous: { version: 1, jobs: { local: { ...job, installedAt: at } } },
    parsed: { jobs: { local: { runsAt: ['*-*-* 00:00:12'], installedAt: at } } },
    wrong: { version: 1, jobs: { local: { ...job, startAt: 'daily' } } },
    wrongPath: 'jobs.local.startAt',
    absent: { version: 1, jobs: {} },
  },
  {
    file: 'applied/declarations.json',
    what: 'applied snapshot',
    read: (dir) => readApplied(join(dir, 'applied')),
    previous: { version: 1, commit: 'abc', appliedAt: at, files: { 'machines/jon/machine.yaml': 'x: 1\n' } },
    parsed: { commit: 'abc', files: { 'machines/jon/machine.yaml': 'x: 1\n' } },
    wrong: { version: 1, appliedAt: at, files: ['machines/jon/machine.yaml'] },
    wrongPath: 'files',
    absent: undefined,
  },
];

async function place(dir: string, file: string, content: unknown): Promise<string> {
  const path = join(dir, file);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe.each(cases)('state file $file', (c) => {
  it('reads the file the previous release wrote, and a missing one as absent', async () => {
    const dir = await tempDir();
    expect(await c.read(dir)).toEqual(c.absent);
    await place(dir, c.file, c.previous);
    expect(await c.read(dir)).toMatchObject(c.parsed as object);
  });

  it(`is a named error when the file has the wrong shape`, async () => {
    const dir = await tempDir();
    const path = await place(dir, c.file, c.wrong);
    const error = await c.read(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isBorgopsError(error, 'E_HOST')).toBe(true);
    if (!isBorgopsError(error)) return;
    expect(error.shortMessage).toBe(`${path} is not a borgops ${c.what} (version 1); move it away`);
    expect(error.details.join('\n')).toContain(`${c.wrongPath}: `);
  });

  it('is a named error for a newer version, a non-object or invalid JSON', async () => {
    const dir = await tempDir();
    const path = await place(dir, c.file, { ...(c.previous as object), version: 2 });
    const newer = await c.read(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isBorgopsError(newer) && [newer.shortMessage, ...newer.details]).toEqual([
      `${path} is not a borgops ${c.what} (version 1); move it away`,
      'version: 2, this borgops reads version 1 only',
    ]);
    await place(dir, c.file, [1, 2]);
    await expect(c.read(dir)).rejects.toThrow(`${path} is not a borgops ${c.what} (version 1)`);
    await place(dir, c.file, '{"version": 1,');
    await expect(c.read(dir)).rejects.toThrow(`${path} is not a borgops ${c.what} (not valid JSON)`);
  });

  it('is an error, not absent, when the file cannot be read (a directory in its place)', async () => {
    const dir = await tempDir();
    const path = join(dir, c.file);
    await mkdir(path, { recursive: true });
    await expect(c.read(dir)).rejects.toThrow(`cannot read ${path}: is a directory (EISDIR)`);
  });
});

describe('state file apply.lock', () => {
  it('reads an unversioned lock as version 1 (the previous release wrote no version) and names its holder', async () => {
    const dir = await tempDir();
    const path = await place(dir, 'apply.lock', {
      pid: 2 ** 22 + 4242,
      host: 'nowhere',
      command: 'apply',
      startedAt: at,
    });
    await expect(acquireLock(path, 'apply jon')).rejects.toThrow(
      `another borgops holds ${path}: pid ${2 ** 22 + 4242} on nowhere`,
    );
  });

  it('reads a lock file of the wrong shape as no holder: refused while young, never taken as a live holder', async () => {
    // issue 13: a corrupt lock is taken over once old (lock.test.ts), so it cannot stop backups for good
    const dir = await tempDir();
    const path = await place(dir, 'apply.lock', { pid: 'me', host: 'here' });
    const error = await acquireLock(path, 'apply jon').catch((e: unknown) => e);
    expect(isBorgopsError(error, 'E_LOCK')).toBe(true);
    expect(isBorgopsError(error) && error.shortMessage).toBe(
      `${path} is unreadable; another borgops may be starting`,
    );
  });

  it('is an error, not a free lock, when the lock cannot be read (a directory in its place)', async () => {
    const dir = await tempDir();
    const path = join(dir, 'apply.lock');
    await mkdir(path);
    await expect(acquireLock(path, 'apply jon')).rejects.toThrow(
      `cannot read ${path}: is a directory (EISDIR)`,
    );
  });
});
