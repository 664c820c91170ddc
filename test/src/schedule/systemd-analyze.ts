import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The real tool; the corpus tests compare with it and say they are skipped where it is missing. */
export const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';
export const hasSystemdAnalyze = existsSync(SYSTEMD_ANALYZE);
export const SKIP_REASON = `skipped: ${SYSTEMD_ANALYZE} is not installed`;

export interface SystemdCalendar {
  normalized: string;
  /** ISO instants in UTC; empty for "never". */
  elapses: string[];
}

function instant(text: string): string {
  const match = /^\w+ (\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d) UTC$/.exec(text);
  if (!match) throw new Error(`systemd-analyze printed an unexpected timestamp: ${text}`);
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  return new Date(Date.UTC(year!, month! - 1, day!, hour!, minute!, second!)).toISOString();
}

/**
 * `systemd-analyze calendar` for many expressions in one process; `base` is a --base-time
 * ("@SECONDS" or "YYYY-MM-DD HH:MM:SS", read in `timeZone`). Throws if it refuses any of them.
 */
export function systemdCalendar(
  expressions: readonly string[],
  options: { base: string; timeZone: string; iterations: number },
): Map<string, SystemdCalendar> {
  const stdout = execFileSync(
    SYSTEMD_ANALYZE,
    ['calendar', `--iterations=${options.iterations}`, `--base-time=${options.base}`, '--', ...expressions],
    { encoding: 'utf8', env: { ...process.env, TZ: options.timeZone, LC_ALL: 'C' } },
  );
  const blocks = stdout.split(/\n\s*\n/).filter((block) => block.includes('Normalized form:'));
  if (blocks.length !== expressions.length) {
    throw new Error(`systemd-analyze printed ${blocks.length} results for ${expressions.length} expressions`);
  }
  const results = new Map<string, SystemdCalendar>();
  for (const [index, block] of blocks.entries()) {
    const lines = block.split('\n').map((line) => line.trim());
    const normalized = lines.find((line) => line.startsWith('Normalized form: '))?.slice(17) ?? '';
    const elapses: string[] = [];
    for (const [at, line] of lines.entries()) {
      const elapse = /^(?:Next elapse|Iter\. #\d+): (.*)$/.exec(line)?.[1];
      if (elapse === undefined || elapse === 'never') continue;
      // in another zone than UTC, the next line repeats the time in UTC
      const inUtc = /^\(in UTC\): (.*)$/.exec(lines[at + 1] ?? '')?.[1];
      elapses.push(instant(inUtc ?? elapse));
    }
    results.set(expressions[index]!, { normalized, elapses });
  }
  return results;
}

/** The expressions systemd-analyze refuses ("Failed to parse calendar specification"), in one process. */
export function systemdRefuses(expressions: readonly string[]): Set<string> {
  const { stderr } = spawnSync(SYSTEMD_ANALYZE, ['calendar', '--iterations=1', '--', ...expressions], {
    encoding: 'utf8',
    env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' },
  });
  const refused = new Set<string>();
  for (const match of stderr.matchAll(/^Failed to parse calendar specification '(.*)': /gm)) {
    refused.add(match[1] ?? '');
  }
  return refused;
}
