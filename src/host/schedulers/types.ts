import type { JobKind } from '../../desired/jobs.js';

/**
 * Scheduler backends (design.md: systemd where systemd runs, embedded elsewhere). Plan and apply
 * see every backend through this interface: a job is rendered to files (or table entries), the
 * host is observed as files, and drift is a difference in content or activation.
 */
export interface ScheduledJob {
  machine: string;
  destination: string;
  /** What the job runs; absent: the backup (`borgops backups create`). */
  kind?: Exclude<JobKind, 'backup'>;
  startAt: string[];
  /** This host's delay after each elapse of `startAt` (the stagger; backends add it into the calendar). */
  staggerSeconds: number;
  /** argv of the backup command the job runs (`borgops backups create <machine> --destination <d> …`). */
  command: string[];
}

/** A file a backend writes for a job; `path#key` names an entry of a table file. */
export interface JobFile {
  path: string;
  content: string;
}

export interface ObservedJob {
  /** The job's key: the destination for its backup, `<kind>:<destination>` for a check or drill. */
  destination: string;
  files: JobFile[];
  /** False when the job exists but is not active (a disabled timer). */
  active: boolean;
  /** Why it is not active, for the plan (`timers.target.wants/… is missing`). */
  reason?: string;
}

export interface Scheduler {
  readonly name: string;
  /** The files of a job, pure: the plan diffs them against what `observe` found. */
  render(job: ScheduledJob): JobFile[];
  /** Jobs of this backend present on the host, borgops's or not (plan only touches declared or ledger ones). */
  observe(): Promise<ObservedJob[]>;
  /** Installs or updates a job and activates it; returns the paths written. */
  install(job: ScheduledJob): Promise<string[]>;
  /** Removes a job; never fails when it is already gone. */
  remove(destination: string): Promise<void>;
  /** When the job last started (ISO), as far as this backend knows. */
  lastRun(destination: string): Promise<string | undefined>;
}

/** A job as rendered equals a job as observed: the same files in the same order with the same content. */
export function sameJobFiles(a: readonly JobFile[], b: readonly JobFile[]): boolean {
  return (
    a.length === b.length && a.every((file, i) => file.path === b[i]?.path && file.content === b[i]?.content)
  );
}

/** The key a backend files a job under (see desired/jobs.ts). */
export function keyOf(job: Pick<ScheduledJob, 'kind' | 'destination'>): string {
  return job.kind === undefined ? job.destination : `${job.kind}:${job.destination}`;
}
