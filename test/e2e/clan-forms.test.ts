import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { load as loadYaml } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { borgops } from '../helpers/cli.js';
import { gitRepo } from '../helpers/git.js';
import { guideStateListing } from '../helpers/guide.js';
import { tempDir } from '../helpers/temp.js';

/*
 * examples/clan-inventory is what `nix eval --json` prints for a clan flake (the inventory and
 * jon's clan.core.state). Written as nix prints it (one line), it goes through validate, state
 * list, plan and preview exactly like its hand-written equivalent (examples/clan-storagebox).
 */

const examples = new URL('../../examples/', import.meta.url).pathname;
const read = (path: string) => readFile(join(examples, path), 'utf8');
/** `nix eval --json` prints one line. */
const oneLine = (text: string) => `${JSON.stringify(JSON.parse(text))}\n`;

const storagebox = 'u444061@u444061.your-storagebox.de:/./borgbackup';
/** The Storage Box pointed at a local repository, as the quick start does (no network). */
const local = (text: string) => text.replace(storagebox, '/srv/borg/storagebox');

async function clanFiles() {
  return {
    'inventory.json': local(oneLine(await read('clan-inventory/inventory.json'))),
    'machines/jon/state.json': oneLine(await read('clan-inventory/machines/jon/state.json')),
  };
}

/** The guide's example by hand, its states in a state.json (a hook names the file it came from). */
async function handFiles() {
  const states = loadYaml(await read('clan-storagebox/machines/jon/state.yaml')) as { state: unknown };
  return {
    'inventory.json': local(await read('clan-storagebox/inventory.json')),
    'machines/jon/state.json': `${JSON.stringify({ state: states.state }, null, 2)}\n`,
  };
}

/** A plan's actions, with the temporary root replaced. */
async function planActions(source: string, ref: string): Promise<{ exitCode: number; actions: unknown }> {
  const root = await tempDir('borgops-root-');
  const result = await borgops([
    'plan',
    '--source',
    source,
    '--ref',
    ref,
    '--machine',
    'jon',
    '--root',
    root,
    '--json',
  ]);
  const plan = JSON.parse(result.stdout.replaceAll(root, '<root>')) as { actions: unknown };
  return { exitCode: result.exitCode, actions: plan.actions };
}

describe('a clan inventory and clan.core.state as clan prints them (built CLI)', () => {
  it('validate accepts them with one info line; state list prints clan_cli bytes', async () => {
    const repo = await gitRepo(await clanFiles());
    const validate = await borgops(['validate', '--source', repo.dir]);
    expect(validate.stderr).toBe('');
    expect(validate.exitCode).toBe(0);
    expect(validate.stdout).toMatch(
      /^info: ignored what borgops does not read: machines\.\*\.deploy, machines\.\*\.installedAt, meta\.domain, instances\.zerotier \(module "zerotier"\)\ndeclarations at [0-9a-f]{12} are valid: 0 errors, 0 warnings\n$/,
    );
    const json = JSON.parse((await borgops(['validate', '--source', repo.dir, '--json'])).stdout);
    expect(json).toMatchObject({ valid: true, problems: [] });
    expect(json.ignored).toContain('instances.zerotier (module "zerotier")');

    const list = await borgops(['state', 'list', 'jon', '--source', repo.dir]);
    expect(list).toMatchObject({ exitCode: 0, stderr: '', stdout: guideStateListing });
    const one = await borgops(['state', 'list', 'jon', '--service', 'zerotier', '--source', repo.dir]);
    expect(one).toMatchObject({
      exitCode: 0,
      stdout: '· service: zerotier\n  folders:\n  - /var/lib/zerotier-one\n\n',
    });
    const missing = await borgops(['state', 'list', 'jon', '--service', 'nginx', '--source', repo.dir]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toContain("Service nginx isn't configured for this machine");
  });

  it('plan and preview: the clan forms are the hand-written declarations, action for action', async () => {
    const repo = await gitRepo(await handFiles());
    const hand = (await repo.git.revparse(['HEAD'])).trim();
    const clan = await repo.commit(await clanFiles(), 'the same, as clan prints it');

    const [handPlan, clanPlan] = [await planActions(repo.dir, hand), await planActions(repo.dir, clan)];
    expect(handPlan.exitCode).toBe(2);
    expect(clanPlan).toEqual(handPlan);

    const preview = await borgops([
      'preview',
      '--source',
      repo.dir,
      '--base',
      hand,
      '--head',
      clan,
      '--json',
    ]);
    expect(preview.stderr).toBe('');
    expect(preview.exitCode).toBe(0);
    expect(JSON.parse(preview.stdout).summary).toMatchObject({ changed: 0, additions: 0, refusals: 0 });
    const text = await borgops(['preview', '--source', repo.dir, '--base', hand, '--head', clan]);
    expect(text.stdout).toContain('No changes');
  });

  it("a tag's settings change shows in the preview as jon's schedule", async () => {
    const files = await clanFiles();
    const repo = await gitRepo(files);
    const base = (await repo.git.revparse(['HEAD'])).trim();
    const inventory = JSON.parse(files['inventory.json']);
    inventory.instances.borgbackup.roles.client.tags.backup.settings = { startAt: '*-*-* 03:00:00' };
    await repo.commit({ 'inventory.json': JSON.stringify(inventory) });
    const preview = await borgops(['preview', '--source', repo.dir, '--base', base]);
    expect(preview.exitCode).toBe(2);
    expect(preview.stdout).toContain('schedule/storagebox');
    expect(preview.stdout).toContain('03:00:00');
  });
});

describe('the quick start on examples/clan-inventory', () => {
  it('validates, applies, backs up, lists and restores', async () => {
    const work = await tempDir('borgops-demo-');
    const script = new URL('../../examples/quickstart.sh', import.meta.url).pathname;
    const result = await execa('bash', [script, join(examples, 'clan-inventory')], {
      env: { BORGOPS_DEMO_DIR: work, BORGOPS_LOG_LEVEL: 'warn' },
      reject: false,
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('info: ignored what borgops does not read');
    expect(result.stdout).toContain(guideStateListing);
    expect(result.stdout).toMatch(/✓ storagebox: created jon-storagebox-/);
    expect(result.stdout).toContain('restored copy matches');
  }, 180_000);
});
