import type { DesiredMachine } from '../../src/desired/types.js';

const commandKeys = [
  ['preBackupScript', 'preBackupCommand', 'pre-backup'],
  ['postBackupScript', 'postBackupCommand', 'post-backup'],
  ['preRestoreScript', 'preRestoreCommand', 'pre-restore'],
  ['postRestoreScript', 'postRestoreCommand', 'post-restore'],
  ['verifyScript', 'verifyCommand', 'verify'],
] as const;

export interface StateListing {
  name: string;
  folders: string[];
  preBackupCommand?: string;
  postBackupCommand?: string;
  preRestoreCommand?: string;
  postRestoreCommand?: string;
  verifyCommand?: string;
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

/** clan's `state list` text: `· service: X`, its folders, then the commands it has. */
export function formatStates(states: readonly StateListing[]): string {
  return states
    .map((state) => {
      const lines = [`· service: ${state.name}`, '  folders:', ...state.folders.map((f) => `  - ${f}`)];
      for (const [, command] of commandKeys) {
        const value = state[command];
        if (value !== undefined) lines.push(`  ${command}: ${value}`);
      }
      return `${lines.join('\n')}\n`;
    })
    .join('\n');
}
