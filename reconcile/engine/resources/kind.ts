import type { Borg } from '../../../src/borg/types.js';
import type { DesiredDestination, DesiredMachine, Resource } from '../../../src/desired/types.js';
import type { Ledger, LedgerEntry } from '../../../src/host/ledger.js';
import type { HostPaths } from '../../../src/host/paths.js';
import type { JobFile, ScheduledJob, Scheduler } from '../../../src/host/schedulers/types.js';
import type { Logger } from '../../../src/log.js';
import type { Described } from '../describe/model.js';
import type { Action, ActualMachine, BaseAction, GuardName, PlanError, Refusal } from '../model.js';

/*
 * The contract of one resource kind (Terraform's provider resource): how it is observed,
 * planned, applied, recorded in the ledger and previewed. Every part is optional; the engine's
 * observe, plan, apply and the preview are loops over the ordered list in ./index.ts.
 */

export interface ObserveContext {
  paths: HostPaths;
  borg: Borg;
  scheduler: Scheduler;
  /** Other scheduler backends, by name, to find jobs the ledger says were installed with them. */
  schedulers?: Record<string, Scheduler>;
  /** Ask borg about every destination, not only those whose declarations or last backup changed. */
  refresh: boolean;
  /** Repositories observed at once (never two processes on one repository). */
  concurrency?: number;
  logger: Logger;
}

export interface ObserveInput {
  context: ObserveContext;
  desired: DesiredMachine;
  ledger: Ledger;
  /** What the kinds before this one in the list observed. */
  observed: Partial<ActualMachine>;
}

export interface PlanOptions {
  paths: HostPaths;
  /** Renders a job to the files of the active scheduler backend (pure). */
  renderJob(job: ScheduledJob): JobFile[];
  /** argv of the backup command a job runs for a destination. */
  jobCommand(destination: string): string[];
  worktree: boolean;
  refresh: boolean;
  now: Date;
  borgProcesses?: number;
}

export interface PlanInput {
  desired: DesiredMachine;
  actual: ActualMachine;
  options: PlanOptions;
  /** The ids of every declared resource. */
  declared: ReadonlySet<string>;
}

/** What kinds add to a plan; the plan keeps it in list order. */
export interface PlanOutput {
  actions: Action[];
  notes: string[];
  warnings: string[];
  errors: PlanError[];
  refusals: Refusal[];
}

export interface ApplyContext {
  paths: HostPaths;
  borg: Borg;
  scheduler: Scheduler;
  schedulers?: Record<string, Scheduler>;
  logger: Logger;
  /** Guards the user explicitly allowed (`--allow-large-prune` …). */
  allow: ReadonlySet<GuardName>;
  /** The clock of ledger entries (`appliedAt`); the real one when absent. */
  now?: () => Date;
  /** Called before each action (progress on long work). */
  onAction?: (action: Action, index: number, total: number) => void;
}

export type LedgerRecord = Omit<LedgerEntry, 'appliedAt' | 'commit'>;

export interface ApplyRuntime {
  context: ApplyContext;
  desired: DesiredMachine;
  ledger: Ledger;
  /** Writes (or, with undefined, forgets) one ledger entry, stamped with the commit and the time. */
  record(id: string, entry: LedgerRecord | undefined): Promise<void>;
  /** The declared destination an action names (a saved plan may name one no longer declared). */
  destinationOf(name: string): DesiredDestination;
}

/** After the actions: what a kind records of what is converged now (the ledger is written once after). */
export interface SettleInput {
  context: ApplyContext;
  ledger: Ledger;
  /** Destinations with a failed step: their repository and retention entries are left as they were. */
  failedDestinations: ReadonlySet<string>;
  /** An action of this resource was planned and not done. */
  pending(id: string): boolean;
  destinationOf(name: string): DesiredDestination;
  /** ISO time for a ledger entry. */
  stamp(): string;
}

export interface PreviewContext {
  machine: string;
  paths: HostPaths;
  scheduler: string;
  renderSchedule(job: ScheduledJob): JobFile[];
  jobCommand(machine: string, destination: string): string[];
}

export interface KindPreview<R> {
  added(item: R, context: PreviewContext): Described;
  removed(item: R, context: PreviewContext): Described;
  /** Undefined when nothing that matters changed; absent: any difference is "update <id>". */
  changed?(before: R, after: R, context: PreviewContext): Described | undefined;
}

/** Kinds declared and previewed with nothing compiled, observed or installed for them. */
export type DeclaredKind = 'receiver';

/** A change of such a declaration between two commits, in words (the preview adds nothing to it). */
export interface DeclaredChange extends Described {
  id: string;
  kind: DeclaredKind;
  change: 'added' | 'changed' | 'removed';
}

/**
 * One kind. A = its actions, O = what it adds to the observed machine, R = its compiled resource.
 * Methods (not function properties) so a kind fits the list's wider type. A kind's const is
 * annotated with its type (not inferred): the engine's types are derived from the list.
 */
export interface KindModule<A extends BaseAction = BaseAction, O extends object = object, R = Resource> {
  /** The compiled resource kind it owns; absent for a module that only adds notes. */
  kind?: R extends { kind: infer K } ? K : never;
  /** Reads its part of the host (sequential, in list order: a kind sees what earlier kinds found). */
  observe?(input: ObserveInput): Promise<O>;
  /** Per destination, in declaration order: consecutive kinds with planEach plan each destination together. */
  planEach?(destination: DesiredDestination, input: PlanInput, out: PlanOutput): void;
  /** The rest of its plan (after its planEach, for every destination). */
  plan?(input: PlanInput, out: PlanOutput): void;
  apply?(action: A, runtime: ApplyRuntime): Promise<void>;
  /** Its actions still run when an earlier step of their destination failed. */
  runsAfterFailedDestination?: boolean;
  settle?(resource: R, input: SettleInput): void;
  /** Undeclared ledger entries of this kind are forgotten after an apply (the thing itself is left in place). */
  forgetsUndeclared?: boolean;
  preview?: KindPreview<R>;
  /** Its changes from the declarations alone, for a kind with no compiled resource (shown after the resources). */
  previewDeclarations?(base: DesiredMachine | undefined, head: DesiredMachine | undefined): DeclaredChange[];
}

/** Ledger ids of one kind. */
export function ledgerIds(actual: ActualMachine, kind: string): string[] {
  return Object.keys(actual.ledger.entries).filter((id) => actual.ledger.entries[id]?.kind === kind);
}

export type ResourceOf<K extends Resource['kind']> = Extract<Resource, { kind: K }>;

/** Declared resources of one kind. */
export function ofKind<K extends Resource['kind']>(desired: DesiredMachine, kind: K): ResourceOf<K>[] {
  return desired.resources.filter((r): r is ResourceOf<K> => r.kind === kind);
}
