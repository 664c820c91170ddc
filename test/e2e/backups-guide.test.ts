import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppliedWorld, appliedWorld, treeOf } from '../helpers/backups.js';
import { borgops, cliPath } from '../helpers/cli.js';
import { exampleDir } from '../helpers/git.js';

/*
 * The guide's "Managing backups" sections, as written, on its example (machine jon, states
 * linkding and zerotier), with the Storage Box pointed at a local repository.
 */
let world: AppliedWorld;
let repo: string;

async function pointAtLocalRepository(config: string, repos: string): Promise<void> {
  const file = join(config, 'inventory.json');
  const inventory = JSON.parse(await readFile(file, 'utf8'));
  const storagebox =
    inventory.instances.borgbackup.roles.client.machines.jon.settings.destinations.storagebox;
  storagebox.repo = join(repos, 'storagebox');
  delete storagebox.rsh;
  await writeFile(file, `${JSON.stringify(inventory, null, 2)}\n`);
}

async function writeData(version: string): Promise<void> {
  await mkdir(join(world.root, 'var/backup/linkding'), { recursive: true });
  await mkdir(join(world.root, 'var/lib/zerotier-one'), { recursive: true });
  await writeFile(join(world.root, 'var/backup/linkding/db.sqlite3'), `linkding ${version}\n`);
  await writeFile(join(world.root, 'var/lib/zerotier-one/identity.secret'), `zerotier ${version}\n`);
}

const data = () =>
  Promise.all([treeOf(join(world.root, 'var/backup')), treeOf(join(world.root, 'var/lib/zerotier-one'))]);

beforeAll(async () => {
  world = await appliedWorld({ from: exampleDir, edit: pointAtLocalRepository, apply: false });
  repo = join(world.repos, 'storagebox');
  const applied = await borgops(['apply', '--source', world.config, '--machine', 'jon', ...world.args]);
  expect(applied.exitCode).toBe(0);
});
afterAll(async () => {
  await world.dispose();
});

describe("the guide's Managing backups sections, with the built CLI", () => {
  it('creates, lists, and restores fully and partially as the guide shows', async () => {
    // Creating backups: `clan backups create jon`
    await writeData('v1');
    const first = await borgops(['backups', 'create', 'jon', ...world.args]);
    expect(first.stderr).toBe('');
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toMatch(
      /^✓ pre-backup-linkding \(\d+\.\d s\)\n✓ storagebox: created jon-storagebox-\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d: 2 files, .+\nBackup complete: 1 of 1 destination backed up in \d+\.\d s\.\n$/,
    );
    const v1 = await data();
    await writeData('v2');
    const second = await borgops(['backups', 'create', 'jon', '--json', ...world.args]);
    expect(second.exitCode).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({
      machine: 'jon',
      interrupted: false,
      preBackup: [{ name: 'pre-backup-linkding', ok: true }],
      destinations: [{ destination: 'storagebox', status: 'created', stats: { files: 2 }, warnings: [] }],
      postBackup: [],
    });

    // Listing available backups: `clan backups list`, byte for byte the guide's format
    const list = await borgops(['backups', 'list', ...world.args]);
    expect(list.exitCode).toBe(0);
    expect(list.stderr).toBe('');
    const lines = list.stdout.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toMatch(
        new RegExp(`^storagebox::${repo}::jon-storagebox-\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d$`),
      );
    }
    expect([...lines].sort()).toEqual(lines);
    expect(first.stdout).toContain(`created ${lines[0]!.split('::')[2]}:`);
    expect((await borgops(['backups', 'list', 'jon', ...world.args])).stdout).toBe(list.stdout);
    const json = JSON.parse((await borgops(['backups', 'list', 'jon', '--json', ...world.args])).stdout);
    expect(json.backups.map((b: { name: string }) => b.name)).toEqual(lines);
    const [older, newer] = lines as [string, string];

    // Full restoration: `clan backups restore jon borgbackup <name>` (confirmed: not a terminal)
    await writeData('v3');
    const refused = await borgops(['backups', 'restore', 'jon', 'borgbackup', older, ...world.args]);
    expect(refused.exitCode).toBe(3);
    expect(refused.stderr).toContain('add --yes to confirm');
    expect(await data()).not.toEqual(v1);
    const full = await borgops(['backups', 'restore', 'jon', 'borgbackup', older, '--yes', ...world.args]);
    expect(full.stderr).toBe('');
    expect(full.exitCode).toBe(0);
    expect(full.stdout).toBe(
      [
        `Restoring ${older.split('::')[2]} from storagebox in place under ${world.root}:`,
        '✓ linkding: restored /var/backup/linkding',
        '✓ zerotier: restored /var/lib/zerotier-one',
        'Restore complete: 2 of 2 states restored.',
        '',
      ].join('\n'),
    );
    expect(await data()).toEqual(v1);

    // Partial restoration: `clan backups restore --service linkding jon borgbackup <name>`
    const partial = await borgops([
      'backups',
      'restore',
      '--service',
      'linkding',
      'jon',
      'borgbackup',
      newer,
      ...world.args,
    ]);
    expect(partial.exitCode).toBe(0);
    const [linkding, zerotier] = await data();
    expect(linkding).toEqual(['linkding/db.sqlite3: linkding v2\n']);
    expect(zerotier).toEqual(v1[1]);
  });
});

