import type { Keep } from '../config/schema.js';
import { BorgopsError } from '../errors.js';
import { listedInstantsMicros, type PeriodRule, parseArchiveTimes, periodKey } from './archive-time.js';

/*
 * borg 1.2.4's prune rules, and borg 1.4's quarterly ones (13weekly, 3monthly), in plain TypeScript (archiver.py do_prune, helpers/misc.py
 * prune_within / prune_split), so a plan can show and delete exactly what `borg prune` would
 * keep, without a borg process and only among this machine's own archives.
 */

export type { PeriodRule } from './archive-time.js';
export type RetentionRule = 'within' | PeriodRule;

/**
 * The order borg applies rules in: within first, then PRUNING_PATTERNS' order. `last` is
 * `secondly`; borg 1.4's `13weekly` and `3monthly` are `quarterly_13weekly` and `quarterly_3monthly`
 * (the names borg prints in `prune --list`).
 */
export const PERIOD_RULES = [
  'secondly',
  'minutely',
  'hourly',
  'daily',
  'weekly',
  'monthly',
  'quarterly_13weekly',
  'quarterly_3monthly',
  'yearly',
] as const satisfies readonly PeriodRule[];

export interface KeptArchive {
  name: string;
  rule: RetentionRule;
  /** borg's `#n`: the n-th archive this rule kept. */
  number: number;
  /** borg's `rule[oldest]`: the oldest archive, kept because the rule's count was not reached. */
  oldest: boolean;
}

export interface RetentionPlan {
  /** Newest first, as `borg prune --list` prints them. */
  kept: KeptArchive[];
  /** Newest first. */
  pruned: string[];
}

export interface RetentionArchive {
  name: string;
  /** borg's local start time, `YYYY-MM-DDTHH:MM:SS[.ffffff]`. */
  start: string;
  /** The start as µs since the epoch, when known (borg list read in UTC): exact in the repeated hour. */
  epochMicros?: number;
}

/** How borg prints why an archive is kept: `daily #1`, `weekly[oldest] #3`. */
export function ruleLabel(kept: KeptArchive): string {
  return `${kept.rule}${kept.oldest ? '[oldest]' : ''} #${kept.number}`;
}

const HOURS_PER_UNIT = { H: 1, d: 24, w: 24 * 7, m: 24 * 31, y: 24 * 365 } as const;

/** borg's interval(): `1d` → 24 hours; a month is 31 days and a year 365, as in borg. */
export function withinHours(within: string): number {
  const match = /^([1-9][0-9]*)([Hdwmy])$/.exec(within);
  const unit = match?.[2] as keyof typeof HOURS_PER_UNIT | undefined;
  if (match === null || unit === undefined) {
    throw new BorgopsError(
      'E_CONFIG',
      `keep.within: ${JSON.stringify(within)} must be a number and H, d, w, m or y`,
    );
  }
  return Number(match[1]) * HOURS_PER_UNIT[unit];
}

/** The keep key of a borg rule: `last` for `secondly`, `13weekly` for `quarterly_13weekly`. */
export function keepKey(rule: PeriodRule): Exclude<keyof Keep, 'within'> {
  if (rule === 'secondly') return 'last';
  if (rule === 'quarterly_13weekly') return '13weekly';
  if (rule === 'quarterly_3monthly') return '3monthly';
  return rule;
}

function countOf(keep: Keep, rule: PeriodRule): number | undefined {
  const value = keep[keepKey(rule)];
  if (value === undefined) return undefined;
  // borg takes any negative count as "every period"; the schema allows -1 only
  if (!Number.isInteger(value)) {
    throw new BorgopsError('E_CONFIG', `keep.${keepKey(rule)}: must be a whole number`);
  }
  return value;
}

/**
 * Indices newest first, as borg's `sort_by=['ts'], reverse=True`: by instant when every archive
 * has one (a stable sort, so ties keep list order), else in the given order, which must be
 * borg's list order. Never by local wall time: in the hour that repeats when clocks go back,
 * 01:45 EDT is older than 01:05 EST.
 */
function newestFirst(archives: readonly RetentionArchive[]): number[] {
  const order = Array.from({ length: archives.length }, (_, i) => i);
  if (archives.every((archive) => archive.epochMicros !== undefined)) {
    let sorted = true;
    for (let i = 1; i < archives.length; i += 1) {
      if ((archives[i]?.epochMicros ?? 0) < (archives[i - 1]?.epochMicros ?? 0)) sorted = false;
    }
    if (!sorted) order.sort((a, b) => (archives[a]?.epochMicros ?? 0) - (archives[b]?.epochMicros ?? 0));
  }
  return order.reverse();
}

