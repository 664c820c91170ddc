import { movedScheduleId, parseResourceId, resourceId } from '../../../src/desired/ids.js';
import { jobKey, parseJobKey } from '../../../src/desired/jobs.js';
import { BorgopsError } from '../../../src/errors.js';
import type { Ledger } from '../../../src/host/ledger.js';
import {
  type JobFile,
  keyOf,
  type ObservedJob,
  type ScheduledJob,
  type Scheduler,
  sameJobFiles,
} from '../../../src/host/schedulers/types.js';
import { formatDuration } from '../../../src/util/duration.js';
import { article } from '../../../src/util/words.js';
import type { FilePatch } from '../describe/model.js';
import { patches } from '../describe/patch.js';
import { scheduleSettings } from '../describe/settings.js';
import type { BaseAction, FileDiff } from '../model.js';
import {
  type ApplyRuntime,
  type KindModule,
  ledgerIds,
  ofKind,
  type PlanInput,
  type PlanOutput,
  type PreviewContext,
  type ResourceOf,
} from './kind.js';

/**
 * A destination's backup job with the active scheduler backend (systemd, cron, embedded). A job
 * left on a backend the machine moved away from stays in the ledger as
 * `schedule/<destination>@<backend>` until it is removed.
 */

export type ScheduleAction =
  | (BaseAction & { op: 'schedule.install'; kind: 'schedule'; job: ScheduledJob; diffs: FileDiff[] })
  | (BaseAction & {
      op: 'schedule.remove';
      kind: 'schedule';
      destination: string;
      backend: string;
      diffs: FileDiff[];
    });

type ObservedSchedules = {
  /** The active backend's name. */
  scheduler: string;
  /** Jobs of the active backend, and of other backends the ledger says borgops installed (`<backend>:<destination>`). */
  schedules: Record<string, ObservedJob>;
};

function fileDiffs(before: readonly JobFile[], after: readonly JobFile[]): FileDiff[] {
  const paths = [...new Set([...before.map((f) => f.path), ...after.map((f) => f.path)])].sort();
  return paths.map((path) => ({
    path,
    before: before.find((f) => f.path === path)?.content ?? '',
    after: after.find((f) => f.path === path)?.content ?? '',
  }));
}

/** `job` for a backup job, `drill job` for a drill next to it. */
function jobWord(job: ResourceOf<'schedule'>['job']): string {
  return job === undefined ? 'job' : `${job} job`;
}

/** The key a backend files a job under: the destination for its backup, `<kind>:<d>` for the others. */
function keyOfResource(schedule: ResourceOf<'schedule'>): string {
  return jobKey(schedule.job ?? 'backup', schedule.destination);
}

function installSummary(
  schedule: ResourceOf<'schedule'>,
  found: ObservedJob | undefined,
  changed: boolean,
  scheduler: string,
): string {
  const destination = schedule.destination;
  const what = jobWord(schedule.job);
  if (!found) {
    const stagger =
      schedule.staggerSeconds > 0 ? `, stagger +${formatDuration(schedule.staggerSeconds)}` : '';
    return `install ${article(scheduler)} ${what} for ${destination} (${schedule.startAt.join(', ')}${stagger})`;
  }
  const reason = found.reason ?? 'inactive';
  if (changed)
    return `update the ${scheduler} ${what} of ${destination}${found.active ? '' : ` and re-activate it: ${reason}`}`;
  return `re-activate the ${scheduler} ${what} of ${destination}: ${reason}`;
}

function planInstalls({ desired, actual, options }: PlanInput, out: PlanOutput): void {
  for (const schedule of ofKind(desired, 'schedule')) {
    const key = keyOfResource(schedule);
    const job: ScheduledJob = {
      machine: desired.machine,
      destination: schedule.destination,
      ...(schedule.job === undefined ? {} : { kind: schedule.job }),
      startAt: schedule.startAt,
      staggerSeconds: schedule.staggerSeconds,
      command: options.jobCommand(key),
    };
    const files = options.renderJob(job);
    const found = actual.schedules[key];
    if (found?.active && sameJobFiles(found.files, files)) continue;
    const changed = found !== undefined && !sameJobFiles(found.files, files);
    out.actions.push({
      op: 'schedule.install',
      id: schedule.id,
      kind: 'schedule',
      job,
      diffs: fileDiffs(found?.files ?? [], files).filter((diff) => diff.before !== diff.after),
      effect: found ? 'mutating' : 'additive',
      summary: installSummary(schedule, found, changed, actual.scheduler),
    });
  }
}

function removeSummary(
  found: ObservedJob | undefined,
  destination: string,
  backend: string,
  { actual, desired }: PlanInput,
) {
  const active = actual.scheduler;
  // `destination` is the job's key: `check:local` is the check job of local
  const job = parseJobKey(destination);
  const what = job.kind === 'backup' ? 'job' : `${job.kind} job`;
  if (!found) return `forget the ${backend} ${what} of ${job.destination}: it is already gone`;
  const why =
    desired.states.length === 0
      ? 'no state to back up any more'
      : job.kind !== 'backup'
        ? `no ${job.kind} is declared for it`
        : 'its destination is gone';
  if (backend === active) return `remove the ${backend} ${what} of ${job.destination} (${why})`;
  return `remove the ${backend} ${what} of ${job.destination} (the scheduler is now ${active})`;
}

