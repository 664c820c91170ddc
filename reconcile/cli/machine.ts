import type { Command } from 'commander';
import { loadDeclarations } from '../../src/config/load.js';
import { BorgopsError } from '../../src/errors.js';
import { readApplied } from '../../src/host/applied.js';
import { readLedger } from '../../src/host/ledger.js';
import { loadSource } from '../engine/declarations.js';
import type { GlobalOptions } from './options.js';

/** `--machine` when given on the command line (not its host-name default). */
export function explicitMachine(command: Command): string | undefined {
  const source = command.getOptionValueSourceWithGlobals('machine');
  return source !== undefined && source !== 'default' ? String(command.optsWithGlobals().machine) : undefined;
}

/**
 * The machine a command acts for: `--machine`, else the machine this state directory was applied
 * for (its ledger), else the host name. A host named `web1` that applied for `jon` is `jon`.
 */
export async function machineToActFor(command: Command, options: GlobalOptions): Promise<string> {
  const named = explicitMachine(command);
  if (named !== undefined) return named;
  try {
    return (await readLedger(options.paths.ledger)).machine ?? options.machine;
  } catch {
    // an unreadable ledger is reported by the commands that need it; the host name is the fallback
    return options.machine;
  }
}

/**
 * The machines declared where this host can see declarations: the applied ones, else the config
 * repository at --ref. Undefined when neither is readable (before a first apply, outside the repository).
 */
async function declaredMachines(options: GlobalOptions): Promise<string[] | undefined> {
  try {
    const applied = await readApplied(options.paths.applied);
    if (applied) {
      const machines = loadDeclarations(new Map(Object.entries(applied.files)), applied.commit).declarations
        ?.machines;
      if (machines) return [...machines];
    }
  } catch {
    // unreadable applied declarations: try git
  }
  try {
    return (await loadSource(options)).result.declarations?.machines.slice();
  } catch {
    return undefined;
  }
}

/** Refuses a machine the visible declarations do not declare (it would get a key nobody authorizes). */
export async function requireDeclaredMachine(machine: string, options: GlobalOptions): Promise<void> {
  const machines = await declaredMachines(options);
  if (machines === undefined || machines.includes(machine)) return;
  throw new BorgopsError(
    'E_CONFIG',
    `machine "${machine}" is not declared (declared machines: ${machines.length > 0 ? machines.join(', ') : 'none'})`,
    { details: ['declare it in the inventory first, or name a declared one with --machine'] },
  );
}
