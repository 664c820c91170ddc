import { loadDeclarations } from '../../src/config/load.js';
import { compile } from '../../src/desired/compile.js';
import type { DesiredMachine } from '../../src/desired/types.js';
import { readApplied } from '../../src/host/applied.js';
import type { HostPaths } from '../../src/host/paths.js';
import type { SettingChange } from './model.js';

/**
 * Settings no resource carries but scheduled backups read from the applied declarations: a
 * change of them is what the next apply changes, so plan shows it (never the values: a
 * passCommand may name a credential).
 */
export async function appliedSettingChanges(
  paths: HostPaths,
  desired: DesiredMachine,
): Promise<SettingChange[]> {
  const applied = await readApplied(paths.applied).catch(() => undefined);
  // the same commit holds the same declarations; nothing applied yet: every resource is new anyway
  if (applied === undefined || (applied.commit !== undefined && applied.commit === desired.commit)) return [];
  const { declarations } = loadDeclarations(new Map(Object.entries(applied.files)), applied.commit);
  if (declarations === undefined) return [];
  let before: DesiredMachine;
  try {
    before = compile(declarations, desired.machine);
  } catch {
    return [];
  }
  const changes: SettingChange[] = [];
  for (const destination of desired.destinations) {
    const old = before.destinations.find((d) => d.name === destination.name);
    if (old === undefined) continue;
    const was = old.encryption.passCommand;
    const now = destination.encryption.passCommand;
    if (was === now) continue;
    const what =
      now === undefined
        ? 'removed: backups take the passphrase from the committed or generated secret'
        : was === undefined
          ? 'added: backups take the passphrase from the command'
          : 'changed (hidden): backups run the new command for the passphrase';
    changes.push({
      id: `settings/${destination.name}`,
      destination: destination.name,
      setting: 'encryption.passCommand',
      summary: `encryption.passCommand ${what}`,
    });
  }
  return changes;
}