/**
 * What `borg prune` with these rules keeps and prunes among `archives` (this machine's and this
 * destination's only: see ownArchives), at `now`. Pass archives in `borg list` order (oldest
 * first): borg orders by timestamp, which archives with `epochMicros` carry and the local
 * `start` cannot tell in the repeated hour. Periods are read from the local `start` in this
 * process's time zone, as borg reads them in its own.
 */
export function planRetention(archives: readonly RetentionArchive[], keep: Keep, now: Date): RetentionPlan {
  const counts = PERIOD_RULES.map((rule) => [rule, countOf(keep, rule)] as const);
  const within = keep.within === undefined ? undefined : withinHours(keep.within);
  // borg refuses to prune without a rule; an empty rule set must never mean "prune everything".
  if (within === undefined && !counts.some(([, count]) => count !== undefined && count !== 0)) {
    throw new BorgopsError('E_CONFIG', 'keep: at least one retention rule is needed');
  }

  const times = parseArchiveTimes(archives);
  const order = newestFirst(archives);
  const reason: (KeptArchive | undefined)[] = new Array(archives.length);
  const keepAs = (index: number, rule: RetentionRule, number: number, oldest: boolean) => {
    reason[index] = { name: archives[index]?.name ?? '', rule, number, oldest };
  };

  if (within !== undefined) {
    // prune_within: strictly newer than now - hours, counted newest first; in borg's order those
    // archives are a prefix of `order`. Without a known instant (borg's local `start` carries no
    // offset) the list order tells the two occurrences of a repeated wall time apart.
    const limit = now.getTime() * 1000 - within * 3_600_000_000;
    const listed = archives.every((a) => a.epochMicros !== undefined)
      ? undefined
      : listedInstantsMicros(times);
    let kept = 0;
    for (const index of order) {
      const instant = archives[index]?.epochMicros ?? listed?.[index] ?? 0;
      if (instant <= limit) break;
      kept += 1;
      keepAs(index, 'within', kept, false);
    }
  }

  for (const [rule, count] of counts) {
    if (count === undefined || count === 0) continue;
    // prune_split: the newest archive of each period, skipping periods whose newest archive an
    // earlier rule already kept (they still use up the period, not the count).
    let last: number | undefined;
    let kept = 0;
    let visited: number | undefined;
    for (const index of order) {
      visited = index;
      const period = periodKey(times, index, rule);
      if (period === last) continue;
      last = period;
      if (reason[index] !== undefined) continue;
      kept += 1;
      keepAs(index, rule, kept, false);
      if (kept === count) break;
    }
    if (visited !== undefined && kept < count && reason[visited] === undefined) {
      keepAs(visited, rule, kept + 1, true);
    }
  }

  const plan: RetentionPlan = { kept: [], pruned: [] };
  for (const index of order) {
    const why = reason[index];
    if (why === undefined) plan.pruned.push(archives[index]?.name ?? '');
    else plan.kept.push(why);
  }
  return plan;
}

const ARCHIVE_TIME_LENGTH = 'YYYY-MM-DDTHH:MM:SS'.length;

function twoDigits(text: string, at: number): number {
  const tens = text.charCodeAt(at) - 48;
  const ones = text.charCodeAt(at + 1) - 48;
  return tens >= 0 && tens <= 9 && ones >= 0 && ones <= 9 ? tens * 10 + ones : -1;
}

/** `YYYY-MM-DDTHH:MM:SS` with plausible fields at `at`, as clan names archives (local time, no zone). */
function isArchiveTime(text: string, at: number): boolean {
  if (
    text[at + 4] !== '-' ||
    text[at + 7] !== '-' ||
    text[at + 10] !== 'T' ||
    text[at + 13] !== ':' ||
    text[at + 16] !== ':'
  ) {
    return false;
  }
  const month = twoDigits(text, at + 5);
  const day = twoDigits(text, at + 8);
  const hour = twoDigits(text, at + 11);
  const minute = twoDigits(text, at + 14);
  const second = twoDigits(text, at + 17);
  return (
    twoDigits(text, at) >= 0 &&
    twoDigits(text, at + 2) >= 0 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= 31 &&
    hour >= 0 &&
    hour <= 23 &&
    minute >= 0 &&
    minute <= 59 &&
    second >= 0 &&
    second <= 59
  );
}

/**
 * Exactly this machine's archives for one destination: `<prefix><YYYY-MM-DDTHH:MM:SS>` and
 * nothing else. A neighbour whose prefix extends ours (`jon-a-b-…` for `jon-a-`), checkpoints
 * (`.checkpoint`, `.checkpoint.N`) and NixOS-style `.failed` leftovers never match.
 */
export function ownArchives<T extends { name: string }>(archives: readonly T[], prefix: string): T[] {
  const length = prefix.length + ARCHIVE_TIME_LENGTH;
  return archives.filter(
    ({ name }) => name.length === length && name.startsWith(prefix) && isArchiveTime(name, prefix.length),
  );
}
