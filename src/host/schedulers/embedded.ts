import { z } from 'zod';
import { writeJsonAtomic } from '../atomic.js';
import { readStateFile, type StateFile, versioned } from '../json-file.js';
import { withShortLock } from '../lock.js';
import { staggeredCalendar } from './calendar.js';
import { type JobFile, keyOf, type ObservedJob, type ScheduledJob, type Scheduler } from './types.js';

/**
 * A row of the embedded schedule table. `runsAt` (the calendar with the stagger added) is what
 * the agent runs on; `installedAt` and `lastRun` are the agent's history, not the declarations',
 * so plans never diff them and updates keep them.
 */
export const EmbeddedJob = z.object({
  machine: z.string(),
  destination: z.string(),
  /** A check or drill next to the backup job (absent: the backup). */
  kind: z.enum(['check', 'verify-data', 'drill']).optional(),
  startAt: z.array(z.string()),
  staggerSeconds: z.number(),
  command: z.array(z.string()),
  runsAt: z.array(z.string()),
  /** When the job was first installed: its schedule's base until it has run (a timer's activation time). */
  installedAt: z.string().optional(),
  /** When the job last started (systemd's last trigger of a Persistent= timer). */
  lastRun: z.string().optional(),
}) satisfies z.ZodType<ScheduledJob>;
export type EmbeddedJob = z.infer<typeof EmbeddedJob>;

export const ScheduleTable = versioned({ jobs: z.record(z.string(), EmbeddedJob).default({}) });
export type ScheduleTable = z.infer<typeof ScheduleTable>;

const tableFile: StateFile<ScheduleTable> = { what: 'schedule table', schema: ScheduleTable };

export async function readScheduleTable(path: string): Promise<ScheduleTable> {
  return (await readStateFile(path, tableFile)) ?? { version: 1, jobs: {} };
}

function declared(job: ScheduledJob): Omit<EmbeddedJob, 'installedAt' | 'lastRun'> {
  const { machine, destination, kind, startAt, staggerSeconds, command } = job;
  return {
    machine,
    destination,
    ...(kind === undefined ? {} : { kind }),
    startAt,
    staggerSeconds,
    runsAt: staggeredCalendar(job),
    command,
  };
}

function entry(path: string, job: Omit<EmbeddedJob, 'installedAt' | 'lastRun'>): JobFile {
  const { machine, destination, kind, startAt, staggerSeconds, runsAt, command } = job;
  return {
    path: `${path}#${keyOf(job)}`,
    content: `${JSON.stringify({ machine, destination, ...(kind === undefined ? {} : { kind }), startAt, staggerSeconds, runsAt, command }, null, 2)}\n`,
  };
}

async function updateTable<T>(tablePath: string, change: (table: ScheduleTable) => T): Promise<T> {
  // apply and the watch agent both rewrite the table: one read-modify-write at a time, briefly
  return withShortLock(`${tablePath}.lock`, 'schedule table update', async () => {
    const table = await readScheduleTable(tablePath);
    const result = change(table);
    const jobs = Object.fromEntries(
      Object.entries(table.jobs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
    await writeJsonAtomic(tablePath, { version: 1, jobs });
    return result;
  });
}

/**
 * Records that a job started at `at` (the watch agent calls it when it starts one, as systemd
 * records a timer's last trigger). False when the job is no longer in the table.
 */
/**
 * Records that a job starts. With `expectedLastRun` (the last run the caller saw, null for none)
 * it is a claim: false when another process recorded a run since, so a slot runs at most once.
 */
export async function recordRun(
  tablePath: string,
  destination: string,
  at: Date,
  expectedLastRun?: string | null,
): Promise<boolean> {
  return updateTable(tablePath, (table) => {
    const job = table.jobs[destination];
    if (!job) return false;
    if (expectedLastRun !== undefined && (job.lastRun ?? null) !== expectedLastRun) return false;
    job.lastRun = at.toISOString();
    return true;
  });
}

/** The schedule table in the state directory, run by `borgops watch` (the watch issue runs it). */
export function embeddedScheduler(tablePath: string, now: () => Date = () => new Date()): Scheduler {
  return {
    name: 'embedded',
    render: (job) => [entry(tablePath, declared(job))],
    async observe(): Promise<ObservedJob[]> {
      const table = await readScheduleTable(tablePath);
      return Object.values(table.jobs).map((job) => ({
        destination: keyOf(job),
        files: [entry(tablePath, job)],
        active: true,
      }));
    },
    async install(job) {
      const row = declared(job);
      await updateTable(tablePath, (table) => {
        const { installedAt, lastRun } = table.jobs[keyOf(job)] ?? {};
        table.jobs[keyOf(job)] = {
          ...row,
          installedAt: installedAt ?? now().toISOString(),
          ...(lastRun === undefined ? {} : { lastRun }),
        };
      });
      return [tablePath];
    },
    async remove(destination) {
      await updateTable(tablePath, (table) => {
        delete table.jobs[destination];
      });
    },
    async lastRun(destination) {
      return (await readScheduleTable(tablePath)).jobs[destination]?.lastRun;
    },
  };
}
