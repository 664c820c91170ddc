import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Borg } from '../../../src/borg/types.js';
import { BorgopsError, isBorgopsError } from '../../../src/errors.js';
import type { VerifyOptions } from '../../../src/git/verify.js';
import { hostFsError } from '../../../src/host/fs-error.js';
import { acquireLock, type Lock } from '../../../src/host/lock.js';
import type { HostPaths } from '../../../src/host/paths.js';
import type { Logger } from '../../../src/log.js';
import { type AgentHttp, startHttp } from '../../agent/http.js';
import { type ReconcileOutcome, startWatch } from '../../agent/loop.js';
import { type EmbeddedSchedulerLoop, startEmbeddedScheduler } from '../../agent/schedule.js';
import { machineHealth } from '../../operations/status.js';
import type { Counters } from '../../render/metrics.js';
import { addConvergeOptions, allowedGuards, convergeContext, schedulerFlag } from '../context.js';
import { durationFlag } from '../duration.js';
import type { Io } from '../io.js';
import type { GlobalOptions } from '../options.js';

interface WatchFlags {
  refresh: boolean;
  scheduler?: string;
  interval: string;
  driftInterval: string;
  listen?: string;
  webhookSecretFile?: string;
  verifySignatures: boolean;
  allowedSigners?: string;
  gpgHome?: string;
  allowLargePrune: boolean;
  allowPruneAll: boolean;
  allowRemoveAll: boolean;
}

/** `watch` and its own flags (the converge options are added by the caller). */
function watchCommand(program: Command): Command {
  return program
    .command('watch')
    .description(
      'converge continuously: follow --ref of --source (a local repository or a URL), correct drift, serve health',
    )
    .option(
      '--interval <duration>',
      'fetch a remote source (or re-read a local one) this often, with jitter (30s, 5m, 1h; a number is seconds)',
      '60',
    )
    .option(
      '--drift-interval <duration>',
      're-observe and correct drift this often even without a new commit (5m, 1h; a number is seconds; 0: off)',
      '300',
    )
    .option('--listen <host:port>', 'serve /healthz, /status, /metrics and POST /hooks/push (off by default)')
    .option(
      '--webhook-secret-file <file>',
      'the HMAC secret push webhooks are signed with (GitHub, Gitea, GitLab token)',
    )
    .option('--verify-signatures', 'apply only commits signed by an allowed key', false)
    .option('--allowed-signers <file>', "git's SSH allowed_signers file for --verify-signatures")
    .option('--gpg-home <dir>', 'a GnuPG home whose keyring holds the allowed keys, for --verify-signatures')
    .option(
      '--allow-large-prune',
      "allow retention to prune more than half of a destination's archives",
      false,
    )
    .option('--allow-prune-all', 'allow retention to prune every archive of a destination', false)
    .option('--allow-remove-all', 'allow removing every state or destination of this machine', false);
}

/** The webhook secret; a missing or unreadable file is one line naming it (never its content). */
async function readSecretFile(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error: unknown) {
    throw hostFsError('read --webhook-secret-file', path, error);
  }
}

function verifyOptions(flags: WatchFlags): { verify?: VerifyOptions } {
  if (!flags.verifySignatures) return {};
  return {
    verify: {
      ...(flags.allowedSigners ? { allowedSigners: flags.allowedSigners } : {}),
      ...(flags.gpgHome ? { gpgHome: flags.gpgHome } : {}),
    },
  };
}

/** One agent per state directory: a second would run every scheduled backup again. */
async function acquireAgentLock(paths: HostPaths, machine: string): Promise<Lock> {
  return acquireLock(paths.agentLock, `watch ${machine}`).catch((error: unknown) => {
    if (!isBorgopsError(error, 'E_LOCK')) throw error;
    throw new BorgopsError('E_LOCK', `another watch agent runs on ${paths.stateDir}: ${error.shortMessage}`);
  });
}

interface Agent {
  flags: WatchFlags;
  options: GlobalOptions;
  logger: Logger;
  borg: Borg;
  io: Io;
  webhookSecret: string | undefined;
  signal: AbortSignal;
}