describe("clan's --provider option of backups create and list", () => {
  it('borgbackup is every destination; another provider is refused before anything runs', async () => {
    const list = await borgops(['backups', 'list', 'jon', ...world.args]);
    const created = await borgops(['backups', 'create', 'jon', '--provider', 'borgbackup', ...world.args]);
    expect(created.exitCode).toBe(0);
    expect(created.stdout).toMatch(/✓ storagebox: created jon-storagebox-/);
    const after = await borgops(['backups', 'list', 'jon', '--provider', 'borgbackup', ...world.args]);
    expect(after.exitCode).toBe(0);
    expect(after.stdout.split('\n').length).toBe(list.stdout.split('\n').length + 1);
    for (const args of [
      ['backups', 'list', 'jon', '--provider', 'restic'],
      ['backups', 'create', 'jon', '--provider', 'restic'],
    ]) {
      const refused = await borgops([...args, ...world.args]);
      expect(refused.exitCode, args.join(' ')).toBe(1);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toContain('unknown provider "restic"');
    }
    expect((await borgops(['backups', 'list', 'jon', ...world.args])).stdout).toBe(after.stdout);
  });
});

/** Runs the built CLI on a pseudo-terminal (util-linux `script`), typing `input`. */
async function onTerminal(args: readonly string[], input: string) {
  const quoted = ['node', cliPath, ...args].map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(' ');
  const result = await execa('script', ['-qec', quoted, '/dev/null'], { input, reject: false });
  return { exitCode: result.exitCode, output: result.stdout };
}

describe('on a terminal', () => {
  it('shows progress while creating and asks before a full in-place restore', async () => {
    await writeData('v4');
    const created = await onTerminal(['backups', 'create', 'jon', ...world.args], '');
    expect(created.exitCode).toBe(0);
    // borg's progress (files, bytes, current path) redrawn in place, one line per destination
    expect(created.output).toContain('\r\u001b[Kstoragebox: borg create…');
    expect(created.output).toMatch(/\[[KJ]storagebox: \d+ files?, \d+(\.\d)? [KMG]?i?B, …?[a-z/-]+/);
    const name = (await borgops(['backups', 'list', 'jon', ...world.args])).stdout.split('\n').at(-2)!;
    await writeData('v5');

    const declined = await onTerminal(
      ['backups', 'restore', 'jon', 'borgbackup', name, ...world.args],
      'n\n',
    );
    expect(declined.output).toContain(
      `Restore every state of jon (linkding, zerotier) in place under ${world.root} from ${name.split('::')[2]}? Files there are overwritten. [y/N]`,
    );
    expect(declined.output).toContain('borgops: restore cancelled; nothing was changed');
    expect(declined.exitCode).toBe(3);
    expect(await readFile(join(world.root, 'var/backup/linkding/db.sqlite3'), 'utf8')).toBe('linkding v5\n');

    const accepted = await onTerminal(
      ['backups', 'restore', 'jon', 'borgbackup', name, ...world.args],
      'y\n',
    );
    expect(accepted.exitCode).toBe(0);
    expect(accepted.output).toContain('Restore complete: 2 of 2 states restored.');
    expect(await readFile(join(world.root, 'var/backup/linkding/db.sqlite3'), 'utf8')).toBe('linkding v4\n');
  });
});
