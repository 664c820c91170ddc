import type { RepositoryObservation } from '../../src/borg/types.js';
import type { ResourceKind } from '../../src/desired/types.js';
import type { Ledger } from '../../src/host/ledger.js';
import type { JobFile } from '../../src/host/schedulers/types.js';
import type { KindAction, KindObserved } from './resources/index.js';

/** A repository as observed: asked of borg, or taken from the ledger when nothing about it changed. */
export type ObservedRepository =
  | (RepositoryObservation & { via: 'borg' })
  | { state: 'recorded'; via: 'ledger' };

/**
 * What the machine really has, as plain data (JSON-serializable, fingerprinted): the ledger, and
 * what each resource kind observes (its module in resources/ says what and how).
 */
export type ActualMachine = { ledger: Ledger } & KindObserved;

export type Effect = 'additive' | 'mutating' | 'destructive';

export interface BaseAction {
  /** The resource id (`hook/pre-backup-linkding`), built by src/desired/ids.ts. */
  id: string;
  kind: ResourceKind;
  effect: Effect;
  /** One line for people; never a secret. */
  summary: string;
}

export interface FileDiff {
  path: string;
  before: string;
  after: string;
}

/** Every kind's actions (each kind's module in resources/ declares its own). */
export type Action = KindAction;

export type ActionOp = Action['op'];

export interface PlanError {
  id: string;
  destination?: string;
  message: string;
}

export type GuardName = 'large-prune' | 'prune-all' | 'remove-all' | 'reinit';

export interface Refusal {
  guard: GuardName;
  id: string;
  message: string;
}

/** A setting the applied declarations carry (no resource does) that the next apply changes. */
export interface SettingChange {
  /** `settings/<destination>`. */
  id: string;
  destination: string;
  /** `encryption.passCommand`. */
  setting: string;
  /** One line for people; never the value. */
  summary: string;
}

export interface Plan {
  version: 1;
  machine: string;
  commit?: string;
  worktree: boolean;
  createdAt: string;
  /** sha256 of (machine, commit, desired resources, observed state): `apply --plan` refuses when it moved. */
  fingerprint: string;
  refresh: boolean;
  scheduler: string;
  actions: Action[];
  /** Settings that change with the next apply although no action carries them (a passCommand). */
  settings?: SettingChange[];
  /** Things left alone on purpose (a repository no longer declared is never deleted). */
  notes: string[];
  warnings: string[];
  errors: PlanError[];
  refusals: Refusal[];
  summary: { add: number; change: number; destroy: number; archives: number };
  borgProcesses: number;
}

export type { JobFile };
