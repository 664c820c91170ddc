import { describe, expect, it } from 'vitest';
import {
  knownHostsPattern,
  pinnedKnownHosts,
  pinnedLines,
  sshEndpoint,
} from '../../../src/host/known-hosts.js';

const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';

describe('sshEndpoint: where ssh connects for a repository', () => {
  it.each([
    ['borg@vault.lan:.', undefined, { host: 'vault.lan', port: 22 }],
    ['vault.lan:/srv/borg', undefined, { host: 'vault.lan', port: 22 }],
    ['ssh://borg@vault.lan:2222/./', undefined, { host: 'vault.lan', port: 2222 }],
    ['ssh://borg@vault.lan/./repo', undefined, { host: 'vault.lan', port: 22 }],
    ['ssh://borg@[fd00::1]:2222/./', undefined, { host: 'fd00::1', port: 2222 }],
    ['borg@[fd00::1]:.', undefined, { host: 'fd00::1', port: 22 }],
    // the Storage Box of the guide: the port is in the declared rsh
    [
      'u1@u1.your-storagebox.de:/./borgbackup',
      'ssh -oPort=23 -i /run/key',
      { host: 'u1.your-storagebox.de', port: 23 },
    ],
    ['u1@box:/./b', 'ssh -p 23', { host: 'box', port: 23 }],
    ['u1@box:/./b', 'ssh -p23 -i k', { host: 'box', port: 23 }],
    ['u1@box:/./b', 'ssh -o Port=2200', { host: 'box', port: 2200 }],
    // a port in the URL wins over none in the rsh
    ['ssh://u@box:2222/./b', 'ssh -i /path-p 9', { host: 'box', port: 2222 }],
  ])('%s (rsh %s)', (repo, rsh, endpoint) => {
    expect(sshEndpoint(repo, rsh)).toEqual(endpoint);
  });

  it('has none for local repositories', () => {
    expect(sshEndpoint('/srv/borg/x')).toBeUndefined();
    expect(sshEndpoint('file:///srv/borg/x')).toBeUndefined();
  });
});

describe('pinned known_hosts lines', () => {
  it('names the host as ssh looks it up: bare on port 22, [host]:port elsewhere', () => {
    expect(knownHostsPattern({ host: 'vault.lan', port: 22 })).toBe('vault.lan');
    expect(knownHostsPattern({ host: 'vault.lan', port: 2222 })).toBe('[vault.lan]:2222');
    expect(knownHostsPattern({ host: 'fd00::1', port: 2222 })).toBe('[fd00::1]:2222');
  });

  it('adds the host to a bare key, fixes the bare host off port 22, keeps other patterns', () => {
    const endpoint = { host: 'vault.lan', port: 2222 };
    expect(
      pinnedLines(endpoint, [key, `vault.lan ${key}`, `*.lan,10.0.0.1 ${key}`, `[vault.lan]:2222 ${key} c`]),
    ).toEqual([
      `[vault.lan]:2222 ${key}`,
      `[vault.lan]:2222 ${key}`,
      `*.lan,10.0.0.1 ${key}`,
      `[vault.lan]:2222 ${key} c`,
    ]);
  });

  it('is a commented file with one line per pin', () => {
    expect(pinnedKnownHosts('vault', { host: 'vault.lan', port: 22 }, [key])).toBe(
      `# host keys pinned for destination vault by the declarations; written by borgops before each connection\nvault.lan ${key}\n`,
    );
  });
});
