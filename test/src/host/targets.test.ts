import { describe, expect, it } from 'vitest';
import { compile } from '../../../src/desired/compile.js';
import { hostPaths } from '../../../src/host/paths.js';
import { borgTarget } from '../../../src/host/targets.js';
import { declarationsOf } from '../../helpers/declarations.js';

const hostKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';

function destinations(server: Record<string, unknown>, client: Record<string, unknown> = {}) {
  const declarations = declarationsOf({
    'inventory.json': {
      instances: {
        borgbackup: {
          module: { name: 'borgbackup' },
          roles: {
            client: { machines: { jon: { settings: client } } },
            server: { machines: { vault: { settings: { address: 'vault.lan', ...server } } } },
          },
        },
      },
    },
    'machines/jon/state.yaml': 'state:\n  app:\n    folders: [/srv/app]\n',
  });
  return compile(declarations, 'jon').destinations;
}

const paths = hostPaths('/tmp/my root');

describe('borgTarget: how ssh reaches a destination', () => {
  it('trusts an unpinned server on first use, with the machine key and the learned known_hosts', () => {
    const [vault] = destinations({});
    const target = borgTarget(vault!, paths);
    expect(target.repo).toBe('borg@vault.lan:.');
    expect(target.rsh).toBe(
      `ssh -i '/tmp/my root/var/lib/borgops/ssh/borgbackup.ssh' -o IdentitiesOnly=yes -o PasswordAuthentication=no -o 'UserKnownHostsFile="/tmp/my root/var/lib/borgops/ssh/known_hosts"' -o StrictHostKeyChecking=accept-new`,
    );
    expect(target.knownHosts).toBeUndefined();
  });

  it("with an admin identity (the machine is gone) ssh uses the person's own setup, not the absent machine key", () => {
    const [vault] = destinations({});
    const target = borgTarget(vault!, paths, { identity: '/home/admin/admin.key' });
    expect(target.rsh).toBe(
      `ssh -o PasswordAuthentication=no -o 'UserKnownHostsFile="/tmp/my root/var/lib/borgops/ssh/known_hosts"' -o StrictHostKeyChecking=accept-new`,
    );
  });

  it('checks a pinned server strictly against its own file, which the target carries', () => {
    const [vault] = destinations({ hostKey, port: 2222, user: 'backup' });
    const target = borgTarget(vault!, paths);
    expect(target.repo).toBe('ssh://backup@vault.lan:2222/./');
    expect(target.rsh).toContain(
      `-o 'UserKnownHostsFile="/tmp/my root/var/lib/borgops/ssh/known_hosts.d/vault"' -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes`,
    );
    expect(target.knownHosts).toEqual({
      path: '/tmp/my root/var/lib/borgops/ssh/known_hosts.d/vault',
      content: `# host keys pinned for destination vault by the declarations; written by borgops before each connection\n[vault.lan]:2222 ${hostKey}\n`,
    });
  });

  it('appends the pin to a declared rsh (what it sets itself wins) and leaves an unpinned one alone', () => {
    const declared = destinations(
      {},
      {
        destinations: {
          box: { repo: 'u1@box:/./b', rsh: 'ssh -oPort=23 -i /run/key', knownHosts: [hostKey] },
          plain: { repo: 'u1@box:/./c', rsh: 'ssh -oPort=23 -i /run/key' },
        },
      },
    );
    const box = borgTarget(declared.find((d) => d.name === 'box')!, paths);
    expect(box.rsh).toMatch(
      /^ssh -oPort=23 -i \/run\/key -o 'UserKnownHostsFile=".*\/known_hosts\.d\/box"' /,
    );
    expect(box.knownHosts?.content).toContain(`[box]:23 ${hostKey}`);
    const plain = borgTarget(declared.find((d) => d.name === 'plain')!, paths);
    expect(plain.rsh).toBe('ssh -oPort=23 -i /run/key');
    expect(plain.knownHosts).toBeUndefined();
  });
});
