import { isBorgError } from '../../src/borg/errors.js';
import type { Borg } from '../../src/borg/types.js';
import type { DesiredDestination, DesiredMachine } from '../../src/desired/types.js';
import { BorgopsError } from '../../src/errors.js';
import { waitForLock } from '../../src/host/lock.js';
import type { HostPaths } from '../../src/host/paths.js';
import { borgTarget } from '../../src/host/targets.js';
import type { Logger } from '../../src/log.js';
import type { Notifier } from '../../src/notify/notifier.js';
import { appliedMachine, findDestination } from './applied-machine.js';
import { countingNotifier } from './backup-notify.js';
import { failureOf } from './failure.js';
import { outcomeOf, verificationMessage } from './notify-verification.js';
import {
  recordVerification,
  type VerificationKind,
  type VerificationResult,
  type VerificationRun,
} from './verification.js';

export interface VerifyOptions {
  paths: HostPaths;
  borg: Borg;
  logger: Logger;
  /** Default: the machine the declarations were applied for. */
  machine?: string;
  /** Only this destination (what a scheduled job runs); default all. */
  destination?: string;
  signal?: AbortSignal;
  now?: () => Date;
  /** Another backup, check, drill or restore holds the lock: this one waits for it. */
  onWait?: (message: string) => void;
  /** Each destination's result as soon as it is recorded (notifications, progress). */
  onResult?: (result: VerificationResult) => void;
}

export interface CheckOptions extends VerifyOptions {
  /** `borg check --verify-data`: read and decrypt every chunk. */
  verifyData: boolean;
}

/** borg reports damage it read as an IntegrityError (a corrupted segment, a chunk whose MAC fails). */
export function isCorruption(error: unknown): boolean {
  if (!isBorgError(error)) return false;
  return (
    error.msgid?.includes('IntegrityError') === true ||
    /integrity error|checksum mismatch/i.test([error.shortMessage, ...error.details].join('\n'))
  );
}

/** The destinations a check or drill covers: the one named, or every declared one. */
export function destinationsFor(
  desired: Parameters<typeof findDestination>[0],
  name: string | undefined,
): DesiredDestination[] {
  const destinations = name === undefined ? desired.destinations : [findDestination(desired, name)];
  if (destinations.length === 0) {
    throw new BorgopsError(
      'E_USAGE',
      `machine ${desired.machine} has nothing to verify: it declares ${desired.states.length === 0 ? 'no state' : 'no destination'}`,
    );
  }
  return destinations;
}

async function checkDestination(
  options: CheckOptions,
  machine: string,
  destination: DesiredDestination,
): Promise<VerificationResult> {
  const clock = options.now ?? (() => new Date());
  const started = clock();
  const base = {
    kind: 'check' as const,
    machine,
    destination: destination.name,
    repo: destination.repo,
    startedAt: started.toISOString(),
    verifyData: options.verifyData,
  };
  const seconds = () => (clock().getTime() - started.getTime()) / 1000;
  try {
    const outcome = await options.borg.check(borgTarget(destination, options.paths), {
      archivePrefix: destination.archivePrefix,
      verifyData: options.verifyData,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    if (outcome.ok) return { ...base, ok: true, problems: [], durationSeconds: seconds() };
    return {
      ...base,
      ok: false,
      problems: outcome.problems,
      durationSeconds: seconds(),
      failure: {
        class: 'corrupt',
        message: `${destination.name}: borg check found problems: ${outcome.problems.slice(0, 3).join('; ')}`,
      },
    };
  } catch (error: unknown) {
    const failure = failureOf(error);
    return {
      ...base,
      ok: false,
      durationSeconds: seconds(),
      failure: { class: isCorruption(error) ? 'corrupt' : failure.failure, message: failure.message },
    };
  }
}

/**
 * What check and drill share: the declarations last applied, the destinations asked for, the
 * backups lock (so neither runs while a backup of this machine does), then each destination in
 * turn, its result recorded in runs.json as soon as it is known. `start` runs before the lock is
 * taken (a usage error fails at once) and returns the check of one destination.
 */
export async function runVerification(
  kind: VerificationKind,
  options: VerifyOptions,
  start: (desired: DesiredMachine) => (destination: DesiredDestination) => Promise<VerificationResult>,
): Promise<VerificationRun> {
  const { paths, signal } = options;
  const { desired, commit } = await appliedMachine(paths, options.machine);
  const destinations = destinationsFor(desired, options.destination);
  const verify = start(desired);
  // receivers hear in the background, each result when it is known; the lock is not held for them
  const notifier = countingNotifier(paths, desired.receivers, options.logger);
  let lock: Awaited<ReturnType<typeof waitForLock>> | undefined;
  try {
    lock = await waitForLock(paths.backupLock, `${kind} ${desired.machine}`, {
      ...(signal === undefined ? {} : { signal }),
      ...(options.onWait === undefined ? {} : { onWait: options.onWait }),
    });
    const run = await verifyEach(kind, options, { desired, commit, destinations, verify, notifier });
    await lock.release();
    lock = undefined;
    return { ...run, notifications: await notifier.settle() };
  } finally {
    await lock?.release();
    await notifier.settle();
  }
}

async function verifyEach(
  kind: VerificationKind,
  options: VerifyOptions,
  context: {
    desired: DesiredMachine;
    commit: string | undefined;
    destinations: readonly DesiredDestination[];
    verify: (destination: DesiredDestination) => Promise<VerificationResult>;
    notifier: Notifier;
  },
): Promise<Omit<VerificationRun, 'notifications'>> {
  const { paths, signal } = options;
  const { desired, commit, destinations, verify, notifier } = context;
  const results: VerificationResult[] = [];
  for (const destination of destinations) {
    if (signal?.aborted) break;
    const result = await verify(destination);
    const before = await recordVerification(paths.runs, result);
    options.logger.info(
      { destination: destination.name, ok: result.ok, failure: result.failure?.class, files: result.files },
      `${kind} finished`,
    );
    notifier.send(
      verificationMessage(
        {
          machine: desired.machine,
          receivers: desired.receivers,
          ...(commit === undefined ? {} : { commit }),
        },
        outcomeOf(desired.machine, result, before),
      ),
    );
    options.onResult?.(result);
    results.push(result);
  }
  const interrupted = signal?.aborted === true;
  return {
    kind,
    machine: desired.machine,
    ...(commit === undefined ? {} : { commit }),
    ok: !interrupted && results.length === destinations.length && results.every((r) => r.ok),
    interrupted,
    results,
  };
}

/**
 * `borgops check`: `borg check` of each destination's repository and of this machine's archives
 * there only (`--glob-archives '<machine>-<destination>-<time>'`), with `--verify-data` when
 * asked. Holds the backups lock, so it never runs while a backup of this machine does.
 */
export function runCheck(options: CheckOptions): Promise<VerificationRun> {
  return runVerification(
    'check',
    options,
    (desired) => (destination) => checkDestination(options, desired.machine, destination),
  );
}
