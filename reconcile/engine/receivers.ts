import type { ResolvedReceiver } from '../../src/config/notify.js';
import { compile } from '../../src/desired/compile.js';
import type { DesiredMachine } from '../../src/desired/types.js';
import { loadApplied, readApplied } from '../../src/host/applied.js';
import type { HostPaths } from '../../src/host/paths.js';
import { receiverChanges } from '../../src/notify/changes.js';

/** The receivers of the declarations applied on this host: what runs use now (none before a first apply). */
async function appliedReceivers(paths: HostPaths, machine: string): Promise<readonly ResolvedReceiver[]> {
  if (!(await readApplied(paths.applied))) return [];
  const { result } = await loadApplied(paths.applied);
  if (!result.declarations?.machines.includes(machine)) return [];
  return compile(result.declarations, machine).receivers;
}

/**
 * Plan notes for notification receivers: they are declarations only (nothing is installed), so
 * a change is said in words, with its URL and secrets hidden, and takes effect when applied.
 */
export async function receiverNotes(paths: HostPaths, desired: DesiredMachine): Promise<string[]> {
  const before = await appliedReceivers(paths, desired.machine);
  return receiverChanges(before, desired.receivers).map(
    (change) =>
      `notify/${change.name}: ${change.summary}; nothing to install: backups and the agent use it once applied`,
  );
}
