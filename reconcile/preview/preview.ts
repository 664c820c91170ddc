// preview/: the model of a pull request's planned changes, base against head, per machine; built
// on engine/ only, and turned into text by render/ (ARCHITECTURE.md).
import type { LoadResult } from '../../src/config/load.js';
import type { Declarations } from '../../src/config/model.js';
import { hasErrors } from '../../src/config/problem.js';
import { compile, compileInputs, declares } from '../../src/desired/compile.js';
import { expectedSeriesOf } from '../../src/desired/expected-series.js';
import { jobArguments } from '../../src/desired/jobs.js';
import type { DesiredMachine } from '../../src/desired/types.js';
import type { HostPaths } from '../../src/host/paths.js';
import type { JobFile, ScheduledJob } from '../../src/host/schedulers/types.js';
import { compareStrings } from '../../src/util/compare.js';
import { sameData } from '../../src/util/same-data.js';
import { redactValue } from '../engine/describe/redact.js';
import { previewMachine } from './machine.js';
import type { MachinePreview, PreviewReport } from './model.js';
import type { ObservedFleet } from './observed.js';
import { PREVIEW_PATHS } from './renderers.js';

export interface PreviewSideInput {
  ref: string;
  commit: string;
  result: LoadResult;
}

export interface PreviewInput {
  base: PreviewSideInput;
  head: PreviewSideInput;
  observed?: ObservedFleet;
}

export interface PreviewOptions {
  /** The scheduler backend whose files `renderSchedule` writes (named in the report). */
  scheduler: string;
  /** Renders a job to its files (Scheduler.render of a backend): the lead plugs systemd in here. */
  renderSchedule(job: ScheduledJob): JobFile[];
  /**
   * Backends by name: a machine that declares `scheduler: systemd|embedded` (at head, else at
   * base) is shown with that backend's files; auto and undeclared use `renderSchedule`.
   */
  renderers?: Readonly<Record<string, (job: ScheduledJob) => JobFile[]>>;
  /** `--scheduler` was given: every machine uses `renderSchedule`, declared settings are overridden. */
  explicit?: boolean;
  /** Called for each changed machine whose declared scheduler `--scheduler` overrides. */
  onOverride?(machine: string, declared: string): void;
  /** argv of a job's backup command; default `borgops backups create <machine> --destination <d>`. */
  jobCommand?(machine: string, destination: string): string[];
  /** Host paths the diffs name; default those of `--root /`. */
  paths?: HostPaths;
  /** Evaluate retention at this instant (default: the snapshot's observedAt, else its newest archive). */
  now?: Date;
}

/** The machine-independent command a previewed job runs (the real one names this host's node and paths). */
export function previewJobCommand(machine: string, key: string): string[] {
  return ['/usr/bin/borgops', ...jobArguments(machine, key)];
}

/** A compiled machine's expected series; none for a machine that has nothing to report. */
function seriesOf(desired: DesiredMachine | undefined): Set<string> {
  const reports = desired !== undefined && (desired.destinations.length > 0 || desired.served.length > 0);
  return new Set(reports ? expectedSeriesOf(desired) : []);
}

/** True when compile gives the same machine at base and head (it is then not compiled at all). */
function unchanged(base: Declarations | undefined, head: Declarations | undefined, machine: string): boolean {
  if (base === undefined || head === undefined) return false;
  return sameData(compileInputs(base, machine), compileInputs(head, machine));
}

function compiled(declarations: Declarations | undefined, machine: string): DesiredMachine | undefined {
  return declarations !== undefined && declares(declarations, machine)
    ? compile(declarations, machine)
    : undefined;
}

/**
 * base × head (× observed archives) → what merging head does to every machine. Pure: the same
 * inputs give the same report. An invalid base is compared as if it declared nothing; an
 * invalid head gives its problems and no machines.
 */
export function preview(input: PreviewInput, options: PreviewOptions): PreviewReport {
  const { base, head } = input;
  const headValid = head.result.declarations !== undefined && !hasErrors(head.result.problems);
  const baseErrors = base.result.problems.filter((p) => p.severity === 'error').length;
  const machines: MachinePreview[] = [];
  // only changed machines can change the fleet's expected series (unchanged ones count the same on both sides)
  const series = { added: 0, removed: 0 };
  if (headValid) {
    const before = base.result.declarations;
    const after = head.result.declarations;
    const names = [...new Set([...(before?.machines ?? []), ...(after?.machines ?? [])])].sort(
      compareStrings,
    );
    const context = {
      paths: options.paths ?? PREVIEW_PATHS,
      scheduler: options.scheduler,
      renderSchedule: options.renderSchedule,
      jobCommand: options.jobCommand ?? previewJobCommand,
      ...(input.observed ? { observed: input.observed } : {}),
      ...(options.now ? { now: options.now } : {}),
    };
    for (const machine of names) {
      if (unchanged(before, after, machine)) continue;
      const [was, will] = [compiled(before, machine), compiled(after, machine)];
      const [seriesBefore, seriesAfter] = [seriesOf(was), seriesOf(will)];
      for (const name of seriesAfter) if (!seriesBefore.has(name)) series.added++;
      for (const name of seriesBefore) if (!seriesAfter.has(name)) series.removed++;
      const declared = (will ?? was)?.scheduler;
      let machineContext = context;
      if (declared !== undefined && declared !== 'auto' && declared !== options.scheduler) {
        const render = options.renderers?.[declared];
        if (options.explicit) options.onOverride?.(machine, declared);
        else if (render) machineContext = { ...context, scheduler: declared, renderSchedule: render };
      }
      const result = previewMachine(machine, was, will, machineContext);
      if (result) machines.push(machineContext === context ? result : { ...result, scheduler: declared });
    }
  }
  const sum = (pick: (m: MachinePreview) => number) => machines.reduce((total, m) => total + pick(m), 0);
  return {
    version: 1,
    base: {
      ref: base.ref,
      commit: base.commit,
      valid: base.result.declarations !== undefined,
      errors: baseErrors,
    },
    head: { ref: head.ref, commit: head.commit, valid: headValid },
    // a problem may quote a declared value (a repository URL): no credentials in the report
    problems: head.result.problems.map((p) => ({ ...p, message: redactValue(p.message) })),
    scheduler: options.scheduler,
    observed: input.observed ? input.observed.machines : null,
    summary: {
      machines: head.result.declarations?.machines.length ?? 0,
      changed: machines.length,
      additions: sum((m) => m.counts.additions),
      changes: sum((m) => m.counts.changes),
      removals: sum((m) => m.counts.removals),
      destructive: sum((m) => m.counts.destructive),
      archivesPruned: sum((m) => m.counts.archivesPruned),
      refusals: sum((m) => m.refusals.length),
      expectedSeries: series,
    },
    machines,
  };
}
