import type { CommittedSecrets, EncryptionMode, ResolvedVerify } from '../config/model.js';
import type { ResolvedReceiver } from '../config/notify.js';
import type { Keep, SchedulerBackend, State } from '../config/schema.js';
import type { JobKind } from './jobs.js';

export const HOOK_PHASES = ['pre-backup', 'post-backup', 'pre-restore', 'post-restore', 'verify'] as const;
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
  /** The committed age-encrypted passphrase (and exported key) of this destination, if any. */
  committed?: CommittedSecrets;
  compression: string;
  exclude: string[];
  keep: Keep;
  archivePrefix: string;
  lockWait: number;
  startAt: string[];
  /** This host's deterministic delay within the declared stagger window. */
  staggerSeconds: number;
  maxAgeSeconds?: number;
  /** Scheduled checks and drills (calendars or false), and the drills' scratch directory. */
  verify: ResolvedVerify;
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
  /** The declared path `<directory>/<client>` (on the host: under --root). */
  path: string;
  /** The user that owns it and that the client logs in as. */
  user: string;
  appendOnly: boolean;
  quota?: string;
}

/** The system user a server's clients log in as; its home is the (first) server directory, as in clan. */
export interface ServerUser {
  name: string;
  home: string;
}

export interface AuthorizedKey {
  instance: string;
  client: string;
  user: string;
  /** The user's home, whose `.ssh/authorized_keys` holds the line (one file per user). */
  home: string;
  /** The declared path of the client's repository the forced command confines the key to. */
  repository: string;
  appendOnly: boolean;
  quota?: string;
  /** The client's committed public key; absent when `keyFile` is not committed. */
  publicKey?: string;
  keyFile: string;
}

export type Resource =
  | { kind: 'repository'; id: string; destination: DesiredDestination }
  | { kind: 'retention'; id: string; destination: string; keep: Keep; archivePrefix: string }
  | { kind: 'hook'; id: string; hook: DesiredHook }
  | {
      kind: 'schedule';
      id: string;
      destination: string;
      /** A check or drill job of the destination; absent: its backup job. */
      job?: Exclude<JobKind, 'backup'>;
      startAt: string[];
      staggerSeconds: number;
    }
  | { kind: 'secret'; id: string; destination: string }
  /** The escrowed `borg key export` of a destination in a key mode (repokey*, keyfile*). */
  | { kind: 'key-export'; id: string; destination: string }
  | { kind: 'ssh-key'; id: string }
  | { kind: 'server-user'; id: string; user: ServerUser }
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
  serverUsers: ServerUser[];
  authorizedKeys: AuthorizedKey[];
  /** The admins' age recipients (`secrets.recipients`): what `secrets adopt` encrypts to, with the machine. */
  recipients: string[];
  /** Notification receivers (nothing is installed for them: runs read them from the applied declarations). */
  receivers: ResolvedReceiver[];
  /** This machine's committed public key (`machines/<machine>/borgbackup.ssh.pub`), if any. */
  publicKey?: { file: string; key: string };
  /** The declared scheduler backend (client `scheduler` setting); absent: each command's default. */
  scheduler?: SchedulerBackend;
  /** Sorted by kind order, then id. */
  resources: Resource[];
  warnings: string[];
}
