import { lstat, mkdir, readdir, readFile, readlink, rename, rm, stat, symlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import type { Systemctl } from './systemctl.js';
import { renderService, renderTimer, unitName } from './systemd-units.js';
import { type JobFile, keyOf, type ObservedJob, type ScheduledJob, type Scheduler } from './types.js';

export interface SystemdOptions {
  /** `<root>/etc/systemd/system`. */
  unitsDir: string;
  /** `<root>/var/lib/systemd/timers`: systemd's stamps of Persistent= timers (their last trigger). */
  timerStampsDir: string;
  /**
   * systemd is PID 1 of this very root (`--root /`): also reload it and start or stop timers.
   * Otherwise only files change, as `systemctl --root=R enable` does.
   */
  systemctl?: Systemctl;
}

const UNIT_FILE = /^borgbackup-(job|check|verify-data|drill)-(.+)\.(service|timer)$/;
/** The enablement symlink target as `systemctl enable` writes it: absolute, inside the root. */
const LINK_TARGET_DIR = '/etc/systemd/system';

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error: unknown) {
    if (errno(error) === 'ENOENT' || errno(error) === 'ENOTDIR') return [];
    throw error;
  }
}

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error: unknown) {
    // a dangling symlink or a directory is not a unit we can compare: treat it as missing
    if (['ENOENT', 'EISDIR', 'ELOOP'].includes(errno(error) ?? '')) return undefined;
    throw error;
  }
}

/**
 * `borgbackup-job-<destination>.service` and `.timer` under `<root>/etc/systemd/system`, enabled
 * by the `timers.target.wants` symlink that `systemctl enable` would make, which borgops manages
 * itself so that it is observable and testable under any root.
 */
export function systemdScheduler(options: SystemdOptions): Scheduler {
  const { unitsDir, systemctl } = options;
  const wantsDir = join(unitsDir, 'timers.target.wants');
  const paths = (destination: string) => {
    const unit = unitName(destination);
    return {
      service: join(unitsDir, `${unit}.service`),
      timer: join(unitsDir, `${unit}.timer`),
      link: join(wantsDir, `${unit}.timer`),
      linkTarget: `${LINK_TARGET_DIR}/${unit}.timer`,
      timerUnit: `${unit}.timer`,
    };
  };

  async function enabled(destination: string): Promise<boolean> {
    const { link, linkTarget } = paths(destination);
    try {
      const target = await readlink(link);
      // systemctl writes an absolute target; a relative one next to the unit is as good
      return target === linkTarget || resolve(wantsDir, target) === paths(destination).timer;
    } catch (error: unknown) {
      if (errno(error) === 'ENOENT' || errno(error) === 'EINVAL') return false;
      throw error;
    }
  }

  async function enable(destination: string): Promise<void> {
    const { link, linkTarget } = paths(destination);
    if (await enabled(destination)) return;
    await mkdir(wantsDir, { recursive: true, mode: 0o755 });
    const temporary = join(wantsDir, `.${unitName(destination)}.timer.${process.pid}.tmp`);
    await rm(temporary, { force: true });
    await symlink(linkTarget, temporary);
    await rename(temporary, link);
  }

  function render(job: ScheduledJob): JobFile[] {
    const { service, timer } = paths(keyOf(job));
    return [
      { path: service, content: renderService(job) },
      { path: timer, content: renderTimer(job) },
    ];
  }

  return {
    name: 'systemd',
    render,
    async observe(): Promise<ObservedJob[]> {
      const destinations = new Set<string>();
      for (const name of [...(await listDir(unitsDir)), ...(await listDir(wantsDir))]) {
        const match = UNIT_FILE.exec(name);
        if (match) destinations.add(match[1] === 'job' ? match[2]! : `${match[1]}:${match[2]}`);
      }
      const jobs: ObservedJob[] = [];
      for (const destination of [...destinations].sort()) {
        const { service, timer, timerUnit } = paths(destination);
        const files: JobFile[] = [];
        for (const path of [service, timer]) {
          const content = await readIfPresent(path);
          if (content !== undefined) files.push({ path, content });
        }
        let reason: string | undefined;
        if (!(await enabled(destination))) {
          reason = `the timer is disabled (no ${join('timers.target.wants', timerUnit)})`;
        } else if (systemctl && !(await systemctl.isActive(timerUnit))) {
          reason = 'the timer is enabled but not running';
        }
        jobs.push({ destination, files, active: reason === undefined, ...(reason ? { reason } : {}) });
      }
      return jobs;
    },
    async install(job) {
      const files = render(job);
      let changed = false;
      for (const file of files) {
        if ((await readIfPresent(file.path)) === file.content && !(await lstat(file.path)).isSymbolicLink())
          continue;
        await writeFileAtomic(file.path, file.content, { mode: 0o644, dirMode: 0o755 });
        changed = true;
      }
      await enable(keyOf(job));
      const { timerUnit, link } = paths(keyOf(job));
      if (systemctl) {
        if (changed) await systemctl.run(['daemon-reload']);
        await systemctl.run(['enable', '--now', timerUnit]);
        // restarting makes sure a running timer is armed on the new calendar
        if (changed) await systemctl.run(['restart', timerUnit]);
      }
      return [...files.map((file) => file.path), link];
    },
    async remove(destination) {
      const { service, timer, link, timerUnit } = paths(destination);
      // the running backup, if any, is left to finish; only its timer stops
      if (systemctl) await systemctl.run(['disable', '--now', timerUnit], { allowFailure: true });
      for (const path of [link, timer, service]) await rm(path, { force: true });
      if (systemctl) await systemctl.run(['daemon-reload']);
    },
    async lastRun(destination) {
      // systemd touches this stamp each time a Persistent= timer elapses
      const stamp = join(options.timerStampsDir, `stamp-${unitName(destination)}.timer`);
      try {
        return (await stat(stamp)).mtime.toISOString();
      } catch (error: unknown) {
        if (errno(error) === 'ENOENT') return undefined;
        throw error;
      }
    },
  };
}
