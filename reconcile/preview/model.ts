import type { Problem } from '../../src/config/problem.js';
import type { ResourceKind } from '../../src/desired/types.js';
import type { FilePatch, SettingChange } from '../engine/describe/model.js';
import type { Refusal } from '../engine/model.js';
import type { DeclaredKind } from '../engine/resources/kind.js';

/*
 * The preview report: what merging head into base does to every machine. `--format json` prints
 * it as is; the Markdown and text renderers only format it. Plain data, deterministic, and free
 * of secrets by construction (passCommand values and URL credentials never enter it).
 */

/**
 * A compiled resource kind, `state` (a state's folders; its scripts are the hook resources), or
 * `receiver` (a notification receiver: a declaration with nothing installed).
 */
export type PreviewKind = ResourceKind | 'state' | DeclaredKind;

export type ChangeType = 'added' | 'changed' | 'removed';

export type { FilePatch, SettingChange } from '../engine/describe/model.js';

export interface ResourceChange {
  /** The resource id of `compile` (`hook/pre-backup-linkding`), or `state/<name>`. */
  id: string;
  kind: PreviewKind;
  change: ChangeType;
  /** Deletes something (a hook, a job, a key line, archives) or stops backing something up. */
  destructive: boolean;
  /** One line for people. */
  summary: string;
  settings: SettingChange[];
  files: FilePatch[];
}

/** The archives a retention change prunes on one destination, from observed archive lists. */
export interface PrunePreview {
  destination: string;
  /** Only this machine's and this destination's archives (`<machine>-<destination>-<time>`). */
  archivePrefix: string;
  /** The instant retention is evaluated at (ISO 8601, UTC): see `--now` and the snapshot format. */
  at: string;
  /** This machine's archives observed on the destination. */
  total: number;
  kept: number;
  /** Archives head's rules prune, newest first: what an apply of head deletes. */
  pruned: string[];
  /** How many of `pruned` the base rules would prune too (due anyway, not caused by this change). */
  dueAnyway: number;
}

export type MachineStatus = 'added' | 'removed' | 'changed';

export interface MachineCounts {
  additions: number;
  changes: number;
  removals: number;
  destructive: number;
  archivesPruned: number;
}

export interface MachinePreview {
  machine: string;
  status: MachineStatus;
  counts: MachineCounts;
  /** In compile's resource order (kind, then id), states first. */
  changes: ResourceChange[];
  prunes: PrunePreview[];
  /** What the safety guards would refuse when this machine applies head (apply exits 3). */
  refusals: Refusal[];
  /** Things left alone on purpose, and consequences worth knowing. */
  notes: string[];
  /** compile warnings at head that base did not have. */
  warnings: string[];
  /** This machine's declared scheduler backend, when its schedule files are shown with it rather than the report's. */
  scheduler?: string;
}

export interface PreviewSide {
  ref: string;
  commit: string;
}

export interface PreviewReport {
  version: 1;
  base: PreviewSide & {
    valid: boolean;
    /** Errors of an invalid base (it is then compared as if it declared nothing). */
    errors: number;
  };
  head: PreviewSide & { valid: boolean };
  /** Every problem of head, errors and warnings, as `validate` reports them. */
  problems: Problem[];
  /** The scheduler backend whose files the schedule diffs show. */
  scheduler: string;
  /** Machines with an observed snapshot (sorted); null without `--observed`. */
  observed: string[] | null;
  summary: MachineCounts & {
    /** Machines declared at head. */
    machines: number;
    /** Machines that change (the length of `machines` below). */
    changed: number;
    refusals: number;
    /** Series the fleet's Prometheus rules expect (`borgops fleet targets`) that this change adds or removes. */
    expectedSeries: { added: number; removed: number };
  };
  /** Only machines that change, sorted by name. */
  machines: MachinePreview[];
}

/** 0 no change, 2 changes, 1 head invalid, 3 a guard would refuse (design.md: the command line). */
export function previewExitCode(report: PreviewReport): number {
  if (!report.head.valid) return 1;
  if (report.summary.refusals > 0) return 3;
  return report.machines.length > 0 ? 2 : 0;
}
