import type { DesiredMachine } from '../../src/desired/types.js';
import { hashOf } from '../../src/util/hash.js';
import { removeAllRefusal } from './guards.js';
import type { ActualMachine, Plan } from './model.js';
import { KINDS } from './resources/index.js';
import {
  type KindModule,
  ledgerIds,
  type PlanInput,
  type PlanOptions,
  type PlanOutput,
} from './resources/kind.js';

export type { PlanOptions };

/** The kinds in list order, consecutive kinds that plan per destination (secret, repository, retention) grouped. */
const STAGES: KindModule[][] = [];
for (const kind of KINDS) {
  const last = STAGES.at(-1);
  if (kind.planEach && last?.[0]?.planEach) last.push(kind);
  else STAGES.push([kind]);
}

/** Every kind's plan; a group plans each destination through all its kinds before the next destination. */
function planKinds(input: PlanInput, out: PlanOutput): void {
  for (const stage of STAGES) {
    for (const destination of stage[0]?.planEach ? input.desired.destinations : []) {
      for (const kind of stage) kind.planEach?.(destination, input, out);
    }
    for (const kind of stage) kind.plan?.(input, out);
  }
}

/** desired × actual → the ordered actions that make them agree. Pure: no I/O, same input, same plan. */
export function plan(desired: DesiredMachine, actual: ActualMachine, options: PlanOptions): Plan {
  const out: PlanOutput = {
    actions: [],
    notes: [],
    warnings: [...desired.warnings],
    errors: [],
    refusals: [],
  };
  const declared = new Set(desired.resources.map((r) => r.id));
  planKinds({ desired, actual, options, declared }, out);
  guardRemoveAll(desired, actual, out);

  const summary = { add: 0, change: 0, destroy: 0, archives: 0 };
  for (const action of out.actions) {
    if (action.effect === 'additive') summary.add++;
    else if (action.effect === 'mutating') summary.change++;
    else summary.destroy++;
    if (action.op === 'retention.prune') summary.archives += action.archives.length;
  }
  return {
    version: 1,
    machine: desired.machine,
    ...(desired.commit === undefined ? {} : { commit: desired.commit }),
    worktree: options.worktree,
    createdAt: options.now.toISOString(),
    fingerprint: fingerprint(desired, actual, options.worktree),
    refresh: options.refresh,
    scheduler: actual.scheduler,
    actions: out.actions,
    notes: out.notes,
    warnings: out.warnings,
    errors: out.errors,
    refusals: out.refusals,
    summary,
    borgProcesses: options.borgProcesses ?? 0,
  };
}

/** Argo CD's "never prune an application to nothing": removing all of a machine's backups needs consent. */
function guardRemoveAll(desired: DesiredMachine, actual: ActualMachine, out: PlanOutput): void {
  const had = {
    schedules: ledgerIds(actual, 'schedule').length > 0,
    hooks: ledgerIds(actual, 'hook').length > 0,
  };
  const counts = { destinations: desired.destinations.length, states: desired.states.length };
  const refusal = removeAllRefusal(desired.machine, had, counts);
  if (refusal) out.refusals.push(refusal);
}

/** Changes when the declarations or anything observed changes; stable otherwise. */
export function fingerprint(desired: DesiredMachine, actual: ActualMachine, worktree: boolean): string {
  return hashOf({
    machine: desired.machine,
    commit: desired.commit ?? null,
    worktree,
    resources: desired.resources,
    actual,
  });
}
