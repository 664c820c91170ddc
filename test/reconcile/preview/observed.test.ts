import { describe, expect, it } from 'vitest';
import { candidates, observedRepos, parseObserved } from '../../../reconcile/preview/observed.js';
import { ownObserved } from '../../../reconcile/preview/prune.js';

const files = (entries: Record<string, unknown>) =>
  new Map(Object.entries(entries).map(([name, value]) => [name, JSON.stringify(value)]));

describe('--observed snapshot format', () => {
  it('reads snapshots, archive lists, borg list --json and rows alike', () => {
    const fleet = parseObserved(
      files({
        'a-snapshot.json': {
          machine: 'jon',
          observedAt: '2026-03-10T12:00:00Z',
          destinations: {
            storagebox: {
              repo: 'u@h:/b',
              archives: [{ name: 'jon-storagebox-2026-03-01T01:00:00', start: '2026-03-01T01:00:07.000000' }],
            },
          },
        },
        'b-list.json': {
          machine: 'kim',
          destination: 'nas',
          archives: [{ name: 'kim-nas-2026-03-02T01:00:00' }],
        },
        'c-borg.json': {
          repository: { location: '/srv/borg' },
          archives: [
            { archive: 'zoe-local-2026-03-03T01:00:00', time: '2026-03-03T01:00:00.000000', id: 'x' },
          ],
        },
        'd-rows.json': [{ machine: 'kim', destination: 'nas', name: 'kim-nas-2026-03-04T01:00:00' }],
        'e-array.json': [{ machine: 'amy', destinations: [{ name: 'usb', archives: [] }] }],
      }),
    );
    expect(fleet.machines).toEqual(['amy', 'jon', 'kim']);
    expect(fleet.observedAt.get('jon')?.toISOString()).toBe('2026-03-10T12:00:00.000Z');
    // unlabelled archives (borg list --json) are candidates of every machine and destination;
    // ownObserved keeps only `<machine>-<destination>-<time>`, with the name's time when none was exported
    expect(candidates(fleet, 'jon', 'storagebox')).toEqual([
      { name: 'jon-storagebox-2026-03-01T01:00:00', start: '2026-03-01T01:00:07.000000' },
      { name: 'zoe-local-2026-03-03T01:00:00', start: '2026-03-03T01:00:00.000000' },
    ]);
    expect(ownObserved(candidates(fleet, 'jon', 'storagebox'), 'jon-storagebox-')).toEqual([
      { name: 'jon-storagebox-2026-03-01T01:00:00', start: '2026-03-01T01:00:07.000000' },
    ]);
    expect(ownObserved(candidates(fleet, 'kim', 'nas'), 'kim-nas-')[0]).toEqual({
      name: 'kim-nas-2026-03-02T01:00:00',
      start: '2026-03-02T01:00:00',
    });
    expect(candidates(fleet, 'kim', 'nas').map((a) => a.name)).toEqual([
      'kim-nas-2026-03-02T01:00:00',
      'kim-nas-2026-03-04T01:00:00',
      'zoe-local-2026-03-03T01:00:00',
    ]);
    expect(candidates(fleet, 'zoe', 'local')).toEqual([
      { name: 'zoe-local-2026-03-03T01:00:00', start: '2026-03-03T01:00:00.000000' },
    ]);
    expect(observedRepos(fleet, 'jon', 'storagebox')).toEqual(['u@h:/b']);
    expect(observedRepos(fleet, 'amy', 'usb')).toEqual([]);
  });

  it.each([
    ['not JSON', '{', /bad\.json is not JSON/],
    ['no known shape', '{"hosts": []}', /bad\.json is neither a snapshot/],
    ['archives without names', '{"archives": [{"start": "2026-03-01T01:00:00"}]}', /bad\.json is neither/],
    [
      'a bad observedAt',
      '{"machine": "jon", "observedAt": "yesterday", "destinations": {}}',
      /observedAt is not an ISO 8601 time/,
    ],
  ])('refuses %s, naming the file', (_name, text, message) => {
    expect(() => parseObserved(new Map([['bad.json', text]]))).toThrow(message);
  });
});

describe("--observed: borgops's own outputs", () => {
  it('reads `backups list --json` as the machine archive list', () => {
    const fleet = parseObserved(
      files({
        'jon.json': {
          machine: 'jon',
          backups: [
            {
              name: 'storagebox::u@h:/b::jon-storagebox-2026-03-01T01:00:00',
              destination: 'storagebox',
              repo: 'u@h:/b',
              archive: 'jon-storagebox-2026-03-01T01:00:00',
              start: '2026-03-01T01:00:07.000000',
            },
          ],
          errors: [],
          incomplete: [],
        },
      }),
    );
    expect(fleet.machines).toEqual(['jon']);
    expect(candidates(fleet, 'jon', 'storagebox')).toEqual([
      { name: 'jon-storagebox-2026-03-01T01:00:00', start: '2026-03-01T01:00:07.000000' },
    ]);
    expect(observedRepos(fleet, 'jon', 'storagebox')).toEqual(['u@h:/b']);
  });

  it('reads `status --json` for which repositories exist, without marking the machine as listed', () => {
    const fleet = parseObserved(
      files({
        'jon.json': {
          machine: 'jon',
          conditions: [{ type: 'Ready', status: true }],
          destinations: [
            { name: 'storagebox', repo: 'u@h:/b', archives: 3, stale: false },
            { name: 'usb', repo: '/mnt/usb', stale: false },
          ],
        },
      }),
    );
    expect(fleet.machines).toEqual([]);
    expect(observedRepos(fleet, 'jon', 'storagebox')).toEqual(['u@h:/b']);
    expect(observedRepos(fleet, 'jon', 'usb')).toEqual([]);
  });

  it('names the file that is none of the shapes', () => {
    expect(() => parseObserved(files({ 'garbage.json': { machine: 'jon', backups: 'many' } }))).toThrow(
      /--observed: garbage\.json is neither a snapshot .*`borgops backups list --json`, `borgops status --json`/,
    );
  });
});
