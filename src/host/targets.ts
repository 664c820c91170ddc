import { join } from 'node:path';
import type { BorgTarget, CommittedKey, Passphrase } from '../borg/types.js';
import type { DesiredDestination } from '../desired/types.js';
import { rememberSecretText } from '../log.js';
import { shellQuote } from '../util/shell-quote.js';
import { pinnedKnownHosts, sshEndpoint } from './known-hosts.js';
import type { HostPaths } from './paths.js';
import { passphrasePath } from './secrets.js';

/** The known_hosts file of a destination whose host keys are pinned (rewritten from the declarations). */
export function pinnedKnownHostsPath(paths: HostPaths, destination: string): string {
  return join(paths.stateDir, 'ssh', 'known_hosts.d', destination);
}

/** True when the declarations pin the destination's host keys (StrictHostKeyChecking=yes). */
export function isPinned(destination: DesiredDestination): boolean {
  return destination.remote && destination.knownHosts.length > 0;
}

/** `-o Name=path` for shlex (borg) and then ssh's config parser, which splits unquoted values at spaces. */
function pathOption(name: string, path: string): string {
  return `-o ${shellQuote(`${name}=${/\s/.test(path) ? `"${path}"` : path}`)}`;
}

/**
 * Host key checking: pinned keys only, from a file of their own, strictly; otherwise trust on
 * first use (clan's accept-new) with what was learned kept in the state directory.
 */
function hostKeyOptions(destination: DesiredDestination, paths: HostPaths): string[] {
  if (isPinned(destination)) {
    return [
      pathOption('UserKnownHostsFile', pinnedKnownHostsPath(paths, destination.name)),
      '-o GlobalKnownHostsFile=/dev/null',
      '-o StrictHostKeyChecking=yes',
    ];
  }
  return [pathOption('UserKnownHostsFile', paths.knownHosts), '-o StrictHostKeyChecking=accept-new'];
}

/**
 * The ssh borgops runs for a remote destination without a declared rsh: the machine's own key
 * and nothing else. Without the machine (`--identity`: an admin's workstation), the person's
 * own ssh setup instead (agent, ~/.ssh/config, default keys). BatchMode and the keepalive and
 * connect timeouts are added by the borg adapter to every rsh (src/borg/env.ts), declared ones
 * included.
 */
export function defaultRsh(destination: DesiredDestination, paths: HostPaths, machineKey = true): string {
  const options = [
    ...(machineKey ? [`-i ${shellQuote(paths.sshKey)}`, '-o IdentitiesOnly=yes'] : []),
    '-o PasswordAuthentication=no',
    ...hostKeyOptions(destination, paths),
  ];
  return `ssh ${options.join(' ')}`;
}

/** The rsh of a destination: declared (with the pins appended: options it sets itself win), or borgops's own. */
function rshOf(destination: DesiredDestination, paths: HostPaths, machineKey: boolean): string | undefined {
  if (destination.rsh === undefined)
    return destination.remote ? defaultRsh(destination, paths, machineKey) : undefined;
  if (!isPinned(destination)) return destination.rsh;
  return `${destination.rsh} ${hostKeyOptions(destination, paths).join(' ')}`;
}

/**
 * Precedence: the declared passCommand, then the committed age-encrypted secret (decrypted in
 * memory with the machine's SSH key, or the identity given), then the passphrase generated on
 * this machine.
 */
function passphraseOf(
  destination: DesiredDestination,
  paths: HostPaths,
  generatedExists: boolean,
  identity: string | undefined,
): Passphrase {
  if (destination.encryption.mode === 'none') return { kind: 'none' };
  if (destination.encryption.passCommand !== undefined) {
    // it may carry a token: whatever echoes it later (an error, a log line, a status) shows [redacted]
    rememberSecretText(destination.encryption.passCommand);
    return { kind: 'command', command: destination.encryption.passCommand };
  }
  const committed = destination.committed?.passphrase;
  if (committed !== undefined)
    return {
      kind: 'age',
      file: committed.file,
      armored: committed.armored,
      identity: identity ?? paths.sshKey,
    };
  return generatedExists
    ? { kind: 'file', path: passphrasePath(paths.secretsDir, destination.name) }
    : { kind: 'none' };
}

// Like the passphrases: one object per destination and identity, so a command decrypts it once.
const sharedKeys = new WeakMap<DesiredDestination, Map<string, CommittedKey>>();

/** keyfile modes: the committed `<d>.key.age`, decrypted with the machine's SSH key or the identity given. */
function committedKeyOf(
  destination: DesiredDestination,
  paths: HostPaths,
  identity: string | undefined,
): CommittedKey | undefined {
  const committed = destination.committed?.key;
  if (committed === undefined || !destination.encryption.mode.startsWith('keyfile')) return undefined;
  const key = { file: committed.file, armored: committed.armored, identity: identity ?? paths.sshKey };
  let byIdentity = sharedKeys.get(destination);
  if (byIdentity === undefined) {
    byIdentity = new Map();
    sharedKeys.set(destination, byIdentity);
  }
  const shared = byIdentity.get(key.identity) ?? key;
  byIdentity.set(key.identity, shared);
  return shared;
}

function knownHostsOf(destination: DesiredDestination, paths: HostPaths): BorgTarget['knownHosts'] {
  if (!isPinned(destination)) return undefined;
  const endpoint = sshEndpoint(destination.repo, destination.rsh);
  if (endpoint === undefined) return undefined;
  return {
    path: pinnedKnownHostsPath(paths, destination.name),
    content: pinnedKnownHosts(destination.name, endpoint, destination.knownHosts),
  };
}

// Targets built from one compiled destination (one command) share their Passphrase object, so
// every borg process of the destination shares one decryption or passCommand run (passphraseInput).
const sharedPassphrases = new WeakMap<DesiredDestination, Map<string, Passphrase>>();

function sharedPassphrase(destination: DesiredDestination, passphrase: Passphrase): Passphrase {
  let byValue = sharedPassphrases.get(destination);
  if (byValue === undefined) {
    byValue = new Map();
    sharedPassphrases.set(destination, byValue);
  }
  const key = JSON.stringify(passphrase);
  const shared = byValue.get(key);
  if (shared !== undefined) return shared;
  byValue.set(key, passphrase);
  return passphrase;
}

/** How to reach a destination's repository from this machine. */
export function borgTarget(
  destination: DesiredDestination,
  paths: HostPaths,
  options: {
    passphraseExists?: boolean;
    /**
     * Decrypt committed secrets with this identity file instead of the machine's SSH key, and
     * reach remote repositories with the person's own ssh setup instead of the machine's key.
     */
    identity?: string;
  } = {},
): BorgTarget {
  // an admin identity means the machine is not here: its SSH key is not either
  const rsh = rshOf(destination, paths, options.identity === undefined);
  const knownHosts = knownHostsOf(destination, paths);
  const key = committedKeyOf(destination, paths, options.identity);
  return {
    destination: destination.name,
    repo: destination.repo,
    ...(rsh === undefined ? {} : { rsh }),
    ...(knownHosts === undefined ? {} : { knownHosts }),
    passphrase: sharedPassphrase(
      destination,
      passphraseOf(destination, paths, options.passphraseExists ?? true, options.identity),
    ),
    ...(key === undefined ? {} : { key }),
    lockWait: destination.lockWait,
  };
}
