import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { loadDeclarations } from '../../../src/config/load.js';
import { compile } from '../../../src/desired/compile.js';
import { declarationsOf } from '../../helpers/declarations.js';

/*
 * Each clan form, written as clan prints it (`nix eval --json`: sorted keys, null for unset,
 * one line), compiles to exactly what the hand-written borgops form compiles to.
 */

const examples = new URL('../../../examples/', import.meta.url).pathname;
const repo = '/srv/borg/jon';

/** `nix eval --json` output: one line, keys sorted. */
function nixJson(value: unknown): string {
  const sorted = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sorted);
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
    );
  };
  return JSON.stringify(sorted(value));
}

const handState = {
  state: {
    linkding: { folders: ['/var/backup/linkding'], preBackupScript: 'echo dump\n' },
    zerotier: { folders: ['/var/lib/zerotier-one'] },
  },
};

/** clan.core.state as clan evaluates it: name, read-only commands, null scripts. */
const clanState = {
  linkding: {
    folders: ['/var/backup/linkding'],
    name: 'linkding',
    postBackupCommand: null,
    postBackupScript: null,
    postRestoreCommand: null,
    postRestoreScript: null,
    preBackupCommand: 'pre-backup-linkding',
    preBackupScript: 'echo dump\n',
    preRestoreCommand: null,
    preRestoreScript: null,
  },
  zerotier: {
    folders: ['/var/lib/zerotier-one'],
    name: 'zerotier',
    postBackupCommand: null,
    postBackupScript: null,
    postRestoreCommand: null,
    postRestoreScript: null,
    preBackupCommand: null,
    preBackupScript: null,
    preRestoreCommand: null,
    preRestoreScript: null,
  },
};

const clientSettings = {
  destinations: { local: { repo } },
  exclude: ['*.pyc'],
  startAt: '*-*-* 02:00:00',
};

/** The hand-written inventory: jon a client of one borgbackup instance, vault its server. */
const handInventory = {
  instances: {
    borgbackup: {
      module: { name: 'borgbackup', input: 'clan-core' },
      roles: {
        client: { machines: { jon: { settings: clientSettings } } },
        server: { machines: { vault: { settings: { directory: '/srv/borg' } } } },
      },
    },
  },
};

const machinesMeta = {
  jon: {
    deploy: { buildHost: null, forwardAgent: null, targetHost: 'root@jon' },
    description: null,
    icon: null,
    installedAt: 1735689600,
    machineClass: 'nixos',
    name: 'jon',
    tags: ['all', 'backup', 'nixos'],
  },
  vault: {
    deploy: { buildHost: null, forwardAgent: null, targetHost: null },
    description: 'the backup server',
    icon: null,
    installedAt: null,
    machineClass: 'nixos',
    name: 'vault',
    tags: ['all', 'nixos', 'storage'],
  },
};

const clanMeta = { description: null, domain: 'clan', icon: null, name: 'my-clan', tld: null };
const zerotier = {
  module: { input: null, name: 'zerotier' },
  roles: {
    controller: { machines: { vault: { settings: {} } }, settings: {}, tags: {} },
    peer: { machines: {}, settings: {}, tags: { all: { settings: {} } } },
  },
};

function files(inventory: unknown, state: unknown, stateFile = 'machines/jon/state.json') {
  return { 'inventory.json': nixJson(inventory), [stateFile]: nixJson(state) };
}

const hand = declarationsOf({ 'inventory.json': handInventory, 'machines/jon/state.json': handState });
const handDesired = ['jon', 'vault'].map((machine) => compile(hand, machine));

function expectSameAsHand(inventory: unknown, state: unknown = handState): void {
  const declarations = declarationsOf(files(inventory, state));
  expect(['jon', 'vault'].map((machine) => compile(declarations, machine))).toEqual(handDesired);
  expect(declarations.clients).toEqual(hand.clients);
  expect(declarations.servers).toEqual(hand.servers);
}

const clanInstance = (
  roles: Record<string, unknown>,
  module: unknown = { input: null, name: 'borgbackup' },
) => ({
  module,
  roles,
});

