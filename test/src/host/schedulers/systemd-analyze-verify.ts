import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';
export const hasSystemdAnalyze = existsSync(SYSTEMD_ANALYZE);
export const VERIFY_SKIP_REASON = `skipped: ${SYSTEMD_ANALYZE} is not installed`;

export interface Verified {
  exitCode: number;
  /** stdout and stderr together: systemd reports most problems (a bad key, a bad calendar) with exit 0. */
  output: string;
}

/**
 * The real `systemd-analyze verify` on unit files given by path (it loads them in a test
 * manager: parses every setting, resolves specifiers, checks that ExecStart's executable exists).
 */
export function verifyUnits(files: readonly string[]): Verified {
  const result = spawnSync(SYSTEMD_ANALYZE, ['verify', '--man=no', ...files], {
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C', SYSTEMD_LOG_COLOR: '0' },
  });
  return { exitCode: result.status ?? 1, output: `${result.stdout}${result.stderr}` };
}
