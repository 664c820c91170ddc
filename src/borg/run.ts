import { constants } from 'node:os';
import { ensureKnownHostsFile } from '../host/known-hosts.js';
import type { Logger } from '../log.js';
import { redactText } from '../log.js';
import { loadExeca } from '../util/execa.js';
import { borgEnvironment, type SshTimeouts } from './env.js';
import { type BorgCommand, BorgError } from './errors.js';
import {
  borgKeysDir,
  committedKeyFile,
  committedKeyMismatched,
  type KeyFileLease,
  nameCommittedKey,
} from './key-file.js';
import { type ArchiveProgress, type LogMessage, parseStderrLine } from './log-json.js';
import { passphraseInput } from './passphrase-input.js';
import { sshLog } from './ssh-log.js';
import type { BorgTarget } from './types.js';

export interface RunContext {
  /** The executable and any prefix (`['borg']`, `['nice', '-n19', 'borg']`). */
  command: readonly [string, ...string[]];
  /** The environment borg starts from (secrets and BORG_RSH/BORG_REPO are dropped from it). */
  env: Readonly<Record<string, string | undefined>>;
  logger: Logger;
  /** Called once per borg process started. */
  started: () => void;
  /** ssh's keepalive and connect timeouts for every rsh (default: a dead link fails in about a minute). */
  ssh?: SshTimeouts;
}

export interface BorgInvocation {
  command: BorgCommand;
  /** Options after the command name (common options are added for targets). */
  options?: readonly string[];
  /** Repository, archive names, paths: placed after `--` so none can be read as an option. */
  positionals?: readonly string[];
  target?: BorgTarget;
  cwd?: string;
  /** Variables set for this process only, over the context's environment. */
  env?: Readonly<Record<string, string>>;
  signal?: AbortSignal;
  onProgress?: (progress: ArchiveProgress) => void;
}

export interface BorgOutcome {
  exitCode: number;
  stdout: string;
  messages: LogMessage[];
  /** stderr lines that were not --log-json (ssh, Python warnings, plain prints). */
  text: string[];
  /** True when `signal` aborted the process (it got SIGINT). */
  aborted: boolean;
  /** What ssh itself said (its -E log): why a connection failed. */
  ssh: string[];
}

// Long enough for borg to write its checkpoint after SIGINT, short enough that a hung borg ends.
const FORCE_KILL_AFTER_MS = 120_000;

// `version` is `borg --version` (its options), the others are borg's subcommands.
function commandWords(command: BorgCommand): string[] {
  return command === 'version' ? [] : command.split(' ');
}

function argvOf(invocation: BorgInvocation): string[] {
  const args = commandWords(invocation.command);
  if (invocation.target !== undefined) {
    args.push('--log-json', '--lock-wait', String(invocation.target.lockWait));
  }
  args.push(...(invocation.options ?? []));
  if (invocation.positionals !== undefined && invocation.positionals.length > 0) {
    args.push('--', ...invocation.positionals);
  }
  return args;
}

/** 128 + N for a process killed by signal N, as a shell reports it. */
function signalExitCode(signal: string | undefined): number | undefined {
  for (const [name, number] of Object.entries(constants.signals)) {
    if (name === signal) return 128 + number;
  }
  return undefined;
}

/** The pinned known_hosts file the target's rsh names, as the declarations say, before ssh reads it. */
async function pinKnownHosts(target: BorgTarget, command: BorgCommand): Promise<void> {
  const { path, content } = target.knownHosts!;
  try {
    await ensureKnownHostsFile(path, content);
  } catch (error: unknown) {
    throw new BorgError(`${target.destination}: cannot write the pinned host keys ${path}`, {
      command,
      failure: 'other',
      destination: target.destination,
      cause: error,
    });
  }
}

