import { describe, expect, it } from 'vitest';
import { loadDeclarations } from '../../../src/config/load.js';
import { formatProblem } from '../../../src/config/problem.js';
import { clientInventory } from '../../helpers/fleet.js';

function inventory(client: Record<string, unknown>, server?: Record<string, unknown>): string {
  return JSON.stringify(
    clientInventory(
      { destinations: { local: { repo: '/srv/borg/local' } }, ...client },
      server ? { server: { machines: { vault: { settings: server } } } } : {},
    ),
  );
}

function problems(files: Record<string, string>): string[] {
  return loadDeclarations(new Map(Object.entries(files))).problems.map(formatProblem);
}

const rule =
  'must not contain control characters (newline, carriage return, tab, ESC, …) or bidirectional overrides';

describe('control characters and bidi overrides are refused in every name- and path-like value', () => {
  const folders: [string, string][] = [
    ['a carriage return opening an HTML comment', '/srv/app/cache\r\r<!--'],
    ['ESC (terminal escape)', '/srv/app/\u001b[2J'],
    ['a tab', '/srv/\tapp'],
    ['DEL', '/srv/app\u007f'],
    ['a C1 control', '/srv/app\u009b31m'],
    ['a right-to-left override', '/srv/app/\u202egnp.exe'],
    ['a bidi isolate', '/srv/\u2066app\u2069'],
  ];
  it.each(folders)('a folder with %s', (_name, folder) => {
    const state = `state:\n  app:\n    folders: [${JSON.stringify(folder)}]\n`;
    expect(problems({ 'inventory.json': inventory({}), 'machines/jon/state.yaml': state })).toEqual([
      `machines/jon/state.yaml:3: state.app.folders.0: ${rule}`,
    ]);
  });

  it.each([
    ['exclude', { exclude: ['*.tmp\u001b[0m'] }, 'exclude.0'],
    ['repo', { destinations: { local: { repo: '/srv/borg/\u202elocal' } } }, 'destinations.local.repo'],
    [
      'rsh',
      { destinations: { local: { repo: '/r', rsh: 'ssh\u001b]0;x\u0007' } } },
      'destinations.local.rsh',
    ],
    ['passCommand', { encryption: { passCommand: 'cat /k\u202e' } }, 'encryption.passCommand'],
  ])('client setting %s', (_name, settings, path) => {
    const found = problems({
      'inventory.json': inventory(settings),
      'machines/jon/state.yaml': 'state:\n  app:\n    folders: [/srv/app]\n',
    });
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(`instances.borgbackup.roles.client.machines.jon.settings.${path}: ${rule}`);
  });

  it('a server directory with a control character, and a machine description with ESC', () => {
    const text = JSON.parse(inventory({}, { directory: '/srv/borg\r' })) as { machines?: unknown };
    text.machines = { jon: { description: 'red \u001b[31m' } };
    const found = problems({
      'inventory.json': JSON.stringify(text),
      'machines/jon/state.yaml': 'state:\n  app:\n    folders: [/srv/app]\n',
    });
    expect(found.map((line) => line.replace(/^inventory\.json:\d+: /, ''))).toEqual([
      `instances.borgbackup.roles.server.machines.vault.settings.directory: ${rule}`,
      `machines.jon.description: ${rule}`,
    ]);
  });
});

describe('a server directory is never a system directory', () => {
  it.each([
    '/',
    '/etc',
    '/usr',
    '/var',
    '/var/lib',
    '/root',
    '/home',
    '/srv',
    '/srv/',
    '/etc/borg',
    '/usr/local',
    '/root/x',
  ])('%s is refused', (directory) => {
    const found = problems({
      'inventory.json': inventory({}, { directory }),
      'machines/jon/state.yaml': 'state:\n  app:\n    folders: [/srv/app]\n',
    });
    expect(found).toEqual([
      expect.stringMatching(
        /instances\.borgbackup\.roles\.server\.machines\.vault\.settings\.directory: must not be a system directory \(\/, \/etc, /,
      ),
    ]);
  });

  it.each(['/var/lib/borgbackup', '/srv/borg', '/home/borg', '/mnt/backup/borg'])(
    '%s is accepted',
    (directory) => {
      const found = problems({
        'inventory.json': inventory({}, { directory }),
        'machines/jon/state.yaml': 'state:\n  app:\n    folders: [/srv/app]\n',
      });
      expect(found.filter((line) => line.includes('directory'))).toEqual([]);
    },
  );
});

describe('a document nested deeper than any declaration is refused by name, not by a crash', () => {
  const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
  it.each([
    [
      'a JSON state file',
      'machines/jon/state.json',
      (d: number) => `{"state": {"app": {"folders": ["/srv/app"], "x": ${deep(d)}}}}`,
    ],
    [
      'a YAML state file (flow)',
      'machines/jon/state.yaml',
      (d: number) => `state:\n  app:\n    folders: [/srv/app]\n    x: ${deep(d)}\n`,
    ],
    ['a JSON inventory', 'inventory.json', (d: number) => `{"instances": {}, "x": ${deep(d)}}`],
  ])('%s, 20,000 levels deep', (_name, file, text) => {
    const files: Record<string, string> = {
      'inventory.json': inventory({}),
      'machines/jon/state.yaml': 'state:\n  app:\n    folders: [/srv/app]\n',
      [file]: text(20_000),
    };
    const found = problems(files);
    expect(found).toContainEqual(
      `${file}:1: nested more than 64 levels deep; no declaration needs that many (is the file generated by mistake?)`,
    );
    // 60 levels is only an unknown key, reported as such
    expect(problems({ ...files, [file]: text(60) }).join('\n')).not.toContain('nested more than');
  });
});
