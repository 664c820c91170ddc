import { describe, expect, it } from 'vitest';
import type { ActualMachine } from '../../../reconcile/engine/model.js';
import { plan } from '../../../reconcile/engine/plan.js';
import { compile } from '../../../src/desired/compile.js';
import { declarationsOf } from '../../helpers/declarations.js';
import { observed, planOptions } from '../../helpers/plan.js';

// The server role and the client's SSH side of the pure planner, with hand-made observations.
const jonKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl borgops@jon';
const otherKey =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB5yB0rVJ5nbcVMDmXw1pNjyRmhwOUtYTp7vmzPrZzv6 borgops@jon';

function declarations(extra: { jonKey?: boolean; hostKey?: string } = {}) {
  return declarationsOf({
    'inventory.json': {
      instances: {
        borgbackup: {
          module: { name: 'borgbackup' },
          roles: {
            client: { machines: { jon: {}, sara: {} } },
            server: {
              machines: {
                vault: {
                  settings: {
                    address: 'vault.lan',
                    directory: '/srv/borg',
                    ...(extra.hostKey ? { hostKey: extra.hostKey } : {}),
                  },
                },
              },
            },
          },
        },
      },
    },
    'machines/jon/state.yaml': 'state:\n  app:\n    folders: [/srv/app]\n',
    'machines/sara/state.yaml': 'state:\n  db:\n    folders: [/srv/db]\n',
    ...(extra.jonKey === false ? {} : { 'machines/jon/borgbackup.ssh.pub': `${jonKey}\n` }),
  });
}

function planFor(machine: string, actual: ActualMachine, root = '/srv/test-root', extra = {}) {
  return plan(compile(declarations(extra), machine), actual, planOptions(machine, root));
}

describe('plan: the server role', () => {
  it('as root on /: creates the user, gives it the directories and the keys file', () => {
    const result = planFor('vault', observed({ accounts: { managed: true, users: { borg: null } } }), '/');
    expect(result.actions.map((a) => [a.op, a.summary])).toEqual([
      [
        'server-user.create',
        'create system user borg (useradd --system, home /srv/borg, shell /bin/sh, group borg)',
      ],
      ['served.create', 'create /srv/borg/jon (0700, owned by borg) for client jon'],
      ['served.create', 'create /srv/borg/sara (0700, owned by borg) for client sara'],
      [
        'authorized-key.set',
        "authorize jon's key in /srv/borg/.ssh/authorized_keys (restricted to /srv/borg/jon)",
      ],
    ]);
    expect(result.actions.filter((a) => 'owner' in a).map((a) => 'owner' in a && a.owner)).toEqual([
      'borg',
      'borg',
      'borg',
    ]);
    const set = result.actions.find((a) => a.op === 'authorized-key.set');
    expect(set?.op === 'authorized-key.set' && set.add).toEqual([
      `command="cd /srv/borg/jon && borg serve --restrict-to-repository .",restrict ${jonKey}`,
    ]);
    expect(result.warnings).toContain(
      'client "sara" has no public key yet: commit machines/sara/borgbackup.ssh.pub (`borgops keys show` on sara prints it); its repository is created, its key is not authorized',
    );
  });

  it('never changes an existing user; a home elsewhere is a warning naming both files', () => {
    const borg = { name: 'borg', uid: 998, gid: 998, home: '/home/borg', shell: '/bin/bash' };
    const result = planFor('vault', observed({ accounts: { managed: true, users: { borg } } }), '/');
    expect(result.actions.map((a) => a.op)).not.toContain('server-user.create');
    expect(result.warnings).toContain(
      "user borg exists with home /home/borg, not /srv/borg: sshd reads /home/borg/.ssh/authorized_keys by default while borgops writes /srv/borg/.ssh/authorized_keys; borgops never changes a user it did not create, so change its home or point sshd's AuthorizedKeysFile at that file",
    );
  });

  it('under another --root: no user, no owners, and forced commands that cd into the host path', () => {
    const result = planFor('vault', observed());
    expect(result.actions.map((a) => a.op)).toEqual(['served.create', 'served.create', 'authorized-key.set']);
    expect(result.actions.some((a) => 'owner' in a)).toBe(false);
    const set = result.actions.find((a) => a.op === 'authorized-key.set');
    expect(set?.op === 'authorized-key.set' && [set.file, set.add]).toEqual([
      '/srv/test-root/srv/borg/.ssh/authorized_keys',
      [
        `command="cd /srv/test-root/srv/borg/jon && borg serve --restrict-to-repository .",restrict ${jonKey}`,
      ],
    ]);
    expect(result.notes).toContain(
      'user borg is not managed here (borgops creates users and sets owners only as root with --root /): clients log in as borg, which must exist and be able to enter /srv/test-root/srv/borg/jon, /srv/test-root/srv/borg/sara',
    );
  });
});

describe("plan: a client's SSH destinations", () => {
  it('says a server host key is trusted on first use, or pinned', () => {
    const tofu = planFor('jon', observed({ repositories: { vault: { state: 'recorded', via: 'ledger' } } }));
    expect(tofu.notes).toContain(
      'vault: host key of vault.lan trusted on first use (StrictHostKeyChecking=accept-new, as clan) and remembered in /srv/test-root/var/lib/borgops/ssh/known_hosts; pin it with the hostKey setting of server vault',
    );
    const pinned = planFor(
      'jon',
      observed({ repositories: { vault: { state: 'recorded', via: 'ledger' } } }),
      '/srv/test-root',
      { hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl' },
    );
    expect(pinned.notes).toContain(
      'vault: host key of vault.lan pinned (1 key): ssh refuses any other (StrictHostKeyChecking=yes)',
    );
  });

  it('warns when the committed public key is missing or not this machine’s', () => {
    const repositories = { vault: { state: 'recorded', via: 'ledger' } } as const;
    const missing = planFor('jon', observed({ repositories }), '/srv/test-root', { jonKey: false });
    expect(missing.warnings).toContain(
      "this machine's public key is not committed: server vault cannot authorize it until machines/jon/borgbackup.ssh.pub holds the output of `borgops keys show`",
    );
    const mismatch = planFor(
      'jon',
      observed({ repositories, sshKey: { exists: true, publicKey: otherKey } }),
    );
    expect(mismatch.warnings).toContain(
      "machines/jon/borgbackup.ssh.pub is not this machine's key (/srv/test-root/var/lib/borgops/ssh/borgbackup.ssh.pub): server vault will refuse it; commit the output of `borgops keys show`",
    );
    const same = planFor('jon', observed({ repositories, sshKey: { exists: true, publicKey: jonKey } }));
    expect(same.warnings.filter((w) => w.includes('borgbackup.ssh.pub'))).toEqual([]);
  });
});