function planRemovals(input: PlanInput, out: PlanOutput): void {
  const { actual, declared } = input;
  const removals = new Set<string>();
  for (const id of ledgerIds(actual, 'schedule')) {
    const entry = actual.ledger.entries[id]!;
    // `schedule/<d>` is the current job; `schedule/<d>@<backend>` one of a backend it was moved away from
    const { name: destination, backend: previous } = parseResourceId(id);
    const backend = previous ?? entry.backend ?? actual.scheduler;
    const sameBackend = backend === actual.scheduler;
    const current = resourceId('schedule', destination);
    if (sameBackend && declared.has(current)) continue;
    const actionId = sameBackend ? current : movedScheduleId(destination, backend);
    if (removals.has(actionId)) continue;
    removals.add(actionId);
    const found = actual.schedules[sameBackend ? destination : `${backend}:${destination}`];
    out.actions.push({
      op: 'schedule.remove',
      id: actionId,
      kind: 'schedule',
      destination,
      backend,
      diffs: fileDiffs(found?.files ?? [], []),
      effect: 'destructive',
      summary: removeSummary(found, destination, backend, input),
    });
  }
}

async function install(action: Extract<ScheduleAction, { op: 'schedule.install' }>, runtime: ApplyRuntime) {
  const { context, ledger, record } = runtime;
  const active = context.scheduler.name;
  const previous = ledger.entries[action.id];
  // a job moving to another backend: the old one stays in the ledger until it is removed
  if (previous?.backend !== undefined && previous.backend !== active) {
    await record(movedScheduleId(keyOf(action.job), previous.backend), {
      kind: 'schedule',
      backend: previous.backend,
      ...(previous.paths === undefined ? {} : { paths: previous.paths }),
    });
  }
  await record(action.id, { kind: 'schedule', backend: active });
  const written = await context.scheduler.install(action.job);
  await record(action.id, { kind: 'schedule', backend: active, paths: written });
}

async function remove(action: Extract<ScheduleAction, { op: 'schedule.remove' }>, runtime: ApplyRuntime) {
  const { context, ledger, record } = runtime;
  const scheduler =
    action.backend === context.scheduler.name ? context.scheduler : context.schedulers?.[action.backend];
  if (!scheduler) throw new BorgopsError('E_HOST', `no ${action.backend} scheduler to remove the job from`);
  await scheduler.remove(action.destination);
  const id = resourceId('schedule', action.destination);
  const moved = movedScheduleId(action.destination, action.backend);
  if (ledger.entries[id]?.backend === action.backend) await record(id, undefined);
  if (ledger.entries[moved]) await record(moved, undefined);
}

function jobFiles(item: ResourceOf<'schedule'>, context: PreviewContext): JobFile[] {
  return context.renderSchedule({
    machine: context.machine,
    destination: item.destination,
    ...(item.job === undefined ? {} : { kind: item.job }),
    startAt: item.startAt,
    staggerSeconds: item.staggerSeconds,
    command: context.jobCommand(context.machine, keyOfResource(item)),
  });
}

async function observeSchedules(
  scheduler: Scheduler,
  others: Record<string, Scheduler> | undefined,
  ledger: Ledger,
): Promise<ObservedSchedules> {
  const schedules: Record<string, ObservedJob> = {};
  for (const job of await scheduler.observe()) schedules[job.destination] = job;
  const otherBackends = new Set(
    Object.values(ledger.entries)
      .filter(
        (entry) =>
          entry.kind === 'schedule' && entry.backend !== undefined && entry.backend !== scheduler.name,
      )
      .map((entry) => entry.backend!),
  );
  for (const backend of otherBackends) {
    const other = others?.[backend];
    if (!other) continue;
    for (const job of await other.observe()) schedules[`${backend}:${job.destination}`] = job;
  }
  return { scheduler: scheduler.name, schedules };
}

export const schedule: KindModule<ScheduleAction, ObservedSchedules, ResourceOf<'schedule'>> = {
  kind: 'schedule',

  observe: ({ context, ledger }) => observeSchedules(context.scheduler, context.schedulers, ledger),

  plan(input, out) {
    planInstalls(input, out);
    planRemovals(input, out);
  },

  apply: (action, runtime) =>
    action.op === 'schedule.install' ? install(action, runtime) : remove(action, runtime),

  // a job is installed even when its repository could not be set up now: each backup tries again and reports
  runsAfterFailedDestination: true,

  settle(resource, { context, ledger, stamp }) {
    if (ledger.entries[resource.id]) return;
    ledger.entries[resource.id] = { kind: 'schedule', backend: context.scheduler.name, appliedAt: stamp() };
  },

  preview: {
    added: (item, context) => ({
      summary: `install ${article(context.scheduler)} ${jobWord(item.job)} for ${item.destination} (${item.startAt.join(', ')})`,
      files: () => patches([], jobFiles(item, context)),
    }),
    removed: (item, context) => ({
      summary: `remove the ${context.scheduler} ${jobWord(item.job)} of ${item.destination}`,
      files: () => patches(jobFiles(item, context), []),
      destructive: true,
    }),
    changed(before, after, context) {
      const settings = scheduleSettings(after.destination, before, after);
      let rendered: FilePatch[] | undefined;
      const files = () => {
        rendered ??= patches(jobFiles(before, context), jobFiles(after, context));
        return rendered;
      };
      // a changed setting is a change; only without one must the files be rendered to know
      if (settings.length === 0 && files().length === 0) return undefined;
      return {
        summary: `update the ${context.scheduler} ${jobWord(after.job)} of ${after.destination}`,
        settings,
        files,
      };
    },
  },
};
