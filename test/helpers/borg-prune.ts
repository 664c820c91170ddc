import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { planRetention, ruleLabel } from '../../src/borg/retention.js';
import type { Archive, BorgTarget } from '../../src/borg/types.js';
import { KEEP_RULES, type Keep } from '../../src/config/schema.js';
import type { BorgSandbox } from './borg.js';

/** What `borg prune --list` says, newest first: `name rule #n` for kept, names for pruned. */
export interface PruneListing {
  kept: string[];
  pruned: string[];
}

export function keepFlags(keep: Keep): string[] {
  const flags: string[] = [];
  if (keep.within !== undefined) flags.push('--keep-within', keep.within);
  // `=`: argparse would read a separate "-1" as an option
  if (keep.last !== undefined) flags.push(`--keep-last=${keep.last}`);
  for (const rule of KEEP_RULES) {
    if (rule === 'within' || rule === 'last') continue;
    const count = keep[rule];
    if (count !== undefined) flags.push(`--keep-${rule}=${count}`);
  }
  return flags;
}

/**
 * Whether the `borg` on PATH has borg 1.4's quarterly rules (--keep-13weekly, --keep-3monthly):
 * they came after 1.4.0, and borg 1.2 has none, so a differential test uses them only then.
 */
export async function pruneHasQuarterly(): Promise<boolean> {
  const help = await execa('borg', ['prune', '--help'], { reject: false });
  return (
    help.exitCode === 0 && help.stdout.includes('--keep-13weekly') && help.stdout.includes('--keep-3monthly')
  );
}

const KEEPING = /^Keeping archive \(rule: (\S+) #(\d+)\):\s+(\S+)\s/;
const PRUNING = /^Would prune:\s+(\S+)\s/;

/** Parses `borg prune --dry-run --list` (archiver.py do_prune: `{message:<40} {archive}`). */
export function parsePruneList(output: string): PruneListing {
  const listing: PruneListing = { kept: [], pruned: [] };
  for (const line of output.split('\n')) {
    const kept = KEEPING.exec(line);
    if (kept !== null) listing.kept.push(`${kept[3]} ${kept[1]} #${kept[2]}`);
    const pruned = PRUNING.exec(line);
    if (pruned !== null) listing.pruned.push(pruned[1] ?? '');
  }
  return listing;
}

export function planListing(archives: readonly Archive[], keep: Keep, now: Date): PruneListing {
  const plan = planRetention(archives, keep, now);
  return { kept: plan.kept.map((k) => `${k.name} ${ruleLabel(k)}`), pruned: plan.pruned };
}

/** Sets the time zone of this process and of every borg the sandbox starts. */
export function useZone(sandbox: BorgSandbox, zone: string): void {
  process.env.TZ = zone;
  sandbox.env.TZ = zone;
}

/** `borg prune --dry-run --list` over the archives matching `glob`, in the sandbox's zone. */
export async function borgPrune(
  sandbox: BorgSandbox,
  repo: string,
  glob: string,
  keep: Keep,
): Promise<PruneListing> {
  const result = await sandbox.raw([
    'prune',
    '--dry-run',
    '--list',
    '--glob-archives',
    glob,
    ...keepFlags(keep),
    repo,
  ]);
  if (result.exitCode !== 0) throw new Error(`borg prune failed: ${result.stderr}`);
  return parsePruneList(result.stderr);
}

/**
 * Compares our plan with borg's for the same archives and rules. borg reads the clock itself a
 * moment after we do, so with `within` the answer must match our plan at one of the two instants.
 */
export async function compareWithBorg(
  sandbox: BorgSandbox,
  repo: string,
  glob: string,
  archives: readonly Archive[],
  keep: Keep,
): Promise<{ borg: PruneListing; ours: PruneListing }> {
  const before = new Date();
  const borg = await borgPrune(sandbox, repo, glob, keep);
  const after = new Date();
  const early = planListing(archives, keep, before);
  if (keep.within === undefined || JSON.stringify(early) === JSON.stringify(borg))
    return { borg, ours: early };
  return { borg, ours: planListing(archives, keep, after) };
}

/** A repository with one tiny source directory for back-dated archives. */
export async function archiveRepo(sandbox: BorgSandbox): Promise<{ target: BorgTarget; source: string }> {
  const repo = join(sandbox.dir, 'retention-repo');
  const source = join(sandbox.dir, 'tiny');
  await mkdir(join(source, 'x'), { recursive: true });
  const target = sandbox.target(repo);
  await sandbox.borg.init(target, 'none');
  return { target, source };
}

/** `borg create --timestamp` (UTC, no zone) of an almost empty archive. */
export async function backdatedArchive(
  sandbox: BorgSandbox,
  target: BorgTarget,
  source: string,
  name: string,
  utc: Date,
): Promise<void> {
  await sandbox.borg.create(target, name, {
    paths: ['x'],
    cwd: source,
    compression: 'none',
    exclude: [],
    timestamp: utc.toISOString().slice(0, 19),
  });
}

/** The UTC offset of `zone` at `at`, in minutes (east positive). */
export function offsetMinutes(zone: string, at: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  }).formatToParts(at);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'));
  return Math.round((wall - Math.floor(at / 60_000) * 60_000) / 60_000);
}

const HOUR_MS = 3_600_000;

/** The latest instant before `before` (on a whole UTC hour) where `zone`'s clocks went back. */
export function lastFallBack(zone: string, before: number): number {
  let at = Math.floor(before / HOUR_MS) * HOUR_MS;
  for (let steps = 0; steps < 2 * 366 * 24; steps += 1, at -= HOUR_MS) {
    if (offsetMinutes(zone, at - HOUR_MS) > offsetMinutes(zone, at)) return at;
  }
  throw new Error(`${zone}: no fall-back in two years before ${new Date(before).toISOString()}`);
}

/**
 * Archives around the latest fall-back before `now` and a `within` whose limit (now minus whole
 * hours) lies in [switch - 15 min, switch + 45 min): one archive of the second pass is newer than
 * the limit although its wall time, read as the first pass, is older. Every archive is at least
 * ten minutes from the limit, so the suite's minutes of setup do not move it across one.
 */
export function repeatedHourWithin(zone: string, now: number): { times: number[]; within: string } {
  const minute = 60_000;
  const turn = lastFallBack(zone, now - 2 * HOUR_MS);
  const hours = Math.floor((now - (turn - 15 * minute)) / HOUR_MS);
  const limit = now - hours * HOUR_MS;
  const newer = Math.max(limit, turn) + 10 * minute;
  return {
    times: [turn - 55 * minute, newer - HOUR_MS, newer, turn + 58 * minute],
    within: `${hours}H`,
  };
}
