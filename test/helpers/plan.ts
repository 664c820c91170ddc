import type { ActualMachine } from '../../reconcile/engine/model.js';
import type { PlanOptions } from '../../reconcile/engine/plan.js';
import { jobArguments } from '../../src/desired/jobs.js';
import { emptyLedger } from '../../src/host/ledger.js';
import { hostPaths } from '../../src/host/paths.js';
import { embeddedScheduler } from '../../src/host/schedulers/embedded.js';

/** The pure planner's options for `machine` under `root`, with the embedded scheduler and a fixed clock. */
export function planOptions(machine = 'jon', root = '/tmp/root') {
  const paths = hostPaths(root);
  const scheduler = embeddedScheduler(paths.schedule);
  return {
    paths,
    renderJob: scheduler.render,
    jobCommand: (key: string) => ['borgops', ...jobArguments(machine, key)],
    worktree: false,
    refresh: false,
    now: new Date('2026-03-10T12:00:00Z'),
  } satisfies PlanOptions;
}

/** A hand-made observation of a machine with nothing on it; `overrides` adds what a case needs. */
export function observed(overrides: Partial<ActualMachine> = {}): ActualMachine {
  return {
    repositories: {},
    hooks: {},
    secrets: {},
    sshKey: { exists: false },
    scheduler: 'embedded',
    schedules: {},
    served: {},
    authorizedKeys: {},
    accounts: { managed: false, users: {} },
    ledger: emptyLedger(),
    ...overrides,
  };
}
