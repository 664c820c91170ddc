import type { BorgTarget, Passphrase } from '../borg/types.js';
import type { DesiredDestination } from '../desired/types.js';
import type { HostPaths } from './paths.js';
import { passphrasePath } from './secrets.js';

/** Options of the ssh borgops runs for a remote destination without a declared rsh. */
export function defaultRsh(destination: DesiredDestination, paths: HostPaths): string {
  const options = [
    `-i ${paths.sshKey}`,
    '-o IdentitiesOnly=yes',
    '-o PasswordAuthentication=no',
    '-o BatchMode=yes',
    // a dead link fails within about a minute instead of hanging a backup forever
    '-o ServerAliveInterval=15',
    '-o ServerAliveCountMax=4',
    '-o ConnectTimeout=20',
    `-o UserKnownHostsFile=${paths.knownHosts}`,
    `-o StrictHostKeyChecking=${destination.knownHosts.length > 0 ? 'yes' : 'accept-new'}`,
  ];
  return `ssh ${options.join(' ')}`;
}

function passphraseOf(
  destination: DesiredDestination,
  paths: HostPaths,
  generatedExists: boolean,
): Passphrase {
  if (destination.encryption.mode === 'none') return { kind: 'none' };
  if (destination.encryption.passCommand !== undefined)
    return { kind: 'command', command: destination.encryption.passCommand };
  return generatedExists
    ? { kind: 'file', path: passphrasePath(paths.secretsDir, destination.name) }
    : { kind: 'none' };
}

/** How to reach a destination's repository from this machine. */
export function borgTarget(
  destination: DesiredDestination,
  paths: HostPaths,
  options: { passphraseExists?: boolean } = {},
): BorgTarget {
  const rsh = destination.rsh ?? (destination.remote ? defaultRsh(destination, paths) : undefined);
  return {
    destination: destination.name,
    repo: destination.repo,
    ...(rsh === undefined ? {} : { rsh }),
    passphrase: passphraseOf(destination, paths, options.passphraseExists ?? true),
    lockWait: destination.lockWait,
  };
}
