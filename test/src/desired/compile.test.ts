import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { authorizedKeyLine } from '../../../src/desired/authorized-keys.js';
import { compile } from '../../../src/desired/compile.js';
import { staggerOffset } from '../../../src/desired/stagger.js';
import { declarationsOf } from '../../helpers/declarations.js';

const pub = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl jon@example';

const fleet = {
  'inventory.json': {
    instances: {
      borgbackup: {
        module: { name: 'borgbackup', input: 'clan-core' },
        roles: {
          client: {
            settings: { startAt: 'daily', stagger: '1h', prune: { keep: { daily: 3 } } },
            machines: {
              jon: {
                settings: { destinations: { storagebox: { repo: 'u1@box:/./borg', rsh: 'ssh -p 23' } } },
              },
              sara: {
                settings: {
                  startAt: ['Mon..Fri 02:30', 'Sat 04:00'],
                  encryption: { passCommand: 'cat /run/pass' },
                },
              },
            },
          },
          server: {
            machines: { vault: { settings: { address: 'vault.lan', appendOnly: true, quota: '100G' } } },
          },
        },
      },
    },
  },
  'machines/jon/state.yaml':
    'state:\n  linkding:\n    folders: [/var/backup/linkding]\n    preBackupScript: echo pre\n    postRestoreScript: echo post\n  zerotier:\n    folders: [/var/lib/zerotier-one]\n',
  'machines/sara/state.json': { state: { db: { folders: ['/srv/db'] } } },
  'machines/jon/borgbackup.ssh.pub': `${pub}\n`,
};

describe('compile', () => {
  it('makes every server of an instance a destination of each client, as clan does', () => {
    const jon = compile(declarationsOf(fleet), 'jon');
    expect(jon.destinations.map((d) => [d.name, d.repo, d.server ?? null, d.remote])).toEqual([
      ['storagebox', 'u1@box:/./borg', null, true],
      ['vault', 'borg@vault.lan:.', 'vault', true],
    ]);
    expect(jon.destinations.map((d) => d.archivePrefix)).toEqual(['jon-storagebox-', 'jon-vault-']);
  });

  it('merges role settings under machine settings and applies clan defaults', () => {
    const declarations = declarationsOf(fleet);
    const [jonStorage] = compile(declarations, 'jon').destinations;
    expect(jonStorage).toMatchObject({
      startAt: ['daily'],
      keep: { daily: 3 },
      compression: 'auto,zstd',
      encryption: { mode: 'repokey' },
      lockWait: 10,
      exclude: [],
    });
    const [sara] = compile(declarations, 'sara').destinations;
    expect(sara).toMatchObject({
      startAt: ['Mon..Fri 02:30', 'Sat 04:00'],
      encryption: { mode: 'repokey', passCommand: 'cat /run/pass' },
    });
  });

  it('lists the resources of a client: key, secrets, repositories, retention, hooks, schedules', () => {
    const jon = compile(declarationsOf(fleet), 'jon');
    expect(jon.resources.map((r) => r.id)).toEqual([
      'ssh-key/client',
      'secret/storagebox',
      'secret/vault',
      'repository/storagebox',
      'repository/vault',
      'key-export/storagebox',
      'key-export/vault',
      'retention/storagebox',
      'retention/vault',
      'hook/post-restore-linkding',
      'hook/pre-backup-linkding',
      // checks and drills are jobs next to the backups (monthly by default)
      'schedule/check:storagebox',
      'schedule/check:vault',
      'schedule/drill:storagebox',
      'schedule/drill:vault',
      'schedule/storagebox',
      'schedule/vault',
    ]);
    const hook = jon.hooks.find((h) => h.name === 'pre-backup-linkding');
    expect(hook?.content).toBe(
      '#!/usr/bin/env bash\n# pre-backup-linkding: pre-backup script of state "linkding" from machines/jon/state.yaml, installed by borgops (edits are overwritten)\nset -eu -o pipefail\n\necho pre\n',
    );
  });

  it('needs no secret when a passCommand is declared', () => {
    const sara = compile(declarationsOf(fleet), 'sara');
    expect(sara.destinations.map((d) => d.name)).toEqual(['vault']);
    expect(sara.resources.filter((r) => r.kind === 'secret')).toEqual([]);
    expect(sara.resources.filter((r) => r.kind === 'repository').map((r) => r.id)).toEqual([
      'repository/vault',
    ]);
  });

  it('gives a server one repository and one restricted key line per client', () => {
    const vault = compile(declarationsOf(fleet), 'vault');
    expect(vault.served).toEqual([
      {
        instance: 'borgbackup',
        client: 'jon',
        path: '/var/lib/borgbackup/jon',
        user: 'borg',
        appendOnly: true,
        quota: '100G',
      },
      {
        instance: 'borgbackup',
        client: 'sara',
        path: '/var/lib/borgbackup/sara',
        user: 'borg',
        appendOnly: true,
        quota: '100G',
      },
    ]);
    const [jon, sara] = vault.authorizedKeys;
    expect(jon && authorizedKeyLine(jon, jon.repository)).toBe(
      `command="cd /var/lib/borgbackup/jon && borg serve --restrict-to-repository . --append-only --storage-quota 100G",restrict ${pub}`,
    );
    // under --root the forced command names the path sshd's shell finds on this host
    expect(jon && authorizedKeyLine(jon, '/tmp/my root/var/lib/borgbackup/jon')).toBe(
      `command="cd '/tmp/my root/var/lib/borgbackup/jon' && borg serve --restrict-to-repository . --append-only --storage-quota 100G",restrict ${pub}`,
    );
    expect(sara && authorizedKeyLine(sara, sara.repository)).toBeUndefined();
    expect(vault.warnings).toEqual([
      'client "sara" has no public key yet: commit machines/sara/borgbackup.ssh.pub (`borgops keys show` on sara prints it); its repository is created, its key is not authorized',
    ]);
    expect(vault.serverUsers).toEqual([{ name: 'borg', home: '/var/lib/borgbackup' }]);
    expect(vault.authorizedKeys.map((k) => [k.user, k.home])).toEqual([
      ['borg', '/var/lib/borgbackup'],
      ['borg', '/var/lib/borgbackup'],
    ]);
    expect(vault.resources.map((r) => r.id)).toEqual([
      'server-user/borg',
      'served-repository/jon',
      'served-repository/sara',
      'authorized-key/jon',
      'authorized-key/sara',
    ]);
  });

  it('gives a machine without state no jobs, as clan does', () => {
    const files = structuredClone(fleet) as Record<string, unknown>;
    files['machines/sara/state.json'] = { state: {} };
    const sara = compile(declarationsOf(files), 'sara');
    expect(sara.destinations).toEqual([]);
    expect(sara.resources).toEqual([]);
    expect(sara.warnings).toEqual(['machine "sara" is a client but declares no state: no backup jobs']);
  });

  it('is deterministic: the same declarations give byte-identical output', () => {
    const once = JSON.stringify(compile(declarationsOf(fleet), 'jon'));
    const reordered = { ...fleet };
    const twice = JSON.stringify(
      compile(declarationsOf(Object.fromEntries(Object.entries(reordered).reverse())), 'jon'),
    );
    expect(twice).toBe(once);
  });

  it('refuses a machine that is not declared, naming the declared ones', () => {
    expect(() => compile(declarationsOf(fleet), 'bob')).toThrow(
      'machine "bob" is not declared (declared machines: jon, sara, vault)',
    );
  });

  it('staggers hosts deterministically inside the window', () => {
    const jon = compile(declarationsOf(fleet), 'jon').destinations.map((d) => d.staggerSeconds);
    const again = compile(declarationsOf(fleet), 'jon').destinations.map((d) => d.staggerSeconds);
    expect(again).toEqual(jon);
    for (const offset of jon) expect(offset).toBeGreaterThanOrEqual(0);
    for (const offset of jon) expect(offset).toBeLessThan(3600);
    const offsets = new Set(Array.from({ length: 50 }, (_, i) => staggerOffset(`host${i}`, 'vault', 3600)));
    expect(offsets.size).toBeGreaterThan(40);
    expect(staggerOffset('jon', 'vault', 0)).toBe(0);
    // a host's slot never moves between versions: the first 32 bits of sha256("<machine>\0<dest>")
    expect(staggerOffset('jon', 'storagebox', 3600)).toBe(1852);
    expect(staggerOffset('host0042', 'dest1', 3600)).toBe(952);
    // asked again (remembered), and with another window
    expect(staggerOffset('jon', 'storagebox', 3600)).toBe(1852);
    expect(staggerOffset('jon', 'storagebox', 600)).toBe(
      createHash('sha256').update('jon\0storagebox').digest().readUInt32BE(0) % 600,
    );
  });
});

