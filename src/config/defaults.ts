import { parseDuration } from '../util/duration.js';
import type { Keep } from './schema.js';

/** clan's hard-coded values, which borgops makes configurable and uses as defaults. */
export const DEFAULTS = {
  startAt: '*-*-* 01:00:00',
  compression: 'auto,zstd',
  encryptionMode: 'repokey',
  keep: { within: '1d', daily: 7, weekly: 4 } satisfies Keep,
  stagger: '0',
  lockWait: 10,
  serverDirectory: '/var/lib/borgbackup',
  serverUser: 'borg',
  // borgmatic's default check frequency is monthly too; verify-data reads every chunk, so it is opt-in
  verify: { check: 'monthly', verifyData: false, drill: 'monthly' },
} as const;

/** Seconds in a validated duration ("0", "30s", "15m", "2h", "1d", "1w"); a number is seconds already. */
export function durationSeconds(value: string | number): number {
  return typeof value === 'number' ? value : (parseDuration(value) ?? 0);
}
