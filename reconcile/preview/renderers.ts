import { hostPaths } from '../../src/host/paths.js';
import { embeddedScheduler } from '../../src/host/schedulers/embedded.js';
import { systemdScheduler } from '../../src/host/schedulers/systemd.js';
import type { JobFile, ScheduledJob } from '../../src/host/schedulers/types.js';

/** The host paths a preview names: those of a machine with `--root /` (the diffs are machine-independent). */
export const PREVIEW_PATHS = hostPaths('/');

export type ScheduleRenderer = (job: ScheduledJob) => JobFile[];

/**
 * The scheduler backends a preview can show schedule files of (`--scheduler NAME`), rendered for
 * `--root /`. A backend joins by adding its pure `render` here (systemd: its timer and service units).
 */
export function scheduleRenderers(): Record<string, ScheduleRenderer> {
  const paths = PREVIEW_PATHS;
  return {
    embedded: (job) => embeddedScheduler(paths.schedule).render(job),
    // files only (no systemctl): the units a machine with systemd gets
    systemd: (job) =>
      systemdScheduler({ unitsDir: paths.unitsDir, timerStampsDir: '/var/lib/systemd/timers' }).render(job),
  };
}

/** Most fleets run systemd: a reviewer sees the timer and service units a change rewrites. */
export const DEFAULT_PREVIEW_SCHEDULER = 'systemd';
