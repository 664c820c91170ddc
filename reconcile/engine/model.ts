import type { RepositoryObservation } from '../../src/borg/types.js';
import type { HookPhase, ResourceKind } from '../../src/desired/types.js';
import type { SystemUser } from '../../src/host/accounts.js';
import type { HookFile } from '../../src/host/hooks.js';
import type { Ledger } from '../../src/host/ledger.js';
import type { JobFile, ObservedJob, ScheduledJob } from '../../src/host/schedulers/types.js';
import type { ObservedSecret } from '../../src/host/secrets.js';
import type { ObservedServed } from '../../src/host/served.js';
import type { ObservedSshKey } from '../../src/host/ssh-key.js';

/** A repository as observed: asked of borg, or taken from the ledger when nothing about it changed. */
export type ObservedRepository =
  | (RepositoryObservation & { via: 'borg' })
  | { state: 'recorded'; via: 'ledger' };

/** What the machine really has, as plain data (JSON-serializable, fingerprinted). */
export interface ActualMachine {
  repositories: Record<string, ObservedRepository>;
  /** Hooks that are declared or in the ledger; foreign files in the directory are not looked at. */
  hooks: Record<string, HookFile | null>;
  secrets: Record<string, ObservedSecret>;
  sshKey: ObservedSshKey;
  scheduler: string;
  /** Jobs of the active backend, and of other backends the ledger says borgops installed. */
  schedules: Record<string, ObservedJob>;
  served: Record<string, ObservedServed>;
  /** authorized_keys files of this machine's server users: their lines, null when absent. */
  authorizedKeys: Record<string, string[] | null>;
  /** Server users: looked up only when borgops manages accounts (root on `--root /`). */
  accounts: { managed: boolean; users: Record<string, SystemUser | null> };
  ledger: Ledger;
  /** Destinations runs.json records a successful backup of: evidence a repository existed (re-init guard). */
  backedUp?: string[];
}

export type Effect = 'additive' | 'mutating' | 'destructive';

interface BaseAction {
  /** The resource id (`hook/pre-backup-linkding`). */
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

export type Action =
  | (BaseAction & { op: 'ssh-key.create'; kind: 'ssh-key' })
  | (BaseAction & { op: 'secret.create'; kind: 'secret'; destination: string })
  | (BaseAction & { op: 'repository.init'; kind: 'repository'; destination: string })
  | (BaseAction & { op: 'key-export.create'; kind: 'key-export'; destination: string; path: string })
  | (BaseAction & {
      op: 'retention.prune';
      kind: 'retention';
      destination: string;
      archives: string[];
      kept: number;
      total: number;
    })
  | (BaseAction & {
      op: 'hook.write';
      kind: 'hook';
      name: string;
      state: string;
      phase: HookPhase;
      content: string;
      diff: FileDiff;
    })
  | (BaseAction & { op: 'hook.remove'; kind: 'hook'; name: string; diff: FileDiff })
  | (BaseAction & { op: 'schedule.install'; kind: 'schedule'; job: ScheduledJob; diffs: FileDiff[] })
  | (BaseAction & {
      op: 'schedule.remove';
      kind: 'schedule';
      destination: string;
      backend: string;
      diffs: FileDiff[];
    })
  | (BaseAction & { op: 'server-user.create'; kind: 'server-user'; user: string; home: string })
  | (BaseAction & {
      op: 'served.create';
      kind: 'served-repository';
      client: string;
      /** The declared path (created under --root). */
      path: string;
      /** The user to own it (and its server directory): only when borgops manages accounts. */
      owner?: string;
    })
  | (BaseAction & {
      op: 'authorized-key.set';
      kind: 'authorized-key';
      client: string;
      file: string;
      remove: string[];
      add: string[];
      /** The user to own the file, its `.ssh` and home: only when borgops manages accounts. */
      owner?: string;
    });

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