/** The HTTP listener, the GitOps loop and the embedded scheduler, until the signal aborts. */
async function runAgent(agent: Agent): Promise<void> {
  const { flags, options, logger, borg, io, webhookSecret, signal } = agent;
  const paths = options.paths;
  const counters: Counters = { reconciles: {} };
  // bound first: a watch that cannot serve its health endpoints exits 1 before converging
  // anything, instead of running unobserved
  const trigger: { push?: () => void } = {};
  let http: AgentHttp | undefined;
  if (flags.listen !== undefined) {
    http = await startHttp({
      listen: flags.listen,
      report: () => machineHealth(paths, options.machine, new Date(), { recordServed: true }),
      counters: () => counters,
      onPush: () => trigger.push?.(),
      ...(webhookSecret === undefined ? {} : { webhookSecret }),
      logger,
    });
    logger.info({ address: `${http.address.host}:${http.address.port}` }, 'listening');
    io.err(`borgops watch: listening on http://${http.address.host}:${http.address.port}\n`);
  }
  try {
    // started once the source opened (a bad --source must not leave a scheduler running)
    const embedded: { loop?: EmbeddedSchedulerLoop } = {};
    const loop = await startWatch({
      ...options,
      refresh: flags.refresh,
      ...schedulerFlag(flags.scheduler),
      logger,
      borg,
      allow: allowedGuards(flags),
      intervalSeconds: durationFlag(flags.interval, '--interval'),
      driftSeconds: durationFlag(flags.driftInterval, '--drift-interval'),
      ...verifyOptions(flags),
      signal,
      onReconcile: (outcome: ReconcileOutcome) => {
        if (outcome.result !== 'unchanged')
          counters.reconciles[outcome.result] = (counters.reconciles[outcome.result] ?? 0) + 1;
        if (outcome.actions > 0) embedded.loop?.poke();
      },
    });
    // the embedded backend's jobs; with systemd timers the table is empty and this only sleeps
    const schedules = startEmbeddedScheduler({ paths, machine: options.machine, borg, logger, signal });
    embedded.loop = schedules;
    trigger.push = () => loop.trigger('webhook');
    await Promise.all([loop.done, schedules.done]);
  } finally {
    await http?.close();
  }
}

/** The signature flags go together: a keyring without --verify-signatures would be silently ignored. */
function checkSignatureFlags(flags: WatchFlags): void {
  if (flags.verifySignatures && flags.allowedSigners === undefined && flags.gpgHome === undefined) {
    throw new BorgopsError('E_USAGE', '--verify-signatures needs --allowed-signers FILE or --gpg-home DIR');
  }
  if (flags.verifySignatures) return;
  const alone =
    flags.allowedSigners !== undefined
      ? '--allowed-signers'
      : flags.gpgHome !== undefined
        ? '--gpg-home'
        : undefined;
  if (alone !== undefined)
    throw new BorgopsError(
      'E_USAGE',
      `${alone} only applies with --verify-signatures; add --verify-signatures to apply only signed commits, or drop ${alone}`,
    );
}

/** Checks the flags, takes the agent lock and runs the agent until SIGTERM or SIGINT. */
async function runWatch(flags: WatchFlags, command: Command, io: Io): Promise<void> {
  checkSignatureFlags(flags);
  const { options, logger, borg } = await convergeContext(command);
  const webhookSecret =
    flags.webhookSecretFile === undefined ? undefined : await readSecretFile(flags.webhookSecretFile);
  // an empty HMAC key is a key everyone has
  if (webhookSecret === '')
    throw new BorgopsError(
      'E_USAGE',
      `--webhook-secret-file ${flags.webhookSecretFile} is empty; refusing an empty secret`,
    );
  const agentLock = await acquireAgentLock(options.paths, options.machine);
  const controller = new AbortController();
  const stop = (signal: string) => {
    if (controller.signal.aborted) return;
    logger.info({ signal }, 'stopping: finishing the current step');
    controller.abort();
  };
  // `on`, not `once`: with none of ours left, execa's signal handler re-raises the signal and
  // kills the agent in the middle of a backup, before its post-backup scripts run
  const onTerm = () => stop('SIGTERM');
  const onInt = () => stop('SIGINT');
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  try {
    await runAgent({ flags, options, logger, borg, io, webhookSecret, signal: controller.signal });
  } finally {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
    await agentLock.release();
  }
}

export function registerWatch(program: Command, io: Io, setExit: (code: number) => void): void {
  addConvergeOptions(watchCommand(program)).action(async (flags: WatchFlags, command: Command) => {
    await runWatch(flags, command, io);
    setExit(0);
  });
}
