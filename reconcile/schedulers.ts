import type { HostPaths } from '../src/host/paths.js';
import { embeddedScheduler } from '../src/host/schedulers/embedded.js';
import type { Scheduler } from '../src/host/schedulers/types.js';

export type SchedulerChoice = 'auto' | 'embedded';

export interface SchedulerSet {
  active: Scheduler;
  /** Every backend by name, so jobs installed with another one can be removed. */
  all: Record<string, Scheduler>;
}

/** The scheduler backend for this host (design.md: systemd where it runs, embedded elsewhere). */
export function selectScheduler(_choice: SchedulerChoice, paths: HostPaths): SchedulerSet {
  const embedded = embeddedScheduler(paths.schedule);
  return { active: embedded, all: { embedded } };
}