describe('compile of a state file shared by two declarations (a preview base and head)', () => {
  const base = declarationsOf(fleet);
  const head = { ...base, clients: base.clients.map((c) => ({ ...c, startAt: ['weekly'] })) };

  it('gives both the same frozen states and hooks, in new arrays', () => {
    const before = compile(base, 'jon');
    const after = compile(head, 'jon');
    expect(after.destinations[0]?.startAt).toEqual(['weekly']);
    expect(after.states).not.toBe(before.states);
    expect(after.hooks).not.toBe(before.hooks);
    expect(after.hooks.map((h) => h.name)).toEqual(['post-restore-linkding', 'pre-backup-linkding']);
    for (const [i, hook] of after.hooks.entries()) expect(hook).toBe(before.hooks[i]);
    for (const [i, state] of after.states.entries()) expect(state).toBe(before.states[i]);
    const hookResources = (m: typeof before) => m.resources.filter((r) => r.kind === 'hook');
    expect(hookResources(after)).toHaveLength(2);
    for (const [i, resource] of hookResources(after).entries())
      expect(resource).toBe(hookResources(before)[i]);
    // neither side can change what the other holds
    expect(Object.isFrozen(after.hooks[0])).toBe(true);
    expect(Object.isFrozen(hookResources(after)[0])).toBe(true);
    expect(Object.isFrozen(after.states[0])).toBe(true);
    expect(Object.isFrozen(after.states[0]?.folders)).toBe(true);
    expect(() => after.states[0]?.folders.push('/etc')).toThrow(TypeError);
    // the arrays are the caller's own
    after.hooks.pop();
    expect(compile(head, 'jon').hooks).toHaveLength(2);
  });

  it('compiles again for the same states under another file name (the hook names its file)', () => {
    const moved = {
      ...base,
      states: { ...base.states, jon: { ...base.states.jon!, file: 'machines/jon/state.json' } },
    };
    const hook = compile(moved, 'jon').hooks[0];
    expect(hook?.content).toContain('from machines/jon/state.json');
    expect(compile(base, 'jon').hooks[0]?.content).toContain('from machines/jon/state.yaml');
  });

  it('compiles a changed state file afresh', () => {
    const states = {
      ...base.states.jon!.states,
      extra: { folders: ['/srv/extra'], preBackupScript: 'true' },
    };
    const changed = { ...base, states: { ...base.states, jon: { ...base.states.jon!, states } } };
    expect(compile(changed, 'jon').hooks.map((h) => h.name)).toContain('pre-backup-extra');
    expect(compile(base, 'jon').hooks.map((h) => h.name)).not.toContain('pre-backup-extra');
  });
});
