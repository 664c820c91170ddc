import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { previewExitCode } from '../../../reconcile/preview/model.js';
import { renderPreviewMarkdown } from '../../../reconcile/render/preview-markdown.js';
import { renderPreviewText } from '../../../reconcile/render/preview-text.js';
import { gitRepo } from '../../helpers/git.js';
import { fleetConfig, previewOf } from '../../helpers/preview.js';
import { tempDir } from '../../helpers/temp.js';

// The preview core on real git repositories (two commits each), in-process.

describe('preview (real git)', () => {
  it('reports no change when the commits declare the same thing', async () => {
    const repo = await gitRepo({ ...fleetConfig(), 'README.md': 'config\n' });
    const base = (await repo.git.revparse(['HEAD'])).trim();
    // same declarations, written differently: a reformatted inventory and an unrelated file
    const inventory = JSON.parse(fleetConfig()['inventory.json']!);
    const head = await repo.commit({ 'inventory.json': JSON.stringify(inventory), 'README.md': 'docs\n' });
    const report = await previewOf(repo, base, head);
    expect(report.machines).toEqual([]);
    expect(report.summary).toMatchObject({ machines: 1, changed: 0, additions: 0, removals: 0 });
    expect(previewExitCode(report)).toBe(0);
    expect(renderPreviewText(report, { color: false })).toContain('No changes');
    expect(report.summary.expectedSeries).toEqual({ added: 0, removed: 0 });
  });

  it('shows a new machine with every resource it gets and its hook files', async () => {
    const repo = await gitRepo(fleetConfig());
    const base = (await repo.git.revparse(['HEAD'])).trim();
    const head = await repo.commit(fleetConfig({ machines: ['jon', 'kim'] }));
    const report = await previewOf(repo, base, head);
    expect(report.machines.map((m) => [m.machine, m.status])).toEqual([['kim', 'added']]);
    const kim = report.machines[0]!;
    expect(kim.changes.map((c) => `${c.change} ${c.id}`)).toEqual([
      'added state/linkding',
      'added state/zerotier',
      'added secret/storagebox',
      'added repository/storagebox',
      'added retention/storagebox',
      'added hook/pre-backup-linkding',
      'added hook/pre-backup-zerotier',
      'added schedule/storagebox',
    ]);
    expect(kim.counts).toEqual({ additions: 8, changes: 0, removals: 0, destructive: 0, archivesPruned: 0 });
    const hook = kim.changes.find((c) => c.id === 'hook/pre-backup-linkding')!;
    expect(hook.files[0]!.path).toBe('/var/lib/borgops/hooks/pre-backup-linkding');
    expect(hook.files[0]!.diff).toContain('+systemctl stop podman-linkding');
    const schedule = kim.changes.find((c) => c.id === 'schedule/storagebox')!;
    expect(schedule.files.map((f) => f.path)).toEqual([
      '/etc/systemd/system/borgbackup-job-storagebox.service',
      '/etc/systemd/system/borgbackup-job-storagebox.timer',
    ]);
    expect(schedule.files[0]!.diff).toContain(
      '+ExecStart=/usr/bin/borgops backups create kim --destination storagebox',
    );
    expect(schedule.files[1]!.diff).toContain('+OnCalendar=*-*-* 01:00:00');
    expect(previewExitCode(report)).toBe(2);
    // kim's agent and kim/storagebox: two more series the fleet's alert rules expect
    expect(report.summary.expectedSeries).toEqual({ added: 2, removed: 0 });
    expect(renderPreviewText(report, { color: false })).toContain(
      'Prometheus: +2 / −0 expected series (regenerate with borgops fleet targets).',
    );
    expect(renderPreviewMarkdown(report)).toContain('Prometheus: +2 / −0 expected series');
  });

  it('diffs a changed script and nothing else', async () => {
    const repo = await gitRepo(fleetConfig());
    const base = (await repo.git.revparse(['HEAD'])).trim();
    const states = fleetConfig()['machines/jon/state.yaml']!.replace(
      'systemctl start podman-linkding',
      'systemctl start podman-linkding\n      curl -fsS https://hc.example/ping',
    );
    const head = await repo.commit({ 'machines/jon/state.yaml': states });
    const report = await previewOf(repo, base, head);
    const [jon] = report.machines;
    expect(jon?.changes.map((c) => `${c.change} ${c.id}`)).toEqual(['changed hook/pre-backup-linkding']);
    expect(jon?.changes[0]?.files[0]).toMatchObject({ added: 1, removed: 0 });
    expect(jon?.changes[0]?.files[0]?.diff).toContain('\n+curl -fsS https://hc.example/ping\n');
    expect(jon?.changes[0]?.destructive).toBe(false);
    const markdown = renderPreviewMarkdown(report);
    expect(markdown).toContain('```diff\n--- /var/lib/borgops/hooks/pre-backup-linkding\tbase\n');
  });

  it('marks a removed state, its folders and its hook as destructive', async () => {
    const repo = await gitRepo(fleetConfig());
    const base = (await repo.git.revparse(['HEAD'])).trim();
    const states =
      'state:\n  linkding:\n    folders: [/var/backup/linkding]\n    preBackupScript: |\n      systemctl stop podman-linkding\n      rsync -a /data/podman/linkding/ /var/backup/linkding/\n      systemctl start podman-linkding\n';
    const head = await repo.commit({ 'machines/jon/state.yaml': states });
    const report = await previewOf(repo, base, head);
    const jon = report.machines[0]!;
    expect(jon.changes.map((c) => [c.change, c.id, c.destructive])).toEqual([
      ['removed', 'state/zerotier', true],
      ['removed', 'hook/pre-backup-zerotier', true],
    ]);
    expect(jon.changes[0]!.summary).toContain('/var/lib/zerotier-one');
    expect(jon.counts).toMatchObject({ removals: 2, destructive: 2 });
    expect(jon.refusals).toEqual([]);
    expect(previewExitCode(report)).toBe(2);
  });

  it('refuses (exit 3) removing every state of a machine, as apply would', async () => {
    const repo = await gitRepo(fleetConfig());
    const base = (await repo.git.revparse(['HEAD'])).trim();
    const head = await repo.commit({ 'machines/jon/state.yaml': 'state: {}\n' });
    const report = await previewOf(repo, base, head);
    expect(report.machines[0]!.refusals.map((r) => r.guard)).toEqual(['remove-all']);
    expect(previewExitCode(report)).toBe(3);
  });

  it('names the archives a retention change prunes from an observed snapshot', async () => {
    const repo = await gitRepo(fleetConfig());
    const base = (await repo.git.revparse(['HEAD'])).trim();
    const head = await repo.commit(
      fleetConfig({ clientSettings: { prune: { keep: { within: '1d', daily: 3, weekly: 4 } } } }),
    );
    const dir = await tempDir();
    const days = Array.from({ length: 10 }, (_, i) => `2026-03-${String(i + 1).padStart(2, '0')}T01:00:00`);
    const archives = days.map((day) => ({ name: `jon-storagebox-${day}`, start: `${day}.000000` }));
    // a neighbour's archive in the same list must never be counted
    archives.push({ name: 'jon-storagebox-old-2026-03-01T01:00:00', start: '2026-03-01T01:00:00.000000' });
    await writeFile(
      join(dir, 'jon.json'),
      JSON.stringify({ machine: 'jon', destinations: { storagebox: { archives } } }),
    );
    // evaluated right after the newest backup, in this process's time zone like borg's
    const report = await previewOf(repo, base, head, { observed: dir });
    const jon = report.machines[0]!;
    const retention = jon.changes.find((c) => c.id === 'retention/storagebox')!;
    expect(retention.settings).toEqual([
      { subject: 'storagebox', setting: 'retention daily', before: '7', after: '3' },
    ]);
    expect(retention.destructive).toBe(true);
    expect(jon.prunes).toHaveLength(1);
    expect(jon.prunes[0]).toMatchObject({
      destination: 'storagebox',
      total: 10,
      kept: 5,
      dueAnyway: 1,
      pruned: [
        'jon-storagebox-2026-03-06T01:00:00',
        'jon-storagebox-2026-03-05T01:00:00',
        'jon-storagebox-2026-03-04T01:00:00',
        'jon-storagebox-2026-03-03T01:00:00',
        'jon-storagebox-2026-03-02T01:00:00',
      ],
    });
    expect(jon.counts.archivesPruned).toBe(5);
    expect(report.summary.archivesPruned).toBe(5);
    // 5 of 10 is not more than half: no guard
    expect(previewExitCode(report)).toBe(2);
    const markdown = renderPreviewMarkdown(report);
    expect(markdown).toContain('| `jon` ⚠️ | 0 | 1 | 0 | 5 |');
    expect(markdown).toContain('jon-storagebox-2026-03-03T01:00:00');
  });

  it('refuses (exit 3) a retention change that prunes more than half of the observed archives', async () => {
    const repo = await gitRepo(fleetConfig());
    const base = (await repo.git.revparse(['HEAD'])).trim();
    const head = await repo.commit(fleetConfig({ clientSettings: { prune: { keep: { daily: 2 } } } }));
    const dir = await tempDir();
    const rows = Array.from({ length: 6 }, (_, i) => ({
      machine: 'jon',
      destination: 'storagebox',
      name: `jon-storagebox-2026-03-0${i + 1}T01:00:00`,
    }));
    await writeFile(join(dir, 'rows.json'), JSON.stringify(rows));
    const report = await previewOf(repo, base, head, { observed: dir });
    const jon = report.machines[0]!;
    expect(jon.prunes[0]?.pruned).toHaveLength(4);
    expect(jon.refusals).toEqual([
      {
        guard: 'large-prune',
        id: 'retention/storagebox',
        message:
          'storagebox: retention would prune 4 of 6 archives, more than half; --allow-large-prune permits it',
      },
    ]);
    expect(previewExitCode(report)).toBe(3);
  });

  it('reports every problem of an invalid head and nothing else', async () => {
    const repo = await gitRepo(fleetConfig());
    const base = (await repo.git.revparse(['HEAD'])).trim();
    const head = await repo.commit({
      'machines/jon/state.yaml':
        'state:\n  linkding:\n    folder: [/x]\n  zerotier:\n    preBackupScript: 1\n',
    });
    const report = await previewOf(repo, base, head);
    expect(report.head.valid).toBe(false);
    expect(report.machines).toEqual([]);
    expect(previewExitCode(report)).toBe(1);
    const text = renderPreviewText(report, { color: false });
    expect(text).toMatch(/machines\/jon\/state\.yaml:3: state\.linkding\.folder: /);
    expect(text).toMatch(/machines\/jon\/state\.yaml:5: state\.zerotier\.preBackupScript: /);
    const markdown = renderPreviewMarkdown(report);
    expect(markdown).toContain('are invalid** (2 errors)');
    expect(markdown).toMatch(
      /```text\nmachines\/jon\/state\.yaml:3: state\.linkding\.folder: .*\nmachines\/jon\/state\.yaml:5: /,
    );
  });

  it('shows a changed passCommand and repository credentials as changed, never their values', async () => {
    const secretRepo = (password: string) => `ssh://backup:${password}@backup.example.net:23/./jon`;
    const repo = await gitRepo(
      fleetConfig({
        clientSettings: { encryption: { passCommand: 'cat /run/secrets/borg-old' } },
        machineSettings: { jon: { destinations: { storagebox: { repo: secretRepo('s3cr3t-old') } } } },
      }),
    );
    const base = (await repo.git.revparse(['HEAD'])).trim();
    const head = await repo.commit(
      fleetConfig({
        clientSettings: { encryption: { passCommand: 'cat /run/secrets/borg-new' } },
        machineSettings: { jon: { destinations: { storagebox: { repo: secretRepo('s3cr3t-new') } } } },
      }),
    );
    const report = await previewOf(repo, base, head);
    const repository = report.machines[0]!.changes.find((c) => c.id === 'repository/storagebox')!;
    expect(repository.settings).toEqual([
      { subject: 'storagebox', setting: 'repo', before: '(hidden)', after: '(hidden)', hidden: true },
      {
        subject: 'storagebox',
        setting: 'encryption passCommand',
        before: '(hidden)',
        after: '(hidden)',
        hidden: true,
      },
    ]);
    const outputs = [
      JSON.stringify(report),
      renderPreviewMarkdown(report),
      renderPreviewText(report, { color: false }),
    ];
    for (const output of outputs) {
      expect(output).not.toMatch(/s3cr3t|borg-old|borg-new|cat \/run/);
      expect(output).toContain('passCommand');
    }
    expect(outputs[1]).toContain('storagebox: encryption passCommand changed (value hidden)');
    expect(outputs[1]).toContain('storagebox: repo changed (value hidden)');
    // same location, other credentials: not a move, so no reinit guard
    expect(report.machines[0]!.refusals).toEqual([]);
    expect(report.machines[0]!.notes).toEqual([]);
    expect(previewExitCode(report)).toBe(2);
  });

  it('guards a destination that moves to a repository borgops has not seen, unless a snapshot saw it', async () => {
    const repo = await gitRepo(fleetConfig());
    const base = (await repo.git.revparse(['HEAD'])).trim();
    const head = await repo.commit(
      fleetConfig({ machineSettings: { jon: { destinations: { storagebox: { repo: '/mnt/new/jon' } } } } }),
    );
    const report = await previewOf(repo, base, head);
    const jon = report.machines[0]!;
    expect(jon.changes.find((c) => c.id === 'repository/storagebox')?.settings).toEqual([
      { subject: 'storagebox', setting: 'repo', before: '/srv/borg/jon', after: '/mnt/new/jon' },
    ]);
    expect(jon.refusals.map((r) => [r.guard, r.id])).toEqual([['reinit', 'repository/storagebox']]);
    expect(jon.notes[0]).toContain('the archives in /srv/borg/jon stay there and are no longer pruned');
    expect(previewExitCode(report)).toBe(3);

    const dir = await tempDir();
    const snapshot = {
      machine: 'jon',
      destinations: [{ name: 'storagebox', repo: '/mnt/new/jon/', archives: [] }],
    };
    await writeFile(join(dir, 'jon.json'), JSON.stringify(snapshot));
    const observed = await previewOf(repo, base, head, { observed: dir });
    expect(observed.machines[0]!.refusals).toEqual([]);
    expect(previewExitCode(observed)).toBe(2);
  });

  it('shows a machine removed from the declarations, refused as removing all its backups', async () => {
    const repo = await gitRepo(fleetConfig({ machines: ['jon', 'kim'] }));
    const base = (await repo.git.revparse(['HEAD'])).trim();
    const head = await repo.commit({
      ...fleetConfig({ machines: ['jon'] }),
      'machines/kim/state.yaml': null,
    });
    const report = await previewOf(repo, base, head);
    expect(report.machines.map((m) => [m.machine, m.status])).toEqual([['kim', 'removed']]);
    const kim = report.machines[0]!;
    expect(kim.counts).toMatchObject({ additions: 0, changes: 0, removals: 8, destructive: 5 });
    expect(kim.refusals.map((r) => r.guard)).toEqual(['remove-all']);
    expect(kim.notes[0]).toContain('kim is no longer declared');
    expect(report.summary.machines).toBe(1);
    expect(previewExitCode(report)).toBe(3);
  });

  it('counts archives a looser retention still prunes, and says they were due anyway', async () => {
    const repo = await gitRepo(fleetConfig({ clientSettings: { prune: { keep: { daily: 2 } } } }));
    const base = (await repo.git.revparse(['HEAD'])).trim();
    const head = await repo.commit(fleetConfig({ clientSettings: { prune: { keep: { daily: 3 } } } }));
    const dir = await tempDir();
    const names = Array.from({ length: 6 }, (_, i) => `jon-storagebox-2026-03-0${i + 1}T01:00:00`);
    await writeFile(
      join(dir, 'list.json'),
      JSON.stringify({
        machine: 'jon',
        destination: 'storagebox',
        archives: names.map((name) => ({ name })),
      }),
    );
    const report = await previewOf(repo, base, head, { observed: dir });
    const jon = report.machines[0]!;
    expect(jon.changes.map((c) => [c.id, c.destructive])).toEqual([['retention/storagebox', true]]);
    expect(jon.prunes[0]).toMatchObject({
      total: 6,
      kept: 3,
      dueAnyway: 3,
      pruned: names.slice(0, 3).reverse(),
    });
    expect(renderPreviewText(report, { color: false })).toContain('3 of them due under the base rules too');
    expect(previewExitCode(report)).toBe(2);
  });
});
