import type { DesiredDestination, DesiredMachine } from '../../src/desired/types.js';
import { BorgopsError, errorMessage } from '../../src/errors.js';
import { removeStaleTemporaryFiles } from '../../src/host/hooks.js';
import { type Ledger, writeLedger } from '../../src/host/ledger.js';
import { checkGuards } from './guards.js';
import type { Action, Plan, PlanError } from './model.js';
import { KINDS, kindModule } from './resources/index.js';
import type { ApplyContext, ApplyRuntime, LedgerRecord } from './resources/kind.js';

export type { ApplyContext };
export { checkGuards };

export interface ApplyResult {
  done: Action[];
  errors: PlanError[];
  borgProcesses: number;
}

/**
 * Keeps the first-apply time of every declared destination (a new one starts now, an undeclared
 * one is forgotten): freshness counts from it until a backup succeeds, whatever reconciles since.
 */
export function startClocks(
  previous: Ledger['destinations'],
  declared: readonly DesiredDestination[],
  at: string,
): NonNullable<Ledger['destinations']> {
  const clocks: NonNullable<Ledger['destinations']> = {};
  for (const { name } of declared) clocks[name] = previous?.[name] ?? { firstAppliedAt: at };
  return clocks;
}

interface Run {
  runtime: ApplyRuntime;
  plan: Plan;
  done: Action[];
  errors: PlanError[];
  failedDestinations: Set<string>;
}

function startRun(context: ApplyContext, desired: DesiredMachine, plan: Plan, ledger: Ledger): Run {
  const clock = context.now ?? (() => new Date());
  const destinations = new Map(desired.destinations.map((d) => [d.name, d]));
  const destinationOf = (name: string): DesiredDestination => {
    const destination = destinations.get(name);
    if (!destination)
      throw new BorgopsError('E_USAGE', `the plan names destination "${name}", which is not declared`);
    return destination;
  };
  const record = async (id: string, entry: LedgerRecord | undefined) => {
    if (entry === undefined) delete ledger.entries[id];
    else
      ledger.entries[id] = {
        ...entry,
        appliedAt: clock().toISOString(),
        ...(desired.commit === undefined ? {} : { commit: desired.commit }),
      };
    await writeLedger(context.paths.ledger, ledger);
  };
  return {
    runtime: { context, desired, ledger, record, destinationOf },
    plan,
    done: [],
    errors: [...plan.errors],
    failedDestinations: new Set(
      plan.errors.flatMap((e) => (e.destination === undefined ? [] : [e.destination])),
    ),
  };
}

/** One action through its kind's module; a failure is recorded and marks its destination failed. */
async function runAction(run: Run, action: Action, index: number): Promise<void> {
  const { context } = run.runtime;
  const module = kindModule(action.kind);
  const destination = 'destination' in action ? action.destination : undefined;
  if (
    destination !== undefined &&
    run.failedDestinations.has(destination) &&
    !module.runsAfterFailedDestination
  ) {
    context.logger.warn({ id: action.id }, 'skipped: an earlier step of this destination failed');
    return;
  }
  context.onAction?.(action, index, run.plan.actions.length);
  try {
    await module.apply?.(action, run.runtime);
    run.done.push(action);
    context.logger.info({ id: action.id, op: action.op }, 'applied');
  } catch (error: unknown) {
    context.logger.error({ id: action.id, op: action.op, err: error }, 'action failed');
    run.errors.push({
      id: action.id,
      ...(destination === undefined ? {} : { destination }),
      message: `${action.id}: ${errorMessage(error)}`,
    });
    if (destination !== undefined) run.failedDestinations.add(destination);
  }
}

/** Records what is converged now, and forgets what is no longer declared (and left in place). */
async function settleLedger(run: Run): Promise<void> {
  const { context, desired, ledger, destinationOf } = run.runtime;
  const clock = context.now ?? (() => new Date());
  const input = {
    context,
    ledger,
    failedDestinations: run.failedDestinations,
    pending: (id: string) => run.plan.actions.some((a) => a.id === id && !run.done.includes(a)),
    destinationOf,
    stamp: () => clock().toISOString(),
  };
  for (const resource of desired.resources) kindModule(resource.kind).settle?.(resource, input);
  const declared = new Set(desired.resources.map((r) => r.id));
  const forgotten = new Set(KINDS.filter((k) => k.forgetsUndeclared).map((k) => k.kind));
  for (const [id, entry] of Object.entries(ledger.entries)) {
    if (!declared.has(id) && forgotten.has(entry.kind)) delete ledger.entries[id];
  }
  ledger.destinations = startClocks(ledger.destinations, desired.destinations, input.stamp());
  await writeLedger(context.paths.ledger, { ...ledger, machine: desired.machine });
}

/**
 * Executes a plan's actions in order. An action that fails is reported and the others go on
 * (one unreachable destination must not stop the rest); the ledger is written after every
 * step, so a kill at any point leaves a state the next run converges from.
 */
export async function apply(
  context: ApplyContext,
  desired: DesiredMachine,
  plan: Plan,
  ledger: Ledger,
): Promise<ApplyResult> {
  checkGuards(plan, context.allow);
  const startProcesses = context.borg.processCount;
  const stale = await removeStaleTemporaryFiles(context.paths.hooksDir);
  if (stale.length > 0)
    context.logger.warn({ files: stale }, 'removed temporary files of an interrupted apply');
  const run = startRun(context, desired, plan, ledger);
  for (const [index, action] of plan.actions.entries()) await runAction(run, action, index);
  await settleLedger(run);
  return { done: run.done, errors: run.errors, borgProcesses: context.borg.processCount - startProcesses };
}
