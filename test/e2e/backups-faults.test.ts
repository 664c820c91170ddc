import { mkdir, readdir, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveTimestamp } from '../../src/config/names.js';
import { readRuns } from '../../src/host/runs.js';
import { type AppliedWorld, appliedWorld, archiveNames, linkdingFiles, treeOf } from '../helpers/backups.js';
import { borgops, cliPath } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

/*
 * The linkding scenario and the failure table, on one applied machine (jon, destinations
 * `local` and `spare`, local repositories) shared by every case to keep borg processes few.
 */
let world: AppliedWorld;
let local: string;
let spare: string;
let firstCreate: Awaited<ReturnType<typeof borgops>>;
let firstHooks: string[];
let backedUp: string[];
const live = () => join(world.root, 'data/podman/linkding');

async function hookLog(): Promise<string[]> {
  const text = await readFile(join(world.root, 'hooks.log'), 'utf8').catch(() => '');
  await rm(join(world.root, 'hooks.log'), { force: true });
  return text.split('\n').filter((line) => line !== '');
}

const cli = (...args: string[]) => borgops([...args, ...world.args]);

beforeAll(async () => {
  world = await appliedWorld({ files: linkdingFiles(['local', 'spare']) });
  local = join(world.repos, 'local');
  spare = join(world.repos, 'spare');
  await mkdir(join(live(), 'assets'), { recursive: true });
  await writeFile(join(live(), 'db.sqlite3'), 'bookmarks v1\n');
  await writeFile(join(live(), 'assets/favicon.ico'), 'icon v1\n');
  // one backup of v1 to both destinations, which every case below can restore from
  firstCreate = await cli('backups', 'create', 'jon');
  firstHooks = await hookLog();
  backedUp = await treeOf(live());
});
afterAll(async () => {
  await world.dispose();
});

/** This machine's complete archives among `names`, as `backups list` shows them for `local`. */
const completeOf = (names: readonly string[]) =>
  names
    .filter((name) => /^jon-local-\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(name))
    .map((name) => `local::${local}::${name}`);

const localLines = async () => (await listLines()).filter((line) => line.startsWith('local::'));

async function listLines(): Promise<string[]> {
  const list = await cli('backups', 'list', 'jon');
  return list.stdout.split('\n').filter(Boolean);
}

/** 60 sparse files of 256 MiB in a backed-up folder: borg 1.2 finishes the file it reads after a signal, these give it more work than that. */
async function sparseBulk(): Promise<string> {
  const bulk = join(world.root, 'var/lib/zerotier-one');
  await mkdir(bulk, { recursive: true });
  for (let i = 0; i < 60; i += 1) {
    const file = join(bulk, `sparse-${i}.bin`);
    await writeFile(file, '');
    await truncate(file, 256 * 2 ** 20);
  }
  return bulk;
}

