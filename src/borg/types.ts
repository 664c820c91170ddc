import type { EncryptionMode } from '../config/model.js';

/**
 * The contract between borgops and the borg CLI adapter (src/borg/). Everything that runs
 * borg goes through `Borg`; tests count its processes (`processCount`).
 */

/** How borg gets the passphrase: never in argv, never logged. */
export type Passphrase =
  /** A file borgops generated (0600); handed to borg through BORG_PASSPHRASE_FD, never the environment. */
  | { kind: 'file'; path: string }
  /**
   * A committed age-encrypted passphrase: decrypted in memory with `identity` (the machine's SSH
   * key, or an admin's age identity file) once per target, handed over on the pipe.
   */
  | { kind: 'age'; file: string; armored: string; identity: string }
  /** The user's declared passCommand (not a secret itself): run once per target as borg would, its output on the pipe. */
  | { kind: 'command'; command: string }
  /** Unencrypted or authenticated-only repositories. */
  | { kind: 'none' };

/** A committed, age-encrypted borg key (keyfile modes), decrypted in memory with `identity`. */
export interface CommittedKey {
  /** Its path in the config repository, for messages (`machines/jon/secrets/local.key.age`). */
  file: string;
  armored: string;
  identity: string;
}

/** Everything needed to reach one repository. */
export interface BorgTarget {
  /** The destination name, for messages ("storagebox: repository is locked"). */
  destination: string;
  repo: string;
  /** The effective BORG_RSH, already built (declared rsh, or ssh with the machine key and known_hosts). */
  rsh?: string;
  /** Pinned host keys: the known_hosts file `rsh` names, written with this content before borg starts. */
  knownHosts?: { path: string; content: string };
  passphrase: Passphrase;
  /**
   * keyfile modes: the committed age-encrypted `borg key export` (`<d>.key.age`), used when this
   * host's borg keys directory holds no key of the repository (a new machine, a workstation).
   */
  key?: CommittedKey;
  /** borg --lock-wait, seconds. */
  lockWait: number;
}

export interface Archive {
  name: string;
  id: string;
  /** borg's `start` time: local time without zone, as borg prints it (`2026-03-01T01:00:00.000000`). */
  start: string;
  /** The start as µs since the epoch (read from borg in UTC): orders archives exactly. */
  epochMicros?: number;
}

/** Why a repository could not be read. Only `missing` permits `borg init`. */
export type RepositoryFailure =
  | 'passphrase' // wrong passphrase or no passphrase where one is needed
  | 'locked' // lock timeout: another borg holds it
  | 'unreachable' // ssh failed, connection closed, host unknown
  | 'not-a-repository' // the path exists but is not a borg repository (a file, a non-empty directory)
  | 'permission' // permission denied, restricted by the server's forced command
  | 'other';

export type RepositoryObservation =
  | { state: 'present'; archives: Archive[] }
  /** The repository does not exist (and nothing else is wrong): the one case that allows init. */
  | { state: 'missing' }
  | { state: 'failed'; failure: RepositoryFailure; message: string };

export interface BorgVersion {
  major: number;
  minor: number;
  patch: number;
  text: string;
}

export interface CreateProgress {
  files: number;
  originalSize: number;
  compressedSize: number;
  deduplicatedSize: number;
  path?: string;
}

export interface CreateOptions {
  /** Paths to archive, relative to `cwd` (a state folder `/srv/app` is `srv/app` with cwd `<root>`). */
  paths: string[];
  cwd: string;
  compression: string;
  exclude: string[];
  /**
   * Back-dates the archive (`borg create --timestamp`), for tests and retention property tests.
   * borg reads a time without zone as UTC (`2026-03-01T01:00:00`), not local time.
   */
  timestamp?: string;
  onProgress?: (progress: CreateProgress) => void;
  signal?: AbortSignal;
}

export interface CreateResult {
  /** Exit code 1: borg finished with warnings (a file vanished, changed while read). */
  warnings: string[];
  /**
   * The archive's start as `borg list` shows it (borg ran in UTC: local wall time plus the
   * instant); absent when borg printed none that parses.
   */
  start?: { start: string; epochMicros?: number };
  stats: {
    files: number;
    originalSize: number;
    compressedSize: number;
    deduplicatedSize: number;
    durationSeconds: number;
  };
}

export interface ExtractOptions {
  paths: string[];
  /** Extraction happens relative to this directory (borg extracts into the cwd). */
  cwd: string;
  dryRun?: boolean;
  signal?: AbortSignal;
}

export type { ArchiveInfo, ArchiveItem, CheckOptions, CheckOutcome } from './items.js';

import type { ArchiveInfo, ArchiveItem, CheckOptions, CheckOutcome } from './items.js';

export interface Borg {
  version(): Promise<BorgVersion>;
  /** One `borg list --json` process: existence, access and archives at once. */
  list(target: BorgTarget): Promise<RepositoryObservation>;
  init(target: BorgTarget, encryption: EncryptionMode): Promise<void>;
  create(target: BorgTarget, archive: string, options: CreateOptions): Promise<CreateResult>;
  rename(target: BorgTarget, from: string, to: string): Promise<void>;
  /** Deletes exactly these archives (one process), never the repository. */
  deleteArchives(target: BorgTarget, archives: readonly string[]): Promise<void>;
  compact(target: BorgTarget): Promise<void>;
  extract(target: BorgTarget, archive: string, options: ExtractOptions): Promise<{ warnings: string[] }>;
  /**
   * `borg check` of the repository and of the archives starting with `archivePrefix` only.
   * Problems borg finds are returned; a repository it cannot open (lock, passphrase, ssh) throws.
   */
  check(target: BorgTarget, options: CheckOptions): Promise<CheckOutcome>;
  /** `borg info --json` of one archive: its original size. */
  archiveInfo(target: BorgTarget, archive: string): Promise<ArchiveInfo>;
  /**
   * `borg list --json-lines` of an archive's items under `paths`, with size and sha256 (reads
   * every chunk); `content: false` lists type, path and link target only (metadata, no chunk read).
   */
  listItems(
    target: BorgTarget,
    archive: string,
    options: { paths: string[]; signal?: AbortSignal; content?: boolean },
  ): Promise<ArchiveItem[]>;
  /** `borg key export` to a file (repokey backups; clan never keeps one). */
  exportKey(target: BorgTarget, path: string): Promise<void>;
  /** Processes started so far by this adapter instance. */
  readonly processCount: number;
}
