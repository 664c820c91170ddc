import type { Declarations } from '../../src/config/model.js';
import { formatProblem } from '../../src/config/problem.js';
import { compile } from '../../src/desired/compile.js';
import type { DesiredDestination, DesiredMachine } from '../../src/desired/types.js';
import { BorgopsError, errorMessage } from '../../src/errors.js';
import { loadApplied } from '../../src/host/applied.js';
import { readLedger } from '../../src/host/ledger.js';
import type { HostPaths } from '../../src/host/paths.js';

/**
 * What the backups commands act on: the declarations last *applied* on this host (never git),
 * compiled for the machine they were applied for. The hooks, repositories and secrets on this
 * host were made from exactly these, and scheduled backups keep working while git is unreachable.
 */
export interface AppliedMachine {
  desired: DesiredMachine;
  /** All the applied declarations (a server compiles its clients' from them). */
  declarations: Declarations;
  commit?: string;
  appliedAt: string;
}

export async function appliedMachine(paths: HostPaths, machine: string | undefined): Promise<AppliedMachine> {
  const { snapshot, result } = await loadApplied(paths.applied);
  if (!result.declarations) {
    throw new BorgopsError(
      'E_CONFIG',
      `the declarations applied in ${paths.applied} no longer validate; run \`borgops apply\``,
      { details: result.problems.map(formatProblem) },
    );
  }
  const appliedFor = await ledgerMachine(paths, machine);
  const name = machine ?? appliedFor;
  if (name === undefined) {
    throw new BorgopsError('E_USAGE', 'name the machine (no machine is recorded in the ledger)');
  }
  // an undeclared machine is reported by compile, with the declared ones
  const desired = compile(result.declarations, name);
  if (appliedFor !== undefined && appliedFor !== name) {
    throw new BorgopsError(
      'E_USAGE',
      `this host applied the declarations for machine "${appliedFor}", not "${name}": run borgops backups on ${name} itself`,
    );
  }
  return {
    desired,
    declarations: result.declarations,
    ...(snapshot.commit === undefined ? {} : { commit: snapshot.commit }),
    appliedAt: snapshot.appliedAt,
  };
}

/**
 * The machine the ledger says this host applied for. The ledger is read only for that default
 * and a cross-check: when the machine is named (scheduled jobs always name it), an unreadable
 * ledger must not stop backups, so it is skipped; `apply` reports and rewrites it.
 */
async function ledgerMachine(paths: HostPaths, machine: string | undefined): Promise<string | undefined> {
  try {
    return (await readLedger(paths.ledger)).machine;
  } catch (error: unknown) {
    if (machine === undefined) {
      throw new BorgopsError(
        'E_USAGE',
        `name the machine (the ledger cannot be read: ${errorMessage(error)})`,
        {
          cause: error,
        },
      );
    }
    return undefined;
  }
}

export function declaredNames(items: readonly { name: string }[]): string {
  return items.length === 0 ? 'none' : items.map((item) => item.name).join(', ');
}

/** The destination named `name`, or an error that lists the declared ones. */
export function findDestination(desired: DesiredMachine, name: string): DesiredDestination {
  const destination = desired.destinations.find((d) => d.name === name);
  if (!destination) {
    throw new BorgopsError(
      'E_USAGE',
      `unknown destination "${name}" for machine ${desired.machine} (declared: ${declaredNames(desired.destinations)})`,
    );
  }
  return destination;
}