describe('backups with the built CLI: the linkding scenario and every fault', () => {
  it("restores the guide's linkding data: staged by pre-backup, put back by post-restore", async () => {
    const created = firstCreate;
    expect(created.exitCode).toBe(0);
    // a state folder that does not exist is a borg warning, reported by path: the run succeeds
    expect(created.stdout).toContain(
      `  warning: /var/lib/zerotier-one does not exist (${join(world.root, 'var/lib/zerotier-one')}): state zerotier backed up nothing from it\n`,
    );
    expect(created.stdout).toMatch(/✓ local: created jon-local-\S+: 2 files, /);
    expect(created.stdout).toMatch(/✓ spare: created jon-spare-\S+: 2 files, /);
    // pre-backup once for the whole run, not once per destination as clan does
    expect(firstHooks.map((line) => line.split(' ')[0])).toEqual([
      'pre-backup-linkding',
      'post-backup-linkding',
      'post-backup-notes',
    ]);

    await writeFile(join(live(), 'db.sqlite3'), 'bookmarks v2, changed after the backup\n');
    await writeFile(join(live(), 'new-file'), 'not in the backup\n');
    const name = (await listLines()).find((line) => line.startsWith('local::'))!;
    const restored = await cli('backups', 'restore', '--service', 'linkding', 'jon', 'borgbackup', name);
    expect(restored.stderr).toBe('');
    expect(restored.exitCode).toBe(0);
    expect(await treeOf(live())).toEqual(backedUp);
    expect(await hookLog()).toEqual([
      `pre-restore-linkding machine=jon state=linkding name=${name} folders=/var/backup/linkding cwd=${world.root}`,
      `post-restore-linkding machine=jon state=linkding name=${name} folders=/var/backup/linkding cwd=${world.root}`,
    ]);
  });

  it('reports a destination with a wrong passphrase by name and still backs up and lists the others', async () => {
    const passphrase = join(world.paths.secretsDir, 'spare.passphrase');
    const right = await readFile(passphrase);
    await writeFile(passphrase, 'not the passphrase\n');
    try {
      const created = await cli('backups', 'create', 'jon');
      expect(created.exitCode).toBe(1);
      expect(created.stdout).toMatch(/✓ local: created /);
      expect(created.stdout).toContain('✗ spare: wrong or missing passphrase or key: ');
      expect(created.stdout).toMatch(/\nBackup failed: 1 of 2 destinations backed up \(failed: spare\) in /);
      expect(created.stdout).not.toContain('not the passphrase');
      expect((await readRuns(world.paths.runs)).destinations.spare).toMatchObject({ failure: 'passphrase' });

      const list = await cli('backups', 'list', 'jon');
      expect(list.exitCode).toBe(1);
      expect(
        list.stdout
          .split('\n')
          .filter(Boolean)
          .every((line) => line.startsWith(`local::${local}::`)),
      ).toBe(true);
      expect(list.stdout.split('\n').filter(Boolean)).toHaveLength(2);
      expect(list.stderr).toMatch(/^borgops: spare: wrong or missing passphrase or key: .*\n$/);
    } finally {
      await writeFile(passphrase, right);
    }
    await hookLog();
  });

  it('a corrupt ledger.json does not stop backups of a named machine; without a name it says why', async () => {
    const ledger = await readFile(world.paths.ledger, 'utf8');
    await writeFile(world.paths.ledger, '{"version": 1, "entr');
    try {
      const created = await cli('backups', 'create', 'jon', '--destination', 'spare');
      expect(created.stderr).not.toContain('ledger');
      expect(created.exitCode).toBe(0);
      const list = await cli('backups', 'list', 'jon');
      expect(list.exitCode).toBe(0);
      expect(list.stdout).toContain('spare');
      const unnamed = await cli('backups', 'list');
      expect(unnamed.stderr).toBe(
        `borgops: name the machine (the ledger cannot be read: ${world.paths.ledger} is not a borgops ledger (not valid JSON); move it away to start over)\n`,
      );
      expect(unnamed.exitCode).toBe(1);
    } finally {
      await writeFile(world.paths.ledger, ledger);
    }
    await hookLog();
  });

  it('tells the user to run apply when a repository does not exist', async () => {
    await rename(spare, `${spare}.away`);
    try {
      const created = await cli('backups', 'create', 'jon', '--destination', 'spare');
      expect(created.exitCode).toBe(1);
      expect(created.stdout).toMatch(
        /✗ spare: repository does not exist: .*; run `borgops apply` to initialize it\n/,
      );
      expect((await readRuns(world.paths.runs)).destinations.spare).toMatchObject({ failure: 'missing' });
      const list = await cli('backups', 'list');
      expect(list.exitCode).toBe(1);
      expect(list.stderr).toBe(
        'borgops: spare: repository does not exist; run `borgops apply` to initialize it\n',
      );
    } finally {
      await rename(`${spare}.away`, spare);
    }
    await hookLog();
  });

  it('collects restore failures per state, skips a state without folders, and lists only own archives', async () => {
    // another machine's archive in the same repository: never listed, never restored
    const stranger = `sara-local-${archiveTimestamp(new Date(2026, 0, 1, 1, 0, 0))}`;
    const seeded = await world.rawBorg('local', ['create', `${local}::${stranger}`, 'data']);
    expect(seeded.exitCode).toBe(0);
    const lines = await listLines();
    expect(lines.some((line) => line.includes('sara-'))).toBe(false);
    const name = lines.find((line) => line.startsWith('local::'))!;
    const foreign = await cli(
      'backups',
      'restore',
      '--service',
      'linkding',
      'jon',
      'borgbackup',
      `local::${local}::${stranger}`,
    );
    expect(foreign.exitCode).toBe(1);
    expect(foreign.stderr).toBe(
      `borgops: archive "${stranger}" is not a backup of machine jon in local: its archives are named jon-local-<YYYY-MM-DDTHH:MM:SS>\n`,
    );

    await mkdir(join(world.root, 'var/lib/zerotier-one'), { recursive: true });
    await writeFile(join(world.root, 'fail-pre-restore-zerotier'), '');
    try {
      const restored = await cli('backups', 'restore', 'jon', 'borgbackup', name, '--yes');
      expect(restored.exitCode).toBe(1);
      expect(restored.stdout).toBe(
        [
          `Restoring ${name.split('::')[2]} from local in place under ${world.root}:`,
          '✓ linkding: restored /var/backup/linkding',
          '- notes: skipped',
          '  warning: state notes declares no folders: skipped (a whole archive is never extracted)',
          '✗ zerotier: pre-restore-zerotier failed (exit code 3): nothing of zerotier was restored',
          '    | pre-restore-zerotier: refusing, as asked',
          'Restore failed: 1 of 3 states restored (failed: zerotier).',
          '',
        ].join('\n'),
      );
    } finally {
      await rm(join(world.root, 'fail-pre-restore-zerotier'));
    }
    expect((await hookLog()).map((line) => line.split(' ')[0])).toEqual([
      'pre-restore-linkding',
      'post-restore-linkding',
      'pre-restore-zerotier',
    ]);
  });

  it('--dry-run lists what would be restored and runs no script; --target extracts into staging only', async () => {
    const name = (await listLines()).find((line) => line.startsWith('spare::'))!;
    await writeFile(join(live(), 'db.sqlite3'), 'bookmarks v3\n');
    const before = await treeOf(world.root);
    const dry = await cli('backups', 'restore', 'jon', 'borgbackup', name, '--dry-run');
    // zerotier's folder did not exist when the backup was made: its restore would fail
    expect(dry.exitCode).toBe(1);
    expect(dry.stdout).toBe(
      [
        `Would restore ${name.split('::')[2]} from spare in place under ${world.root}:`,
        '• linkding: would restore /var/backup/linkding, running pre-restore-linkding and post-restore-linkding',
        '- notes: skipped',
        '  warning: state notes declares no folders: skipped (a whole archive is never extracted)',
        '✗ zerotier: none of its folders is in the archive (/var/lib/zerotier-one)',
        'Dry run found problems in: zerotier.',
        '',
      ].join('\n'),
    );
    expect(await treeOf(world.root)).toEqual(before);

    const staging = join(await tempDir(), 'staging');
    const staged = await cli(
      'backups',
      'restore',
      '--service',
      'linkding',
      'jon',
      'borgbackup',
      name,
      '--target',
      staging,
    );
    expect(staged.exitCode).toBe(0);
    expect(staged.stdout).toContain(
      `into ${staging} (no script run):\n✓ linkding: restored /var/backup/linkding\n`,
    );
    expect(await treeOf(staging)).toEqual([
      'var/backup/linkding/assets/favicon.ico: icon v1\n',
      'var/backup/linkding/db.sqlite3: bookmarks v1\n',
    ]);
    expect(await treeOf(world.root)).toEqual(before);
  });

  it('on Ctrl-C stops borg, runs the post-backup scripts, leaves no archive under the final name, exits 130', async () => {
    const bulk = await sparseBulk();
    const before = await archiveNames(world, 'local', local);
    try {
      const child = execa(
        'node',
        [cliPath, 'backups', 'create', 'jon', '--destination', 'local', ...world.args],
        {
          reject: false,
          env: { BORGOPS_LOG_LEVEL: 'warn' },
        },
      );
      // borg holds the repository lock while it creates the archive
      await waitFor('borg create to lock the repository', async () =>
        (await readdir(local)).includes('lock.exclusive') ? true : undefined,
      );
      child.kill('SIGINT');
      const result = await child;
      expect(result.exitCode).toBe(130);
      expect(result.stderr).toContain('borgops: SIGINT: stopping borg, then running the post-backup scripts');
      expect(result.stdout).toMatch(/✗ local: interrupted during create\n/);
      expect(result.stdout).toMatch(
        /\nBackup interrupted: 0 of 1 destination backed up \(failed: local\) in /,
      );
    } finally {
      await rm(bulk, { recursive: true });
    }
    expect((await hookLog()).map((line) => line.split(' ')[0])).toEqual([
      'pre-backup-linkding',
      'post-backup-linkding',
      'post-backup-notes',
    ]);
    // at most borg's checkpoint: nothing a restore, retention or freshness takes for a backup
    const added = (await archiveNames(world, 'local', local)).filter((name) => !before.includes(name));
    expect(added.every((name) => /^jon-local-\S+\.checkpoint(\.\d+)?$/.test(name))).toBe(true);
    expect((await readRuns(world.paths.runs)).destinations.local).toMatchObject({ failure: 'aborted' });
    expect(await localLines()).toEqual(completeOf(before));
  });

  it('borg killed with SIGKILL mid-create: no archive under the final name, never counted; the next run succeeds and deletes the leftovers', async () => {
    const bulk = await sparseBulk();
    const before = await archiveNames(world, 'local', local);
    const success = (await readRuns(world.paths.runs)).destinations.local?.lastSuccess;
    // a checkpoint of an earlier interrupted run, as borg names it: the next good run deletes it
    const stale = `jon-local-${archiveTimestamp(new Date(Date.now() - 3_600_000))}.checkpoint`;
    await world.rawBorg('local', ['create', `${local}::${stale}`, 'data/podman/linkding']);
    let killed: Awaited<ReturnType<typeof cli>>;
    try {
      const child = execa(
        'node',
        [cliPath, 'backups', 'create', 'jon', '--destination', 'local', '--json', ...world.args],
        { reject: false, env: { BORGOPS_LOG_LEVEL: 'warn' } },
      );
      const pid = await waitFor('borg create of local to run', async () => {
        if (!(await readdir(local)).includes('lock.exclusive')) return undefined;
        for (const entry of await readdir('/proc')) {
          if (!/^\d+$/.test(entry)) continue;
          const argv = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
          const words = argv.split('\0');
          if (words.includes('create') && words.some((word) => word.startsWith(`${local}::`)))
            return Number(entry);
        }
        return undefined;
      });
      process.kill(pid, 'SIGKILL');
      const result = await child;
      killed = {
        exitCode: result.exitCode ?? -1,
        stdout: String(result.stdout),
        stderr: String(result.stderr),
      };
    } finally {
      await rm(bulk, { recursive: true });
    }
    expect(killed.exitCode).toBe(1);
    const report = JSON.parse(killed.stdout);
    expect(report.destinations).toEqual([
      expect.objectContaining({ destination: 'local', status: 'failed', pruned: [] }),
    ]);
    expect(report.destinations[0].archive).toBeUndefined();
    const after = await archiveNames(world, 'local', local);
    // the killed create committed nothing: not even a checkpoint, only what was there before
    expect(after).toEqual([...before, stale].sort());
    const runs = (await readRuns(world.paths.runs)).destinations.local;
    expect(runs?.lastSuccess).toEqual(success);
    expect(runs?.failure).toBeDefined();
    expect(await localLines()).toEqual(completeOf(before));

    // borg finds its lock stale (the process is gone) and rolls the repository back
    const next = await cli('backups', 'create', 'jon', '--destination', 'local', '--json');
    expect(next.exitCode).toBe(0);
    const created = JSON.parse(next.stdout).destinations[0];
    expect(created).toMatchObject({ status: 'created' });
    expect(created.pruned).toEqual(expect.arrayContaining([stale]));
    const final = await archiveNames(world, 'local', local);
    expect(final).toContain(created.archive);
    expect(final.filter((name) => name.includes('.checkpoint'))).toEqual([]);
    // post-backup ran after the kill as after any failure
    expect((await hookLog()).map((line) => line.split(' ')[0])).toEqual([
      'pre-backup-linkding',
      'post-backup-linkding',
      'post-backup-notes',
      'pre-backup-linkding',
      'post-backup-linkding',
      'post-backup-notes',
    ]);
  });

  it('waits while another run holds the backups lock; Ctrl-C while waiting exits 130 and runs nothing', async () => {
    const holder = {
      pid: process.pid,
      host: hostname(),
      command: 'backups create jon',
      startedAt: '2026-01-01T00:00:00Z',
    };
    await writeFile(world.paths.backupLock, JSON.stringify(holder));
    try {
      const child = execa('node', [cliPath, 'backups', 'create', 'jon', ...world.args], { reject: false });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      await waitFor('the backup to wait for the lock', () => (stderr.includes('waiting') ? true : undefined));
      child.kill('SIGINT');
      const result = await child;
      const held = `another borgops holds ${world.paths.backupLock}: pid ${process.pid} on ${hostname()} (backups create jon)`;
      expect(result.stderr).toContain(`borgops: waiting: ${held}`);
      expect(result.stderr).toContain(`borgops: interrupted: ${held}`);
      expect(result.exitCode).toBe(130);
      expect(result.stdout).toBe('');
    } finally {
      await rm(world.paths.backupLock, { force: true });
    }
    expect(await hookLog()).toEqual([]);
  });

  it.each([
    [
      'an unknown machine',
      ['backups', 'create', 'bob'],
      1,
      'borgops: machine "bob" is not declared (declared machines: jon, sara)\n',
    ],
    [
      'an unknown destination',
      ['backups', 'create', 'jon', '--destination', 'nope'],
      1,
      'borgops: unknown destination "nope" for machine jon (declared: local, spare)\n',
    ],
    [
      'an unknown service',
      [
        'backups',
        'restore',
        '--service',
        'nginx',
        'jon',
        'borgbackup',
        'local::@LOCAL@::jon-local-2026-01-01T01:00:00',
      ],
      1,
      'borgops: unknown service "nginx" on jon (its states: linkding, notes, zerotier)\n',
    ],
    [
      'a misspelt service, with the near match validate gives',
      [
        'backups',
        'restore',
        '--service',
        'nots',
        'jon',
        'borgbackup',
        'local::@LOCAL@::jon-local-2026-01-01T01:00:00',
      ],
      1,
      'borgops: unknown service "nots" on jon; did you mean "notes"? (its states: linkding, notes, zerotier)\n',
    ],
    [
      'an unknown provider',
      ['backups', 'restore', 'jon', 'restic', 'local::@LOCAL@::jon-local-2026-01-01T01:00:00'],
      1,
      'borgops: unknown provider "restic": the backups of jon are made by the borgbackup module (provider "borgbackup")\n',
    ],
    [
      'a name of an unknown destination',
      ['backups', 'restore', 'jon', 'borgbackup', 'nope::@LOCAL@::jon-nope-2026-01-01T01:00:00'],
      1,
      'borgops: unknown destination "nope" for machine jon (declared: local, spare)\n',
    ],
    [
      'a name that is not a line of backups list',
      ['backups', 'restore', 'jon', 'borgbackup', 'jon-local-2026-01-01T01:00:00'],
      1,
      'borgops: "jon-local-2026-01-01T01:00:00" is not a backup name: expected <destination>::<repo>::<archive>, a line of `borgops backups list`\n',
    ],
    [
      'an unknown archive',
      [
        'backups',
        'restore',
        '--service',
        'linkding',
        'jon',
        'borgbackup',
        'local::@LOCAL@::jon-local-2020-01-01T01:00:00',
      ],
      1,
      'borgops: unknown archive "jon-local-2020-01-01T01:00:00" in local (see `borgops backups list jon`)\n',
    ],
    [
      'a declared machine that is not this host',
      ['backups', 'list', 'sara'],
      1,
      'borgops: this host applied the declarations for machine "jon", not "sara": run borgops backups on sara itself\n',
    ],
    [
      'an explicit --source (backups use the applied declarations)',
      ['backups', 'list', 'jon', '--machine', 'jon', '--source', '.'],
      1,
      "borgops: borgops backups uses the declarations last applied on this machine, not --source; run `borgops apply` with them first, or add --identity FILE (an admin's age identity) to restore from git without the machine\n",
    ],
  ])('gives a clear message and the right exit code for %s', async (_what, args, exitCode, message) => {
    const result = await cli(...args.map((arg) => arg.replace('@LOCAL@', local)));
    expect(result.stderr).toBe(message);
    expect(result.exitCode).toBe(exitCode);
    expect(result.stdout).toBe('');
  });

  it('tells the user to apply first when nothing was applied on this machine', async () => {
    const root = await tempDir();
    const result = await borgops(['backups', 'create', 'jon', '--root', root]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(
      `borgops: no applied declarations in ${join(root, 'var/lib/borgops/applied')}; run \`borgops apply\` first\n`,
    );
  });
});
