import { readLedger } from '../../src/host/ledger.js';
import type { HostPaths } from '../../src/host/paths.js';
import { staggeredCalendar } from '../../src/host/schedulers/calendar.js';
import { readScheduleTable } from '../../src/host/schedulers/embedded.js';
import {
  type JobFile,
  type ObservedJob,
  type ScheduledJob,
  sameJobFiles,
} from '../../src/host/schedulers/types.js';
import { nextRun } from '../../src/schedule/due.js';
import { jobCommand } from '../engine/converge.js';
import { type SchedulerHost, selectScheduler } from '../engine/schedulers.js';
import { type AppliedMachine, appliedMachine } from './applied-machine.js';

/** installed: as apply wrote it; drifted: its files differ; inactive: disabled or stopped; missing: gone. */
export type JobState = 'installed' | 'drifted' | 'inactive' | 'missing' | 'not installed';

export interface ScheduleRow {
  destination: string;
  /** The backend apply installed it with (the ledger); null when apply has not installed it. */
  backend: string | null;
  startAt: string[];
  staggerSeconds: number;
  /** The calendar with the stagger added: what the timer's OnCalendar= (or the embedded agent) runs on. */
  runsAt: string[];
  nextRun: string | null;
  /** The next run is already due (a run was missed; Persistent=true runs it at the next start). */
  due: boolean;
  lastRun: string | null;
  state: JobState;
}

export interface ScheduleList {
  machine: string;
  commit: string | null;
  appliedAt: string;
  jobs: ScheduleRow[];
}

export interface ScheduleListOptions {
  machine: string;
  paths: HostPaths;
  now: Date;
  schedulerHost?: SchedulerHost;
  /** The applied declarations, when the caller loaded them already. */
  applied?: AppliedMachine;
}

function stateOf(
  backend: string | undefined,
  observed: ObservedJob | undefined,
  expected: JobFile[],
): JobState {
  if (backend === undefined) return 'not installed';
  if (observed === undefined || observed.files.length === 0) return 'missing';
  if (!sameJobFiles(observed.files, expected)) return 'drifted';
  return observed.active ? 'installed' : 'inactive';
}

/**
 * This machine's backup jobs as the last `apply` declared them (the applied declarations in the
 * state directory, not git), each checked against what its backend has on the host, with its
 * next run computed by borgops's calendar.
 */
export async function listSchedules(options: ScheduleListOptions): Promise<ScheduleList> {
  const { paths } = options;
  const { desired, commit, appliedAt } = options.applied ?? (await appliedMachine(paths, options.machine));
  const ledger = await readLedger(paths.ledger);
  const { all } = selectScheduler('auto', paths, options.schedulerHost);
  const observedBy = new Map<string, ObservedJob[]>();
  const table = await readScheduleTable(paths.schedule);
  const jobs: ScheduleRow[] = [];
  for (const resource of desired.resources) {
    if (resource.kind !== 'schedule') continue;
    const { destination, startAt, staggerSeconds } = resource;
    const backend = ledger.entries[resource.id]?.backend;
    const scheduler = backend === undefined ? undefined : all[backend];
    if (scheduler && !observedBy.has(scheduler.name))
      observedBy.set(scheduler.name, await scheduler.observe());
    const job: ScheduledJob = {
      machine: desired.machine,
      destination,
      startAt,
      staggerSeconds,
      command: jobCommand(paths, desired.machine, destination),
    };
    const observed = scheduler
      ? observedBy.get(scheduler.name)?.find((j) => j.destination === destination)
      : undefined;
    const lastRun = (await scheduler?.lastRun(destination)) ?? undefined;
    const since = backend === 'embedded' ? table.jobs[destination]?.installedAt : undefined;
    const next = nextRun(
      { startAt, staggerSeconds, ...(lastRun ? { lastRun } : {}), ...(since ? { since } : {}) },
      options.now,
    );
    jobs.push({
      destination,
      backend: backend ?? null,
      startAt,
      staggerSeconds,
      runsAt: staggeredCalendar(job),
      nextRun: next.ok ? next.at.toISOString() : null,
      due: next.ok && next.due,
      lastRun: lastRun ?? null,
      state: stateOf(backend, observed, scheduler ? scheduler.render(job) : []),
    });
  }
  return { machine: desired.machine, commit: commit ?? null, appliedAt, jobs };
}
