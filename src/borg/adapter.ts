import type { EncryptionMode } from '../config/model.js';
import { BorgopsError } from '../errors.js';
import { locateExecutable } from '../host/executable.js';
import { type Logger, silentLogger } from '../log.js';
import { diagnose, exitKind } from './classify.js';
import {
  assertArchiveName,
  assertPaths,
  createOptions,
  parseCreateOutput,
  toCreateProgress,
} from './create.js';
import { findDirectStart } from './direct-start.js';
import type { SshTimeouts } from './env.js';
import { type BorgCommand, BorgError, FAILURE_TEXT, isBorgError } from './errors.js';
import { ITEM_FORMAT, parseArchiveInfo, parseItems, SHAPE_FORMAT } from './items.js';
import { observation } from './list.js';
import { type BorgInvocation, type BorgOutcome, type RunContext, runBorg } from './run.js';
import type {
  ArchiveInfo,
  ArchiveItem,
  Borg,
  BorgTarget,
  BorgVersion,
  CheckOptions,
  CheckOutcome,
  CreateOptions,
  CreateResult,
  ExtractOptions,
  RepositoryObservation,
} from './types.js';
import { parseVersion, readVersionCache, unsupportedVersion, writeVersionCache } from './version.js';

export interface BorgAdapterOptions {
  /** The borg executable and any prefix, e.g. `['nice', '-n19', 'borg']` (default `['borg']`). */
  command?: readonly [string, ...string[]];
  /** The environment borg starts from (default: this process's, read at each start). */
  env?: Readonly<Record<string, string | undefined>>;
  logger?: Logger;
  /** ssh timeouts added to every rsh (default sshTimeouts(): ServerAliveInterval=15, CountMax=4, ConnectTimeout=20). */
  ssh?: SshTimeouts;
  /**
   * Ask `borg --version` once, before the first command that touches a repository, and refuse
   * a borg this code was not written for (borg 2 changed the command line and the repository).
   */
  checkVersion?: boolean;
  /**
   * A file remembering the version checkVersion read, keyed by the borg executable's real path,
   * inode, size and change time: each borgops command then starts no `borg --version` (~0.3 s of
   * Python start-up) until another borg is installed. Used only with a plain `command` of one word.
   * With checkVersion, it also remembers whether borg starts the same without its console-script
   * wrapper (src/borg/direct-start.ts), and every borg process is then started that way.
   */
  versionCache?: string;
}

// Modes whose key is encrypted with the passphrase; `none` would silently mean an empty one.
const ENCRYPTED: ReadonlySet<EncryptionMode> = new Set([
  'repokey',
  'repokey-blake2',
  'keyfile',
  'keyfile-blake2',
]);

/** borg's shell pattern for clan's archive time `YYYY-MM-DDTHH:MM:SS`. */
const ARCHIVE_TIME_GLOB = '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]';

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// Linux allows 2 MiB of argv + environment; stay far below so a large prune never hits E2BIG.
const DELETE_BATCH_BYTES = 64 * 1024;

