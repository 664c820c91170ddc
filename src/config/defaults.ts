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

const durationUnits = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 } as const;

/** Seconds in a validated duration ("0", "30s", "15m", "2h", "1d", "1w"). */
export function durationSeconds(text: string): number {
  if (text === '0') return 0;
  const unit = text.slice(-1) as keyof typeof durationUnits;
  return Number(text.slice(0, -1)) * durationUnits[unit];
}
