import type { ResolvedReceiver } from './notify.js';
import type { ENCRYPTION_MODES, Keep, State } from './schema.js';

export type EncryptionMode = (typeof ENCRYPTION_MODES)[number];

/** A destination of one client, after role and machine settings are merged and servers are added. */
export interface ResolvedDestination {
  /** The attribute name in `destinations` (or the server's machine name). */
  key: string;
  /** The name in archive and job names. */
  name: string;
  repo: string;
  rsh?: string;
  knownHosts: string[];
  /** Set when the destination is a server of the instance (clan's `borg@<address>:.`). */
  server?: { machine: string; address: string; port?: number; directory: string };
}

export interface ClientConfig {
  machine: string;
  instance: string;
  destinations: ResolvedDestination[];
  exclude: string[];
  startAt: string[];
  staggerSeconds: number;
  maxAgeSeconds?: number;
  encryption: { mode: EncryptionMode; passCommand?: string };
  compression: string;
  keep: Keep;
  lockWait: number;
  /** Notification receivers, sorted by name. */
  receivers: ResolvedReceiver[];
}

export interface ServerConfig {
  machine: string;
  instance: string;
  address: string;
  port?: number;
  /** The user clients log in as, owner of the repositories (default `borg`). */
  user: string;
  directory: string;
  appendOnly: boolean;
  quota?: string;
  hostKey?: string;
}

export interface MachineStates {
  file: string;
  states: Record<string, State>;
}

/** Everything the config repository declares, validated and normalized. */
export interface Declarations {
  /** The commit the files were read at; undefined for a worktree read with no commit. */
  commit?: string;
  inventoryFile: string;
  /** Every machine named anywhere: inventory machines, roles, state files. Sorted. */
  machines: string[];
  clients: ClientConfig[];
  servers: ServerConfig[];
  states: Record<string, MachineStates>;
  publicKeys: Record<string, { file: string; key: string }>;
}
