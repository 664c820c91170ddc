import type { Borg } from '../../src/borg/types.js';
import { parseJobKey } from '../../src/desired/jobs.js';
import { errorMessage } from '../../src/errors.js';
import type { HostPaths } from '../../src/host/paths.js';
import { readScheduleTable, recordRun, type ScheduleTable } from '../../src/host/schedulers/embedded.js';
import { keyOf } from '../../src/host/schedulers/types.js';
import type { Logger } from '../../src/log.js';
import { nextRun } from '../../src/schedule/due.js';
import { compareStrings } from '../../src/util/compare.js';
import { createWaker } from '../../src/util/sleep.js';
import { type BackupRun, createBackups, runSucceeded } from '../operations/backups-create.js';
import { runCheck } from '../operations/check.js';
import { runDrill } from '../operations/drill.js';
import type { VerificationRun } from '../operations/verification.js';

export interface EmbeddedSchedulerOptions {
  paths: HostPaths;
  machine: string;
  borg: Borg;
  logger: Logger;
  signal: AbortSignal;
  now?: () => Date;
  /** Longest sleep between looks at the table (it changes when apply installs or removes jobs). */
  maxSleepMs?: number;
  onRun?: (destination: string, run: BackupRun | undefined, error?: string) => void;
  /** A scheduled check or drill finished (its results are in runs.json too). */
  onVerification?: (run: VerificationRun) => void;
}

export interface EmbeddedSchedulerLoop {
  /** Look at the table again now (after an apply changed it). */
  poke(): void;
  done: Promise<void>;
}

/** What every scheduled job runs with: this agent's machine, borg, clock and stop signal. */
function jobContext(options: EmbeddedSchedulerOptions, clock: () => Date, destination: string) {
  const { paths, logger, signal } = options;
  return { paths, borg: options.borg, logger, machine: options.machine, destination, signal, now: clock };
}

/** A scheduled check or drill, run in this process like `borgops check`/`borgops drill` (results in runs.json). */
async function runVerification(
  options: EmbeddedSchedulerOptions,
  clock: () => Date,
  key: string,
): Promise<void> {
  const { logger } = options;
  const { kind, destination } = parseJobKey(key);
  const common = {
    ...jobContext(options, clock, destination),
    // a backup of this machine (a systemd job, a `backups create`) holds the lock: wait for it
    onWait: (holder: string) =>
      logger.info({ destination, kind, holder }, `scheduled ${kind} waits for the backups lock`),
  };
  const run =
    kind === 'drill'
      ? await runDrill(common)
      : await runCheck({ ...common, verifyData: kind === 'verify-data' });
  (run.ok ? logger.info.bind(logger) : logger.warn.bind(logger))(
    { destination, kind, ok: run.ok, failure: run.results[0]?.failure?.class },
    `scheduled ${kind} finished`,
  );
  options.onVerification?.(run);
}

/**
 * Runs the embedded schedule table's jobs when they are due (the staggered calendar, with
 * systemd's Persistent=true catch-up after downtime). Jobs run one after another: a backup run
 * holds the state directory's backup lock, so two never touch one repository at once.
 */
export function startEmbeddedScheduler(options: EmbeddedSchedulerOptions): EmbeddedSchedulerLoop {
  const { paths, logger, signal } = options;
  const clock = options.now ?? (() => new Date());
  const waker = createWaker();

  async function runJob(key: string, lastRun: string | null): Promise<void> {
    const startedAt = clock();
    const { kind, destination } = parseJobKey(key);
    // record the start, as systemd does for a Persistent= timer: a crash mid-run is not re-run at once;
    // a claim against the last run seen, so a slot another process already started is not run again
    if (!(await recordRun(paths.schedule, key, startedAt, lastRun))) {
      logger.info(
        { destination, kind },
        `scheduled ${kind} skipped: another process already started this slot`,
      );
      return;
    }
    if (kind !== 'backup') {
      logger.info({ destination, kind }, `scheduled ${kind} starting`);
      try {
        await runVerification(options, clock, key);
      } catch (error: unknown) {
        logger.error({ destination, kind, err: errorMessage(error) }, `scheduled ${kind} failed`);
      }
      return;
    }
    logger.info({ destination }, 'scheduled backup starting');
    try {
      const run = await createBackups(jobContext(options, clock, destination));
      const ok = runSucceeded(run);
      (ok ? logger.info.bind(logger) : logger.warn.bind(logger))(
        { destination, ok, durationSeconds: run.durationSeconds, archive: run.destinations[0]?.archive },
        'scheduled backup finished',
      );
      options.onRun?.(destination, run);
    } catch (error: unknown) {
      logger.error({ destination, err: errorMessage(error) }, 'scheduled backup failed');
      options.onRun?.(destination, undefined, errorMessage(error));
    }
  }

  /** The table, or no jobs this round when it cannot be read (logged: the agent keeps serving). */
  async function readTable(): Promise<ScheduleTable> {
    try {
      return await readScheduleTable(paths.schedule);
    } catch (error: unknown) {
      logger.error({ err: errorMessage(error) }, 'cannot read the schedule table; no scheduled backups run');
      return { version: 1, jobs: {} };
    }
  }

  async function loop(): Promise<void> {
    while (!signal.aborted) {
      const table = await readTable();
      const now = clock();
      let earliest = Number.POSITIVE_INFINITY;
      const due: { key: string; lastRun: string | null }[] = [];
      for (const job of Object.values(table.jobs)) {
        const next = nextRun(
          {
            startAt: job.startAt,
            staggerSeconds: job.staggerSeconds,
            ...(job.lastRun === undefined ? {} : { lastRun: job.lastRun }),
            ...(job.installedAt === undefined ? {} : { since: job.installedAt }),
          },
          now,
        );
        if (!next.ok) continue;
        if (next.due) due.push({ key: keyOf(job), lastRun: job.lastRun ?? null });
        else earliest = Math.min(earliest, next.at.getTime());
      }
      // backups first: a check or drill due at the same time then verifies the fresh archive
      const order = (key: string) => `${parseJobKey(key).kind === 'backup' ? 0 : 1}${key}`;
      for (const { key, lastRun } of due.sort((a, b) => compareStrings(order(a.key), order(b.key)))) {
        if (signal.aborted) break;
        await runJob(key, lastRun);
      }
      if (due.length > 0) continue;
      await waker.sleep(Math.min(options.maxSleepMs ?? 60_000, earliest - clock().getTime()), signal);
    }
  }

  const done = loop().catch((error: unknown) => {
    logger.error({ err: errorMessage(error) }, 'embedded scheduler stopped');
  });
  return { poke: () => waker.wake(), done };
}
