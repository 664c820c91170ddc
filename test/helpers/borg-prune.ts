import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { planRetention, ruleLabel } from '../../src/borg/retention.js';
import type { Archive, BorgTarget } from '../../src/borg/types.js';
import type { Keep } from '../../src/config/schema.js';
import type { BorgSandbox } from './borg.js';

/** What `borg prune --list` says, newest first: `name rule #n` for kept, names for pruned. */
export interface PruneListing {
  kept: string[];
  pruned: string[];
}

export function keepFlags(keep: Keep): string[] {
  const flags: string[] = [];
  if (keep.within !== undefined) flags.push('--keep-within', keep.within);
  if (keep.last !== undefined) flags.push('--keep-last', String(keep.last));
  for (const rule of ['minutely', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const) {
    const count = keep[rule];
    if (count !== undefined) flags.push(`--keep-${rule}`, String(count));
  }
  return flags;
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
