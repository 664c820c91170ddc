import type { DesiredMachine } from '../../src/desired/types.js';
import { BorgopsError } from '../../src/errors.js';

const commandKeys = [
  ['preBackupScript', 'preBackupCommand', 'pre-backup'],
  ['postBackupScript', 'postBackupCommand', 'post-backup'],
  ['preRestoreScript', 'preRestoreCommand', 'pre-restore'],
  ['postRestoreScript', 'postRestoreCommand', 'post-restore'],
] as const;

export interface StateListing {
  name: string;
  folders: string[];
  preBackupCommand?: string;
  postBackupCommand?: string;
  preRestoreCommand?: string;
  postRestoreCommand?: string;
}

/** The states of a machine with the command names clan gives their scripts. */
export function listStates(desired: DesiredMachine): StateListing[] {
  return desired.states.map((state) => {
    const listing: StateListing = { name: state.name, folders: state.folders };
    for (const [script, command, phase] of commandKeys) {
      if (state[script] !== undefined) listing[command] = `${phase}-${state.name}`;
    }
    return listing;
  });
}

/**
 * clan's `state list` text, byte for byte (clan_cli's state list): per state `· service: X`,
 * `  folders:` and `  - <folder>` when it has folders, each command it has, then a blank line.
 */
export function formatStates(states: readonly StateListing[]): string {
  return states
    .map((state) => {
      const lines = [`· service: ${state.name}`];
      if (state.folders.length > 0) lines.push('  folders:', ...state.folders.map((f) => `  - ${f}`));
      for (const [, command] of commandKeys) {
        const value = state[command];
        if (value !== undefined) lines.push(`  ${command}: ${value}`);
      }
      return `${lines.join('\n')}\n\n`;
    })
    .join('');
}

/** clan's `state list --service S`: that state only, refused when the machine does not have it. */
export function selectService(
  states: readonly StateListing[],
  machine: string,
  service: string,
): StateListing[] {
  const selected = states.filter((state) => state.name === service);
  if (selected.length === 0) {
    const known = states.map((state) => state.name).join(', ') || 'none';
    throw new BorgopsError(
      'E_USAGE',
      `Service ${service} isn't configured for this machine: ${machine} has the states ${known}`,
    );
  }
  return selected;
}