describe('clan inventory forms compile to the hand-written inventory', () => {
  it('the whole evaluated inventory: role membership by tags, nulls, metadata, other modules', () => {
    const inventory = {
      instances: {
        borgbackup: clanInstance(
          {
            client: {
              extraModules: [],
              machines: {},
              settings: clientSettings,
              tags: { backup: { settings: {} } },
            },
            server: {
              machines: {},
              settings: { address: null, directory: '/srv/borg' },
              tags: { storage: { settings: {} } },
            },
          },
          { input: 'clan-core', name: 'borgbackup' },
        ),
        zerotier,
      },
      machines: machinesMeta,
      meta: clanMeta,
      tags: { all: ['jon', 'vault'], darwin: [], nixos: ['jon', 'vault'] },
    };
    expectSameAsHand(inventory, clanState);
    const result = loadDeclarations(new Map(Object.entries(files(inventory, clanState))));
    // the one warning the hand-written form has too: no committed key for jon yet
    expect(result.problems.map((p) => `${p.severity}: ${p.message}`)).toEqual([
      'warning: server "vault" cannot authorize machine "jon" until machines/jon/borgbackup.ssh.pub is committed (`borgops keys show` on jon)',
    ]);
    expect(result.ignored).toEqual([
      'machines.*.deploy',
      'machines.*.installedAt',
      'meta.domain',
      'instances.zerotier (module "zerotier")',
    ]);
  });

  it('tags as a list, the built-in "all" and class tags, and static inventory tags', () => {
    // jon is in the client role through the static tag list, vault through "nixos" minus nothing
    const inventory = {
      instances: {
        borgbackup: clanInstance({
          client: { settings: clientSettings, tags: ['laptops'] },
          server: { machines: { vault: { settings: { directory: '/srv/borg' } } } },
        }),
      },
      machines: { jon: { machineClass: 'nixos' }, vault: { machineClass: 'nixos' } },
      tags: { laptops: ['jon'] },
    };
    expectSameAsHand(inventory);
    const all = {
      instances: {
        borgbackup: clanInstance({
          client: { settings: clientSettings, tags: ['darwin'] },
          server: { tags: ['nixos'], settings: { directory: '/srv/borg' } },
        }),
      },
      machines: { jon: { machineClass: 'darwin' }, vault: {} },
    };
    expectSameAsHand(all);
  });

  it("a tag's settings apply to its machines, over the role's and under the machine's own", () => {
    const inventory = {
      instances: {
        borgbackup: clanInstance({
          client: {
            settings: { startAt: 'daily', exclude: ['*.tmp'] },
            tags: { backup: { settings: { destinations: { local: { repo } }, startAt: '*-*-* 03:00:00' } } },
            machines: { jon: { settings: { startAt: '*-*-* 02:00:00', exclude: ['*.pyc'] } } },
          },
          server: { machines: { vault: { settings: { directory: '/srv/borg' } } } },
        }),
      },
      machines: machinesMeta,
    };
    expectSameAsHand(inventory);
  });

  it('"@clan/borgbackup" with input "self", and a missing module defaulting to the instance name', () => {
    const roles = handInventory.instances.borgbackup.roles;
    expectSameAsHand({
      instances: { borgbackup: clanInstance(roles, { input: 'self', name: '@clan/borgbackup' }) },
    });
    expectSameAsHand({ instances: { borgbackup: { roles } } });
    expectSameAsHand({ instances: { borgbackup: { module: { input: null }, roles } } });
  });
});

describe('clan.core.state forms', () => {
  it("the bare map, the state wrapper and clan.core.state, each with clan's read-only fields, mean the same", () => {
    const inventory = handInventory;
    for (const state of [
      handState.state,
      clanState,
      { state: clanState },
      { clan: { core: { state: clanState } } },
    ]) {
      expectSameAsHand(inventory, state);
    }
    // and as YAML, which is what a person writes first
    const yaml =
      'linkding:\n  folders: [/var/backup/linkding]\n  preBackupScript: |\n    echo dump\nzerotier:\n  folders: [/var/lib/zerotier-one]\n';
    const declarations = declarationsOf({ 'inventory.json': handInventory, 'machines/jon/state.yaml': yaml });
    expect(compile(declarations, 'jon').states).toEqual(handDesired[0]!.states);
    expect(compile(declarations, 'jon').destinations).toEqual(handDesired[0]!.destinations);
  });
});

describe('the examples', () => {
  it('examples/clan-inventory (as clan prints it) compiles jon exactly as examples/clan-storagebox', async () => {
    const read = (path: string) => readFile(join(examples, path), 'utf8');
    const clan = declarationsOf({
      'inventory.json': await read('clan-inventory/inventory.json'),
      'machines/jon/state.json': await read('clan-inventory/machines/jon/state.json'),
    });
    // the same states, written by hand in a state.json (a hook names the file it came from)
    const handStates = { state: loadYaml(await read('clan-storagebox/machines/jon/state.yaml')) } as {
      state: { state: unknown };
    };
    const storagebox = declarationsOf({
      'inventory.json': await read('clan-storagebox/inventory.json'),
      'machines/jon/state.json': JSON.stringify({ state: handStates.state.state }),
    });
    expect(compile(clan, 'jon')).toEqual(compile(storagebox, 'jon'));
  });
});

describe("a destination whose name differs from its key (clan's module names jobs and archives by the key)", () => {
  it('archives, retention, the job and the list line use the key; name only warns', () => {
    const inventory = {
      instances: {
        borgbackup: {
          module: { name: 'borgbackup' },
          roles: {
            client: {
              machines: { jon: { settings: { destinations: { local: { name: 'offsite', repo } } } } },
            },
          },
        },
      },
    };
    const map = new Map(Object.entries(files(inventory, handState)));
    const result = loadDeclarations(map);
    expect(result.problems.map((p) => `${p.path}: ${p.severity}: ${p.message}`)).toEqual([
      'instances.borgbackup.roles.client.machines.jon.settings.destinations.local.name: warning: name "offsite" is not used: as in clan, archives (jon-local-<time>), the job (borgbackup-job-local) and backups list lines (local::…) are named after the key "local"',
    ]);
    const desired = compile(result.declarations!, 'jon');
    expect(desired.destinations.map((d) => [d.name, d.archivePrefix])).toEqual([['local', 'jon-local-']]);
    expect(desired.resources.map((r) => r.id).filter((id) => id.includes('offsite'))).toEqual([]);
    expect(desired.resources.map((r) => r.id)).toContain('schedule/local');
  });
});
