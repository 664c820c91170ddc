import { existsSync } from 'node:fs';
import { BorgopsError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { loadExeca } from '../../util/execa.js';

/** The running systemd, for the systemd backend when it manages the root systemd runs (`--root /`). */
export interface Systemctl {
  run(args: readonly string[], options?: { allowFailure?: boolean }): Promise<void>;
  isActive(unit: string): Promise<boolean>;
}

/** sd_booted(): systemd is the init system of this host (it creates /run/systemd/system at boot). */
export function systemdIsInit(): boolean {
  return existsSync('/run/systemd/system');
}

export function systemctl(logger: Logger, executable = 'systemctl'): Systemctl {
  return {
    async run(args, options = {}) {
      const execa = await loadExeca();
      const result = await execa(executable, [...args], { reject: false, stdin: 'ignore' });
      logger.debug({ args, exitCode: result.exitCode }, 'systemctl');
      if (result.exitCode === 0 || options.allowFailure) return;
      throw new BorgopsError('E_HOST', `systemctl ${args.join(' ')} failed (exit ${result.exitCode})`, {
        details: String(result.stderr).split('\n').filter(Boolean).slice(0, 5),
      });
    },
    async isActive(unit) {
      const execa = await loadExeca();
      const result = await execa(executable, ['is-active', '--quiet', unit], {
        reject: false,
        stdin: 'ignore',
      });
      return result.exitCode === 0;
    },
  };
}
