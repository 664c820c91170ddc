import { join } from 'node:path';
import { SCHEDULER_BACKENDS, type SchedulerBackend } from '../../src/config/schema.js';
import type { HostPaths } from '../../src/host/paths.js';
import { embeddedScheduler } from '../../src/host/schedulers/embedded.js';
import { type Systemctl, systemctl, systemdIsInit } from '../../src/host/schedulers/systemctl.js';
import { systemdScheduler } from '../../src/host/schedulers/systemd.js';
import type { Scheduler } from '../../src/host/schedulers/types.js';
import { type Logger, silentLogger } from '../../src/log.js';

export const SCHEDULER_CHOICES = SCHEDULER_BACKENDS;
export type SchedulerChoice = SchedulerBackend;

/**
 * The backend of one run: `--scheduler` when given, else the machine's declared `scheduler`
 * setting, else auto. `override` is the warning to log when the flag differs from git.
 */
export function resolveSchedulerChoice(
  flag: SchedulerChoice | undefined,
  declared: SchedulerChoice | undefined,
): { choice: SchedulerChoice; override?: string } {
  const choice = flag ?? declared ?? 'auto';
  if (flag === undefined || declared === undefined || flag === declared) return { choice };
  return {
    choice,
    override: `--scheduler ${flag} overrides the declared scheduler "${declared}" for this run only; the next run without the flag uses ${declared} again (change \`scheduler\` in git to keep ${flag})`,
  };
}

export interface SchedulerSet {
  active: Scheduler;
  /** Every backend by name, so jobs installed with another one can be removed. */
  all: Record<string, Scheduler>;
  /** Said in plans when the choice is not the obvious one (units written but systemd not told). */
  note?: string;
}

export interface SchedulerHost {
  /** systemd is PID 1 here (default: sd_booted(), /run/systemd/system exists). */
  systemdRunning?: boolean;
  /** The systemctl to drive when systemd runs this root (tests pass a recorder). */
  systemctl?: Systemctl;
  logger?: Logger;
}

/**
 * The scheduler backend for this host (design.md): systemd where systemd is PID 1 and `--root`
 * is `/`, embedded elsewhere; `--scheduler systemd|embedded` overrides. Only a live systemd is
 * reloaded and told to start or stop timers; under another root the units are files only.
 */
export function selectScheduler(
  choice: SchedulerChoice,
  paths: HostPaths,
  host: SchedulerHost = {},
): SchedulerSet {
  const running = host.systemdRunning ?? systemdIsInit();
  const live = running && paths.root === '/';
  const systemd = systemdScheduler({
    unitsDir: paths.unitsDir,
    timerStampsDir: join(paths.root, 'var/lib/systemd/timers'),
    ...(live ? { systemctl: host.systemctl ?? systemctl(host.logger ?? silentLogger()) } : {}),
  });
  const embedded = embeddedScheduler(paths.schedule);
  const all = { systemd, embedded };
  if (choice === 'embedded' || (choice === 'auto' && !live)) return { active: embedded, all };
  if (live) return { active: systemd, all };
  return {
    active: systemd,
    all,
    note:
      paths.root === '/'
        ? `systemd is not running here: the units in ${paths.unitsDir} are written and enabled as files, but nothing starts them until systemd boots`
        : `--root is ${paths.root}: the units are written and enabled as files under it; systemctl is not run`,
  };
}