/** Runs one borg process; resolves with whatever exit code it had, rejects only if it cannot start. */
export async function runBorg(context: RunContext, invocation: BorgInvocation): Promise<BorgOutcome> {
  const { target } = invocation;
  const input =
    target === undefined
      ? undefined
      : await passphraseInput(target.passphrase, target.destination, invocation.command);
  if (target?.knownHosts !== undefined) await pinKnownHosts(target, invocation.command);
  const env = { ...borgEnvironment(context.env, target, context.ssh), ...invocation.env };
  const keyFile =
    target?.key === undefined
      ? undefined
      : await committedKeyFile(target, invocation.command, borgKeysDir(env, invocation.cwd), context.logger);
  let outcome: BorgOutcome;
  try {
    outcome = await runProcess(context, invocation, input, keyFile);
  } finally {
    await keyFile?.release();
  }
  if (keyFile === undefined || target?.key === undefined) return outcome;
  if (keyFile.localKeys && saidMsgid(outcome, 'KeyfileMismatchError')) {
    // the committed key is another repository's; this host's own key may be the one (a re-init)
    const own = await runProcess(context, invocation, input, undefined);
    if (!saidMsgid(own, 'KeyfileNotFoundError')) {
      committedKeyMismatched(target.key);
      context.logger.warn(
        { destination: target.destination, file: target.key.file },
        'committed borg key is not the repository key',
      );
      return own;
    }
  }
  const named = (text: string) => nameCommittedKey(text, keyFile, target.key!);
  return {
    ...outcome,
    messages: outcome.messages.map((m) => ({ ...m, message: named(m.message) })),
    text: outcome.text.map(named),
  };
}

function saidMsgid(outcome: BorgOutcome, msgid: string): boolean {
  return outcome.messages.some((message) => message.msgid === msgid);
}

async function runProcess(
  context: RunContext,
  invocation: BorgInvocation,
  input: Uint8Array | undefined,
  keyFile: KeyFileLease | undefined,
): Promise<BorgOutcome> {
  const { target } = invocation;
  const destination = target?.destination;
  const [executable, ...prefix] = context.command;
  const args = [...prefix, ...argvOf(invocation)];
  const messages: LogMessage[] = [];
  const text: string[] = [];
  const execa = await loadExeca();

  // An execa line transform that keeps nothing: every stderr line is parsed here instead.
  // biome-ignore lint/correctness/useYield: yielding no line is how an execa transform filters all
  function* onStderrLine(line: unknown): Generator<never, void, unknown> {
    if (typeof line !== 'string') return;
    const parsed = parseStderrLine(line);
    if (parsed.kind === 'log') messages.push(parsed.message);
    else if (parsed.kind === 'text' && parsed.text.trim() !== '') text.push(parsed.text);
    else if (parsed.kind === 'progress') invocation.onProgress?.(parsed.progress);
  }

  context.started();
  context.logger.debug(
    { destination, command: invocation.command, argv: redactText([executable, ...args].join(' ')) },
    'borg started',
  );
  const startedAt = Date.now();
  const log = await sshLog(target);
  const result = await execa(executable, args, {
    reject: false,
    extendEnv: false,
    env: {
      ...borgEnvironment(context.env, target, context.ssh, log?.path),
      ...(keyFile === undefined ? {} : { BORG_KEY_FILE: keyFile.path }),
      ...invocation.env,
    },
    ...(invocation.cwd === undefined ? {} : { cwd: invocation.cwd }),
    // stdin closed: nothing borg or ssh might ask can wait for an answer. fd 3 carries the
    // passphrase file's content (BORG_PASSPHRASE_FD), never argv or the environment.
    stdio:
      input === undefined
        ? ['ignore', 'pipe', { transform: onStderrLine }]
        : ['ignore', 'pipe', { transform: onStderrLine }, input],
    ...(invocation.signal === undefined
      ? {}
      : { cancelSignal: invocation.signal, killSignal: 'SIGINT', forceKillAfterDelay: FORCE_KILL_AFTER_MS }),
    stripFinalNewline: false,
    maxBuffer: 1024 * 1024 * 1024,
  });

  const ssh = (await log?.collect()) ?? [];
  const aborted = result.isCanceled === true;
  // A stream error on fd 3 (borg exits without reading an unneeded passphrase) leaves `failed`
  // set although the exit code is real, so the exit code is what counts.
  const exitCode = result.exitCode ?? signalExitCode(result.signal) ?? (aborted ? 130 : undefined);
  context.logger.debug(
    { destination, command: invocation.command, exitCode, aborted, durationMs: Date.now() - startedAt },
    'borg finished',
  );
  if (exitCode === undefined) {
    throw new BorgError(
      `${destination ?? 'borg'}: could not run ${executable} (${result.code ?? 'unknown'})`,
      {
        command: invocation.command,
        failure: 'other',
        ...(destination === undefined ? {} : { destination }),
        cause: result.cause,
      },
    );
  }
  return { exitCode, stdout: String(result.stdout ?? ''), messages, text, aborted, ssh };
}
