import type { EncryptionMode } from '../config/model.js';
import type { Keep, State } from '../config/schema.js';

export const HOOK_PHASES = ['pre-backup', 'post-backup', 'pre-restore', 'post-restore'] as const;
export type HookPhase = (typeof HOOK_PHASES)[number];

/** Everything a client needs to reach and write one destination. */
export interface DesiredDestination {
  name: string;
  instance: string;
  repo: string;
  /** Declared BORG_RSH; when absent and the repository is remote, borgops builds one with the machine key. */
  rsh?: string;
  remote: boolean;
  knownHosts: string[];
  /** The server machine when this destination is a server of the instance. */
  server?: string;
  encryption: { mode: EncryptionMode; passCommand?: string };
  compression: string;
  exclude: string[];
  keep: Keep;
  archivePrefix: string;
  lockWait: number;
  startAt: string[];
  /** This host's deterministic delay within the declared stagger window. */
  staggerSeconds: number;
  maxAgeSeconds?: number;
}

export interface DesiredState extends Omit<State, 'folders'> {
  name: string;
  folders: string[];
}

export interface DesiredHook {
  /** The command name: `pre-backup-linkding`. */
  name: string;
  state: string;
  phase: HookPhase;
  content: string;
}

export interface ServedRepository {
  instance: string;
  client: string;
  path: string;
  appendOnly: boolean;
  quota?: string;
}

export interface AuthorizedKey {
  instance: string;
  client: string;
  /** The server directory whose borg user's authorized_keys holds the line. */
  directory: string;
  /** The full authorized_keys line; absent when the client's public key is not committed. */
  line?: string;
  keyFile: string;
}

export type Resource =
  | { kind: 'repository'; id: string; destination: DesiredDestination }
  | { kind: 'retention'; id: string; destination: string; keep: Keep; archivePrefix: string }
  | { kind: 'hook'; id: string; hook: DesiredHook }
  | { kind: 'schedule'; id: string; destination: string; startAt: string[]; staggerSeconds: number }
  | { kind: 'secret'; id: string; destination: string }
  | { kind: 'ssh-key'; id: string }
  | { kind: 'served-repository'; id: string; served: ServedRepository }
  | { kind: 'authorized-key'; id: string; key: AuthorizedKey };

export type ResourceKind = Resource['kind'];

/** What one machine must have, compiled from the declarations. Pure data, deterministic. */
export interface DesiredMachine {
  machine: string;
  commit?: string;
  states: DesiredState[];
  destinations: DesiredDestination[];
  hooks: DesiredHook[];
  served: ServedRepository[];
  authorizedKeys: AuthorizedKey[];
  /** Sorted by kind order, then id. */
  resources: Resource[];
  warnings: string[];
}
