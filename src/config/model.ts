import type { ResolvedReceiver } from './notify.js';
import type { ENCRYPTION_MODES, Keep, SchedulerBackend, State } from './schema.js';

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
  /** Verification with the client's defaults and this destination's overrides merged in. */
  verify: ResolvedVerify;
}

/** A verification calendar: OnCalendar expressions, or false (never). */
export type VerifySchedule = string[] | false;

export interface ResolvedVerify {
  check: VerifySchedule;
  verifyData: VerifySchedule;
  drill: VerifySchedule;
  /** Declared scratch directory of drills (absolute, taken under --root); default under the state directory. */
  scratch?: string;
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
  /** The declared scheduler backend (`scheduler`); absent: the command's default. */
  scheduler?: SchedulerBackend;
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

/** A committed age-encrypted file: its path in the config repository and its armored text. */
export interface CommittedSecret {
  file: string;
  armored: string;
}

/** A destination's committed secrets (`machines/<m>/secrets/<d>.passphrase.age`, `<d>.key.age`). */
export interface CommittedSecrets {
  passphrase?: CommittedSecret;
  key?: CommittedSecret;
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
  /** Admins' age recipients (`secrets.recipients`): every secret is encrypted to them. */
  recipients: string[];
  /** Committed secrets by machine, then destination name. */
  secrets: Record<string, Record<string, CommittedSecrets>>;
}
