import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { describe, expect, it } from 'vitest';
import { fleetFiles } from '../bench/preview-fleet.mjs';
import { borgops } from '../helpers/cli.js';
import { exampleDir, gitRepo } from '../helpers/git.js';
import { fleetConfig } from '../helpers/preview.js';
import { tempDir } from '../helpers/temp.js';

// `borgops preview` as CI runs it: the built CLI on real git repositories.

const GITHUB_LIMIT = 65_536;

describe('borgops preview (CLI)', () => {
  it('exits 0 with no change and 2 with changes, in every format', async () => {
    const repo = await gitRepo(undefined, { from: exampleDir });
    await repo.git.tag(['base']);
    const same = await borgops(['preview', '--source', repo.dir, '--base', 'base', '--head', 'HEAD']);
    expect(same.stderr).toBe('');
    expect(same.exitCode).toBe(0);
    expect(same.stdout).toContain('No changes');

    await repo.commit({
      'machines/jon/state.yaml': `${await import('node:fs/promises').then((fs) => fs.readFile(join(exampleDir, 'machines/jon/state.yaml'), 'utf8'))}  nginx:\n    folders: [/etc/nginx]\n`,
    });
    for (const format of ['text', 'markdown', 'json']) {
      const result = await borgops(['preview', '--source', repo.dir, '--base', 'base', '--format', format]);
      expect(result.exitCode, format).toBe(2);
      expect(result.stdout, format).toContain('state/nginx');
    }
    const json = await borgops(['preview', '--source', repo.dir, '--base', 'base', '--json']);
    const report = JSON.parse(json.stdout);
    expect(report.summary).toMatchObject({ machines: 1, changed: 1, additions: 1, refusals: 0 });
    const markdown = await borgops([
      'preview',
      '--source',
      repo.dir,
      '--base',
      'base',
      '--format',
      'markdown',
    ]);
    expect(markdown.stdout.startsWith('<!-- borgops-preview -->\n')).toBe(true);
    expect(markdown.stdout).toContain('| machine | additions | changes | removals | archives pruned |');
    expect(markdown.stdout).toContain('<details><summary><code>jon</code>: 1 to add</summary>');
  });

  it('validates the same files once: an empty commit is no change, an invalid head stays invalid', async () => {
    const repo = await gitRepo(undefined, { from: exampleDir });
    /** An empty commit on top of `base` (same files, another commit), previewed against it as JSON. */
    const emptyOnTop = async (base: string) => {
      await repo.git.tag([base]);
      await repo.git.raw(['-c', 'commit.gpgsign=false', 'commit', '-q', '--allow-empty', '-m', 'same files']);
      const result = await borgops([
        'preview',
        '--source',
        repo.dir,
        '--base',
        base,
        '--head',
        'HEAD',
        '--json',
      ]);
      return { exitCode: result.exitCode, report: JSON.parse(result.stdout) };
    };
    const same = await emptyOnTop('base');
    expect(same.exitCode).toBe(0);
    expect(same.report.head.commit).not.toBe(same.report.base.commit);
    expect(same.report).toMatchObject({ head: { valid: true }, base: { valid: true }, machines: [] });

    // base and head the same invalid files: head's problems are still every problem, exit 1
    await repo.commit({ 'inventory.json': '{"instances": {}, "extra": 1}\n' });
    const broken = await emptyOnTop('broken');
    expect(broken.exitCode).toBe(1);
    expect(broken.report.head.valid).toBe(false);
    expect(broken.report.base).toMatchObject({ valid: false });
    expect(broken.report.base.errors).toBeGreaterThan(0);
    expect(
      broken.report.problems.map((p: { file: string; path: string }) => `${p.file} ${p.path}`),
    ).toContain('inventory.json extra');
  });

  it('exits 1 with every problem of an invalid head as file:line: path: message', async () => {
    const repo = await gitRepo(fleetConfig());
    await repo.git.tag(['base']);
    await repo.commit({
      'inventory.json':
        '{"instances": {"borgbackup": {"module": {"name": "borgbackup"}, "roles": {"client": {"machines": {"jon": {"settings": {"compression": "fast"}}}}}}}, "extra": 1}\n',
    });
    const result = await borgops(['preview', '--source', repo.dir, '--base', 'base', '--format', 'markdown']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^inventory\.json:1: extra: /m);
    expect(result.stdout).toMatch(
      /^inventory\.json:1: instances\.borgbackup\.roles\.client\.machines\.jon\.settings\.compression: /m,
    );
    const text = await borgops(['preview', '--source', repo.dir, '--base', 'base']);
    expect(text.exitCode).toBe(1);
    expect(text.stdout).toContain('are invalid (');
  });

  it('exits 3 and names the archives when a guard would refuse a retention change (--observed)', async () => {
    const repo = await gitRepo(fleetConfig());
    await repo.git.tag(['base']);
    await repo.commit(fleetConfig({ clientSettings: { prune: { keep: { daily: 1 } } } }));
    const observed = await tempDir();
    // `borg list --json` output as it comes, and a snapshot for the machine's time
    const archives = ['2026-03-08T01:00:00', '2026-03-09T01:00:00', '2026-03-10T01:00:00'].map((time) => ({
      archive: `jon-storagebox-${time}`,
      name: `jon-storagebox-${time}`,
      start: `${time}.000000`,
      time: `${time}.000000`,
      id: '0'.repeat(64),
    }));
    await writeFile(
      join(observed, 'borg-list.json'),
      JSON.stringify({ archives, repository: { location: '/x' } }),
    );
    await writeFile(
      join(observed, 'jon.json'),
      JSON.stringify({ machine: 'jon', observedAt: '2026-03-10T12:00:00Z', destinations: {} }),
    );
    const args = ['preview', '--source', repo.dir, '--base', 'base', '--observed', observed];
    const result = await borgops([...args, '--format', 'markdown'], { env: { TZ: 'UTC' } });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(3);
    expect(result.stdout).toContain('> [!CAUTION]');
    expect(result.stdout).toContain(
      '**Archives pruned on `storagebox`**: 2 of 3 (1 kept; retention evaluated at 2026-03-10T12:00:00.000Z)\n```text\njon-storagebox-2026-03-09T01:00:00\njon-storagebox-2026-03-08T01:00:00\n```',
    );
    const json = JSON.parse((await borgops([...args, '--json'], { env: { TZ: 'UTC' } })).stdout);
    expect(json.observed).toEqual(['jon']);
    expect(json.machines[0].refusals[0].guard).toBe('large-prune');

    await writeFile(join(observed, 'bad.json'), '{"archives": "none"}');
    const bad = await borgops(args);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain('--observed: bad.json is neither a snapshot');
  });

  it('prints the same bytes on every run and from every clone (no paths, no times)', async () => {
    const repo = await gitRepo(fleetConfig({ machines: ['jon', 'kim'] }));
    await repo.git.tag(['base']);
    const states = fleetConfig()['machines/jon/state.yaml']!.replace('echo "zerotier"', 'echo "zt"');
    await repo.commit({ 'machines/jon/state.yaml': states, 'machines/kim/state.yaml': null });
    const clone = join(await tempDir(), 'elsewhere');
    await simpleGit().clone(repo.dir, clone);
    await simpleGit(clone).fetch(['origin', 'refs/tags/base:refs/tags/base']);
    for (const format of ['markdown', 'json']) {
      const outputs = [];
      for (const dir of [repo.dir, repo.dir, clone]) {
        const result = await borgops([
          'preview',
          '--source',
          dir,
          '--base',
          'base',
          '--head',
          'HEAD',
          '--format',
          format,
        ]);
        expect(result.exitCode).toBe(3);
        outputs.push(result.stdout);
      }
      expect(outputs[1], format).toBe(outputs[0]);
      expect(outputs[2], format).toBe(outputs[0]);
      expect(outputs[0]).not.toContain(repo.dir);
    }
  });

  it('keeps a huge change under 65,536 characters: long diffs cut in the middle, then fewer details', async () => {
    const fleet = { machines: 150, destinations: 3, states: 10 };
    const repo = await gitRepo(fleetFiles(fleet, 'none'));
    await repo.git.tag(['base']);
    const head = fleetFiles(fleet, 'fleet');
    // one machine gets a 2000-line script
    const long = Array.from({ length: 2000 }, (_, i) => `      echo "step ${i}"`).join('\n');
    head['machines/host0007/state.yaml'] =
      `${head['machines/host0007/state.yaml']}  big:\n    folders: [/srv/big]\n    preBackupScript: |\n${long}\n`;
    await repo.commit(head);
    const result = await borgops(['preview', '--source', repo.dir, '--base', 'base', '--format', 'markdown']);
    expect(result.exitCode).toBe(2);
    const comment = result.stdout;
    expect(comment.length).toBeLessThanOrEqual(GITHUB_LIMIT);
    expect(Buffer.byteLength(comment)).toBeLessThanOrEqual(GITHUB_LIMIT);
    expect(comment).toContain('**Changes on 150 of 150 machines**');
    expect(comment).toMatch(/… \d+ lines not shown …/);
    expect(comment).toMatch(/\*\*\d+ more machines not detailed here\*\*/);
    expect(comment).toContain('| … 50 more machines |');
    // every fence that opens closes
    expect((comment.match(/^```/gm) ?? []).length % 2).toBe(0);
    const text = await borgops(['preview', '--source', repo.dir, '--base', 'base']);
    expect(text.stdout.length).toBeGreaterThan(GITHUB_LIMIT);
    expect(text.stdout).toContain('echo "step 1000"');
  });

  it('compares against nothing when the base has no valid declarations yet', async () => {
    const repo = await gitRepo({ 'README.md': 'config repository\n' });
    await repo.git.tag(['base']);
    await mkdir(join(repo.dir, 'machines'), { recursive: true });
    await repo.commit(fleetConfig());
    const result = await borgops(['preview', '--source', repo.dir, '--base', 'base', '--format', 'markdown']);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toContain(
      'are invalid (1 error): every machine is compared as if the base declared nothing',
    );
    expect(result.stdout).toContain('<code>jon</code> (new)');
  });

  it('rejects an unknown format, scheduler or ref with a usage error', async () => {
    const repo = await gitRepo(fleetConfig());
    const format = await borgops(['preview', '--source', repo.dir, '--base', 'HEAD', '--format', 'html']);
    expect(format.exitCode).toBe(1);
    expect(format.stderr).toContain('--format html: use one of text, markdown, json');
    const scheduler = await borgops([
      'preview',
      '--source',
      repo.dir,
      '--base',
      'HEAD',
      '--scheduler',
      'cron',
    ]);
    expect(scheduler.stderr).toContain('--scheduler cron: use one of embedded');
    const ref = await borgops(['preview', '--source', repo.dir, '--base', 'nope']);
    expect(ref.exitCode).toBe(1);
    expect(ref.stderr).toContain('unknown ref "nope"');
  });
});
