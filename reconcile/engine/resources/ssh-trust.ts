import type { DesiredMachine } from '../../../src/desired/types.js';
import { knownHostsPattern, sshEndpoint } from '../../../src/host/known-hosts.js';
import type { HostPaths } from '../../../src/host/paths.js';
import { isPinned } from '../../../src/host/targets.js';
import type { ActualMachine } from '../model.js';
import type { KindModule } from './kind.js';

/*
 * Trust over ssh, both ways, as plan notes and warnings (no resource of its own): how each ssh
 * destination's host key is checked, and whether servers can trust this machine's key.
 */

/** How each SSH destination's host key is checked, so a plan says when a key is trusted on first use. */
export function sshNotes(desired: DesiredMachine, paths: HostPaths): string[] {
  const notes: string[] = [];
  for (const destination of desired.destinations) {
    if (!destination.remote) continue;
    const endpoint = sshEndpoint(destination.repo, destination.rsh);
    const host = endpoint === undefined ? destination.repo : knownHostsPattern(endpoint);
    if (isPinned(destination)) {
      const count = destination.knownHosts.length;
      notes.push(
        `${destination.name}: host key of ${host} pinned (${count} key${count === 1 ? '' : 's'}): ssh refuses any other (StrictHostKeyChecking=yes)`,
      );
    } else if (destination.rsh === undefined) {
      const pin =
        destination.server === undefined
          ? `destinations.${destination.name}.knownHosts`
          : `the hostKey setting of server ${destination.server}`;
      notes.push(
        `${destination.name}: host key of ${host} trusted on first use (StrictHostKeyChecking=accept-new, as clan) and remembered in ${paths.knownHosts}; pin it with ${pin}`,
      );
    }
  }
  return notes;
}

/** `type base64` of a public key line, without its comment. */
function keyOf(line: string): string {
  return line.trim().split(/\s+/).slice(0, 2).join(' ');
}

/**
 * A client logging in to its servers with the machine key: its public key must be committed, and
 * be this machine's, or every server refuses it.
 */
export function keyWarnings(desired: DesiredMachine, actual: ActualMachine, paths: HostPaths): string[] {
  const servers = desired.destinations
    .filter((d) => d.server !== undefined && d.rsh === undefined)
    .map((d) => d.server!);
  if (servers.length === 0) return [];
  const file = `machines/${desired.machine}/borgbackup.ssh.pub`;
  if (desired.publicKey === undefined) {
    return [
      `this machine's public key is not committed: server ${servers.join(', ')} cannot authorize it until ${file} holds the output of \`borgops keys show\``,
    ];
  }
  const own = actual.sshKey.publicKey;
  if (own !== undefined && keyOf(own) !== keyOf(desired.publicKey.key)) {
    return [
      `${file} is not this machine's key (${paths.sshKey}.pub): server ${servers.join(', ')} will refuse it; commit the output of \`borgops keys show\``,
    ];
  }
  return [];
}

export const sshTrust: KindModule<never, object, never> = {
  plan({ desired, actual, options: { paths } }, out) {
    out.notes.push(...sshNotes(desired, paths));
    out.warnings.push(...keyWarnings(desired, actual, paths));
  },
};
