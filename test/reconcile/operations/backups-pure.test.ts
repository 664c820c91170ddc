import { describe, expect, it } from 'vitest';
import { pruneRefusal } from '../../../reconcile/engine/guards.js';
import { failedLeftovers } from '../../../reconcile/engine/retention.js';
import { foldersOf } from '../../../reconcile/operations/backup-destination.js';
import { backupName, formatListing } from '../../../reconcile/operations/backups-list.js';
import { parseRestoreName, statesToRestore } from '../../../reconcile/operations/restore-target.js';
import { progressLine } from '../../../reconcile/render/backups-text.js';
import { archiveTimestamp } from '../../../src/config/names.js';
import { compile } from '../../../src/desired/compile.js';
import { archivePath } from '../../../src/host/paths.js';
import { declarationsOf } from '../../helpers/declarations.js';
import { localConfig } from '../../helpers/fleet.js';

const desired = compile(
  declarationsOf(localConfig({ storagebox: '/srv/borg/jon', 'storage-b': '/srv/b' })),
  'jon',
);

describe('restore names', () => {
  it('reads a backups list line back, whatever colons the repository holds', () => {
    const source = parseRestoreName(desired, 'storagebox::/srv/borg/jon::jon-storagebox-2025-07-24T06:02:35');
    expect([source.destination.name, source.archive]).toEqual([
      'storagebox',
      'jon-storagebox-2025-07-24T06:02:35',
    ]);
  });

  it.each([
    [
      'no separators',
      'jon-storagebox-2025-07-24T06:02:35',
      /is not a backup name: expected <destination>::<repo>::<archive>/,
    ],
    ['one separator', 'storagebox::jon-storagebox-2025-07-24T06:02:35', /is not a backup name/],
    [
      'an unknown destination',
      'nope::/srv/borg/jon::jon-nope-2025-07-24T06:02:35',
      /^unknown destination "nope" for machine jon \(declared: storage-b, storagebox\)$/,
    ],
    [
      'another repository',
      'storagebox::/srv/other::jon-storagebox-2025-07-24T06:02:35',
      /names repository \/srv\/other, but storagebox's repository is \/srv\/borg\/jon/,
    ],
    [
      'another machine',
      'storagebox::/srv/borg/jon::sara-storagebox-2025-07-24T06:02:35',
      /is not a backup of machine jon in storagebox/,
    ],
    [
      'another destination',
      'storagebox::/srv/borg/jon::jon-storage-b-2025-07-24T06:02:35',
      /is not a backup of machine jon/,
    ],
    [
      'a .failed leftover',
      'storagebox::/srv/borg/jon::jon-storagebox-2025-07-24T06:02:35.failed',
      /is not a backup of machine jon/,
    ],
    [
      'a checkpoint',
      'storagebox::/srv/borg/jon::jon-storagebox-2025-07-24T06:02:35.checkpoint',
      /is not a backup of machine jon/,
    ],
    [
      'a bad time',
      'storagebox::/srv/borg/jon::jon-storagebox-2025-13-24T06:02:35',
      /is not a backup of machine jon/,
    ],
  ])('refuses %s', (_what, name, message) => {
    expect(() => parseRestoreName(desired, name)).toThrow(message);
  });

  it('restores the --service state or every state, and names the states of an unknown one', () => {
    expect(statesToRestore(desired, undefined).map((s) => s.name)).toEqual(['linkding', 'zerotier']);
    expect(statesToRestore(desired, 'zerotier').map((s) => s.name)).toEqual(['zerotier']);
    expect(() => statesToRestore(desired, 'nginx')).toThrow(
      'unknown service "nginx" on jon (its states: linkding, zerotier)',
    );
  });
});