/** Splits archive names into as few `borg delete` calls as fit the argv limit (one, in practice). */
export function deleteBatches(archives: readonly string[]): string[][] {
  const batches: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const name of archives) {
    if (current.length > 0 && bytes + name.length + 1 > DELETE_BATCH_BYTES) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(name);
    bytes += name.length + 1;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

function failure(target: BorgTarget, command: BorgCommand, outcome: BorgOutcome): BorgError {
  if (outcome.aborted) {
    return new BorgError(`${target.destination}: borg ${command} aborted`, {
      command,
      failure: 'aborted',
      destination: target.destination,
      exitCode: outcome.exitCode,
    });
  }
  const diagnosis = diagnose(outcome.exitCode, outcome.messages, outcome.text, outcome.ssh);
  return new BorgError(`${target.destination}: ${FAILURE_TEXT[diagnosis.failure]}: ${diagnosis.message}`, {
    command,
    failure: diagnosis.failure,
    destination: target.destination,
    exitCode: outcome.exitCode,
    details: diagnosis.details,
    ...(diagnosis.msgid === undefined ? {} : { msgid: diagnosis.msgid }),
  });
}

function warningsOf(outcome: BorgOutcome): string[] {
  if (exitKind(outcome.exitCode) !== 'warning') return [];
  const warnings = outcome.messages.filter((m) => m.levelname === 'WARNING').map((m) => m.message);
  return warnings.length > 0 ? warnings : [`borg exited with warnings (exit code ${outcome.exitCode})`];
}

/** The installed borg: its version, and the argv that starts it. */
interface Installed {
  version: BorgVersion;
  command: RunContext['command'];
}

/** The borg CLI behind the `Borg` contract: one process per call, argv arrays, no shell. */
export function createBorg(options: BorgAdapterOptions = {}): Borg {
  const logger = options.logger ?? silentLogger();
  let processCount = 0;
  let installed: Promise<Installed> | undefined;
  const context: RunContext = {
    command: options.command ?? ['borg'],
    get env() {
      return options.env ?? process.env;
    },
    logger,
    started: () => {
      processCount += 1;
    },
    ...(options.ssh === undefined ? {} : { ssh: options.ssh }),
  };

  /** Runs borg and throws a classified BorgError unless it succeeded or only warned. */
  async function succeed(target: BorgTarget, invocation: BorgInvocation): Promise<BorgOutcome> {
    const outcome = await run({ ...invocation, target });
    if (outcome.aborted || exitKind(outcome.exitCode) === 'error') {
      throw failure(target, invocation.command, outcome);
    }
    const warnings = warningsOf(outcome);
    if (warnings.length > 0) {
      logger.warn(
        { destination: target.destination, command: invocation.command, warnings },
        'borg finished with warnings',
      );
    }
    return outcome;
  }

  /** `borg --version` of borg started by `command`, and the version it printed. */
  async function versionOf(
    command: RunContext['command'],
  ): Promise<{ outcome: BorgOutcome; parsed: BorgVersion | undefined }> {
    // not counted in processCount: that counts the processes that touch repositories
    const outcome = await runBorg(
      { ...context, command, env: context.env, started: () => undefined },
      { command: 'version', options: ['--version'] },
    );
    return { outcome, parsed: outcome.exitCode === 0 ? parseVersion(outcome.stdout) : undefined };
  }

  async function readVersion(): Promise<BorgVersion> {
    const { outcome, parsed } = await versionOf(context.command);
    if (parsed === undefined) {
      throw new BorgError(`borg --version failed (exit code ${outcome.exitCode})`, {
        command: 'version',
        failure: 'other',
        exitCode: outcome.exitCode,
      });
    }
    return parsed;
  }

  /**
   * The installed borg's version, and how to start it: readVersion, or what the cache file
   * remembers for the borg installed now; without its wrapper when that printed the same version.
   */
  async function rememberedInstall(): Promise<Installed> {
    const file = options.versionCache;
    const command = context.command;
    const borg =
      file === undefined || command.length !== 1
        ? undefined
        : await locateExecutable(command[0], context.env.PATH);
    if (file === undefined || borg === undefined) return { version: await readVersion(), command };
    const [known, direct] = await Promise.all([
      readVersionCache(file, borg.fingerprint),
      findDirectStart(borg),
    ]);
    let version = known?.version;
    if (version === undefined) {
      version = await readVersion();
      // a cache that cannot be written (no state directory yet, a read-only one) would make every
      // command ask both forms again: borg keeps its wrapper, one `--version` per command as before
      if (!(await writeVersionCache(file, { fingerprint: borg.fingerprint, version })))
        return { version, command };
    }
    if (direct === undefined) return { version, command };
    let ok = known?.direct?.interpreter === direct.interpreter && known.direct.ok;
    // not asked yet, or another interpreter behind the wrapper: ask (and remember)
    if (known?.direct?.interpreter !== direct.interpreter) {
      ok = (await versionOf(direct.command)).parsed?.text === version.text;
      await writeVersionCache(file, {
        fingerprint: borg.fingerprint,
        version,
        direct: { interpreter: direct.interpreter, ok },
      });
      if (!ok)
        logger.debug(
          { command: direct.command[0] },
          'borg without its wrapper did not start the same: kept the wrapper',
        );
    }
    return { version, command: ok ? direct.command : command };
  }

  function cachedInstall(): Promise<Installed> {
    installed ??= rememberedInstall().catch((error: unknown) => {
      installed = undefined;
      throw error;
    });
    return installed;
  }

  async function supported(): Promise<void> {
    if (options.checkVersion !== true) return;
    const problem = unsupportedVersion((await cachedInstall()).version);
    if (problem !== undefined) throw new BorgopsError('E_BORG', problem);
  }

  /** runBorg with the command the installed borg starts with (its wrapper, or without it). */
  async function run(invocation: BorgInvocation): Promise<BorgOutcome> {
    // without checkVersion no version is asked, and so borg starts as it is
    const command = options.checkVersion === true ? (await cachedInstall()).command : context.command;
    return runBorg({ ...context, env: context.env, command }, invocation);
  }

  async function list(target: BorgTarget): Promise<RepositoryObservation> {
    // outside the try: an unsupported borg fails the command once, not each destination
    await supported();
    try {
      const outcome = await run({
        command: 'list',
        target,
        // checkpoints too (borg 1.2 hides them): retention deletes this machine's leftovers, as
        // `borg prune` does; ownArchives never counts them
        options: ['--json', '--consider-checkpoints'],
        positionals: [target.repo],
        // borg prints local times without an offset; in UTC each start is an instant.
        env: { TZ: 'UTC' },
      });
      return await observation(target, outcome);
    } catch (error: unknown) {
      if (!isBorgError(error)) throw error;
      const reason = error.failure === 'missing' || error.failure === 'aborted' ? 'other' : error.failure;
      return { state: 'failed', failure: reason, message: error.shortMessage };
    }
  }

  async function create(target: BorgTarget, archive: string, create: CreateOptions): Promise<CreateResult> {
    await supported();
    assertArchiveName(archive);
    assertPaths(create.paths, `${target.destination}: borg create`);
    const { onProgress } = create;
    const outcome = await succeed(target, {
      command: 'create',
      options: createOptions(create),
      positionals: [`${target.repo}::${archive}`, ...create.paths],
      cwd: create.cwd,
      // borg prints the archive's start in local time without an offset; in UTC it is an
      // instant, the same `borg list` gives retention (the name is borgops's, not borg's {now})
      env: { TZ: 'UTC' },
      ...(create.signal === undefined ? {} : { signal: create.signal }),
      ...(onProgress === undefined
        ? {}
        : {
            onProgress: (event) => {
              const progress = toCreateProgress(event);
              if (progress !== undefined) onProgress(progress);
            },
          }),
    });
    return { warnings: warningsOf(outcome), ...parseCreateOutput(outcome.stdout, true) };
  }

  async function extract(target: BorgTarget, archive: string, extract: ExtractOptions) {
    await supported();
    assertArchiveName(archive);
    assertPaths(extract.paths, `${target.destination}: borg extract`);
    const outcome = await succeed(target, {
      command: 'extract',
      options: extract.dryRun === true ? ['--dry-run'] : [],
      positionals: [`${target.repo}::${archive}`, ...extract.paths],
      cwd: extract.cwd,
      ...(extract.signal === undefined ? {} : { signal: extract.signal }),
    });
    return { warnings: warningsOf(outcome) };
  }

  async function check(target: BorgTarget, options: CheckOptions): Promise<CheckOutcome> {
    assertArchiveName(`${options.archivePrefix}x`);
    const outcome = await run({
      command: 'check',
      target,
      // exactly `<prefix><YYYY-MM-DDTHH:MM:SS>`: never another machine's, never a `.failed` leftover
      options: [
        '--glob-archives',
        `${options.archivePrefix}${ARCHIVE_TIME_GLOB}`,
        ...(options.verifyData ? ['--verify-data'] : []),
      ],
      positionals: [target.repo],
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    if (outcome.exitCode === 0 && !outcome.aborted) return { ok: true, problems: [] };
    if (outcome.aborted) throw failure(target, 'check', outcome);
    // a repository borg could not open is a failure of its own (lock, passphrase, ssh, missing)
    const diagnosis = diagnose(outcome.exitCode, outcome.messages, outcome.text, outcome.ssh);
    if (diagnosis.failure !== 'other') throw failure(target, 'check', outcome);
    const problems = [
      ...outcome.messages
        .filter((m) => m.levelname === 'ERROR' || m.levelname === 'CRITICAL')
        .map((m) => m.message),
      ...outcome.text,
    ].filter((line) => line.trim() !== '');
    return {
      ok: false,
      problems: problems.length > 0 ? problems : [`borg check exited with code ${outcome.exitCode}`],
    };
  }

  async function archiveInfo(target: BorgTarget, archive: string): Promise<ArchiveInfo> {
    assertArchiveName(archive);
    const outcome = await succeed(target, {
      command: 'info',
      options: ['--json'],
      positionals: [`${target.repo}::${archive}`],
    });
    const info = parseArchiveInfo(outcome.stdout);
    if (info === undefined) {
      throw new BorgError(`${target.destination}: borg info printed no archive`, {
        command: 'info',
        failure: 'other',
        destination: target.destination,
      });
    }
    return info;
  }

  async function listItems(
    target: BorgTarget,
    archive: string,
    options: { paths: string[]; signal?: AbortSignal; content?: boolean },
  ): Promise<ArchiveItem[]> {
    assertArchiveName(archive);
    assertPaths(options.paths, `${target.destination}: borg list`);
    const outcome = await succeed(target, {
      command: 'list',
      options: ['--json-lines', '--format', options.content === false ? SHAPE_FORMAT : ITEM_FORMAT],
      positionals: [`${target.repo}::${archive}`, ...options.paths],
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    try {
      return parseItems(outcome.stdout);
    } catch (error: unknown) {
      throw new BorgError(`${target.destination}: ${errorText(error)}`, {
        command: 'list',
        failure: 'other',
        destination: target.destination,
      });
    }
  }

  async function deleteArchives(target: BorgTarget, archives: readonly string[]): Promise<void> {
    for (const name of archives) assertArchiveName(name);
    await supported();
    // Never `borg delete REPO` alone: that is the whole repository (and BORG_DELETE_… refuses it).
    for (const batch of deleteBatches([...new Set(archives)])) {
      await succeed(target, { command: 'delete', positionals: [target.repo, ...batch] });
    }
  }

  return {
    version: async () => (await cachedInstall()).version,
    list,
    async init(target: BorgTarget, encryption: EncryptionMode) {
      if (ENCRYPTED.has(encryption) && target.passphrase.kind === 'none') {
        throw new BorgopsError('E_USAGE', `${target.destination}: ${encryption} needs a passphrase`);
      }
      await supported();
      // No --make-parent-dirs: an unmounted backup disk must fail, not get a repository on /.
      await succeed(target, {
        command: 'init',
        options: ['--encryption', encryption],
        positionals: [target.repo],
      });
    },
    create,
    async rename(target: BorgTarget, from: string, to: string) {
      assertArchiveName(from);
      assertArchiveName(to);
      await supported();
      await succeed(target, { command: 'rename', positionals: [`${target.repo}::${from}`, to] });
    },
    deleteArchives,
    async compact(target: BorgTarget) {
      await supported();
      await succeed(target, { command: 'compact', positionals: [target.repo] });
    },
    extract,
    check,
    archiveInfo,
    listItems,
    async exportKey(target: BorgTarget, path: string) {
      await supported();
      await succeed(target, { command: 'key export', positionals: [target.repo, path] });
    },
    get processCount() {
      return processCount;
    },
  };
}
