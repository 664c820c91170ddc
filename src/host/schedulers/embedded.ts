import { writeJsonAtomic } from '../atomic.js';
import { readJsonFile } from '../json-file.js';
import type { JobFile, ObservedJob, ScheduledJob, Scheduler } from './types.js';

/** A row of the embedded schedule table; `lastRun` is the watch agent's, not the declarations'. */
export interface EmbeddedJob extends ScheduledJob {
  lastRun?: string;
}

export interface ScheduleTable {
  version: 1;
  jobs: Record<string, EmbeddedJob>;
}

export async function readScheduleTable(path: string): Promise<ScheduleTable> {
  const table = await readJsonFile<ScheduleTable>(path, { version: 1, jobs: {} });
  return { version: 1, jobs: table.jobs ?? {} };
}

function entry(path: string, job: ScheduledJob): JobFile {
  const { machine, destination, startAt, staggerSeconds, command } = job;
  return {
    path: `${path}#${destination}`,
    content: `${JSON.stringify({ machine, destination, startAt, staggerSeconds, command }, null, 2)}\n`,
  };
}

/** The schedule table in the state directory, run by `borgops watch` (the watch issue runs it). */
export function embeddedScheduler(tablePath: string): Scheduler {
  async function update(change: (table: ScheduleTable) => void): Promise<void> {
    const table = await readScheduleTable(tablePath);
    change(table);
    const jobs = Object.fromEntries(
      Object.entries(table.jobs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
    await writeJsonAtomic(tablePath, { version: 1, jobs });
  }
  return {
    name: 'embedded',
    render: (job) => [entry(tablePath, job)],
    async observe(): Promise<ObservedJob[]> {
      const table = await readScheduleTable(tablePath);
      return Object.values(table.jobs).map((job) => ({
        destination: job.destination,
        files: [entry(tablePath, job)],
        active: true,
      }));
    },
    async install(job) {
      await update((table) => {
        const lastRun = table.jobs[job.destination]?.lastRun;
        table.jobs[job.destination] = { ...job, ...(lastRun === undefined ? {} : { lastRun }) };
      });
      return [tablePath];
    },
    async remove(destination) {
      await update((table) => {
        delete table.jobs[destination];
      });
    },
  };
}