describe('backup naming and paths', () => {
  it("names archives in local time, clan's format", () => {
    expect(archiveTimestamp(new Date(2025, 6, 24, 6, 2, 35))).toBe('2025-07-24T06:02:35');
    expect(archiveTimestamp(new Date(2026, 0, 1, 0, 0, 0))).toBe('2026-01-01T00:00:00');
  });

  it('stores a state folder relative to <root>, as a backup at / would', () => {
    expect(['/srv/app', '/var/lib/zerotier-one/', '/a/../b', '/'].map(archivePath)).toEqual([
      'srv/app',
      'var/lib/zerotier-one',
      'b',
      '.',
    ]);
    const folders = foldersOf([
      { name: 'b', folders: ['/srv/shared', '/srv/b'] },
      { name: 'a', folders: ['/srv/shared/'] },
    ]);
    expect(folders).toEqual([
      { path: 'srv/b', declared: '/srv/b', states: ['b'] },
      { path: 'srv/shared', declared: '/srv/shared', states: ['b', 'a'] },
    ]);
  });

  it('lists lines as the guide does', () => {
    const repo = 'username@username.your-storagebox.de:/./borgbackup';
    const lines = ['jon-jon-2025-07-22T19:40:10', 'jon-storagebox-2025-07-24T06:02:35'].map((archive) => ({
      name: backupName('storagebox', repo, archive),
      destination: 'storagebox',
      repo,
      archive,
      start: '',
    }));
    expect(formatListing(lines)).toBe(
      'storagebox::username@username.your-storagebox.de:/./borgbackup::jon-jon-2025-07-22T19:40:10\n' +
        'storagebox::username@username.your-storagebox.de:/./borgbackup::jon-storagebox-2025-07-24T06:02:35\n',
    );
  });

  it('draws one progress line that fits the terminal', () => {
    const progress = { files: 1204, originalSize: 5 * 2 ** 20, compressedSize: 0, deduplicatedSize: 0 };
    expect(progressLine('storagebox', { ...progress, path: 'var/lib/app/data.db' }, 80)).toBe(
      'storagebox: 1204 files, 5.0 MiB, var/lib/app/data.db',
    );
    const long = progressLine('storagebox', { ...progress, path: `var/${'x'.repeat(200)}/end.db` }, 60);
    expect(long.length).toBeLessThan(60);
    expect(long).toMatch(/^storagebox: 1204 files, 5\.0 MiB, …x+\/end\.db$/);
  });
});

describe('retention shared with apply', () => {
  it('finds only this destination’s leftovers: .failed, .checkpoint[.N] and both', () => {
    const names = [
      'jon-local-2026-01-01T01:00:00.failed',
      'jon-local-2026-01-01T01:00:00',
      'jon-local-x-2026-01-01T01:00:00.failed',
      'sara-local-2026-01-01T01:00:00.failed',
      'jon-local-2026-01-01T01:00:00.failed.checkpoint',
      'jon-local-garbage.failed',
      'jon-local-2026-01-01T02:00:00.checkpoint',
      'jon-local-2026-01-01T03:00:00.checkpoint.2',
      'jon-local-2026-01-01T03:00:00.checkpoint.x',
      'sara-local-2026-01-01T02:00:00.checkpoint',
      'jon-local-garbage.checkpoint',
    ];
    expect(
      failedLeftovers(
        names.map((name) => ({ name, id: '', start: '' })),
        'jon-local-',
      ),
    ).toEqual([
      'jon-local-2026-01-01T01:00:00.failed',
      'jon-local-2026-01-01T01:00:00.failed.checkpoint',
      'jon-local-2026-01-01T02:00:00.checkpoint',
      'jon-local-2026-01-01T03:00:00.checkpoint.2',
    ]);
  });

  it.each([
    [0, 5, undefined],
    [2, 4, undefined],
    [3, 5, 'large-prune'],
    [4, 4, 'prune-all'],
  ])('pruning %i of %i trips %s', (pruned, total, guard) => {
    expect(pruneRefusal('local', 'retention/local', pruned, total)?.guard).toBe(guard);
  });
});
