import type { ResolvedReceiver } from '../../src/config/notify.js';
import { countNotifyFailure } from '../../src/host/notify-failures.js';
import type { HostPaths } from '../../src/host/paths.js';
import type { HookRun } from '../../src/host/run-hook.js';
import type { Logger } from '../../src/log.js';
import type { NotifyMessage } from '../../src/notify/message.js';
import { createNotifier, type Notifier } from '../../src/notify/notifier.js';
import { plural } from '../../src/util/words.js';
import type { DestinationResult } from './backup-destination.js';

/** A notifier whose failures are counted in the state directory (`borgops_notify_failures_total`). */
export function countingNotifier(
  paths: HostPaths,
  receivers: readonly ResolvedReceiver[],
  logger: Logger,
  retryDelaysMs?: readonly number[],
): Notifier {
  // receivers fail at once: their counts are read, changed and written one at a time
  let counting = Promise.resolve();
  return createNotifier({
    receivers,
    logger,
    ...(retryDelaysMs === undefined ? {} : { retryDelaysMs }),
    onFailure: (report) => {
      const next = counting.then(() =>
        countNotifyFailure(paths.notify, {
          receiver: report.receiver,
          event: report.event,
          error: report.error ?? 'failed',
        }),
      );
      counting = next.catch(() => undefined);
      return next;
    },
  });
}

/** What a run looks like when it is over, for the result messages. */
export interface FinishedRun {
  machine: string;
  commit?: string;
  startedAt: string;
  interrupted: boolean;
  preBackup: readonly HookRun[];
  postBackup: readonly HookRun[];
}

function hookLog(hooks: readonly HookRun[]): string[] {
  return hooks.flatMap((hook) => {
    const head = hook.ok
      ? `${hook.name}: ok (${hook.durationSeconds.toFixed(1)} s)`
      : `${hook.name}: failed: ${hook.error}`;
    const output = hook.output.replace(/\n$/, '');
    return output === '' ? [head] : [head, ...output.split('\n').map((line) => `  | ${line}`)];
  });
}

function destinationLog(result: DestinationResult): string[] {
  const lines: string[] = [];
  if (result.status === 'created') {
    const stats = result.stats
      ? ` (${result.stats.files} files, ${result.stats.originalSize} bytes, ${result.stats.deduplicatedSize} new)`
      : '';
    lines.push(
      `${result.destination}: created ${result.archive}${stats} in ${result.durationSeconds.toFixed(1)} s`,
    );
    if (result.pruned.length > 0) lines.push(`${result.destination}: pruned ${result.pruned.join(', ')}`);
    if (result.error) lines.push(`${result.destination}: ${result.error.message}`);
  } else {
    lines.push(`${result.destination}: ${result.status}: ${result.error?.message ?? result.status}`);
  }
  for (const warning of result.warnings) lines.push(`${result.destination}: warning: ${warning}`);
  return lines;
}

/** The run's log as one destination's receivers see it: the scripts, then this destination. */
export function runLog(run: FinishedRun, result: DestinationResult | undefined): string {
  const commit = run.commit === undefined ? '' : ` at ${run.commit.slice(0, 12)}`;
  return `${[
    `borgops backups create ${run.machine}${commit}, started ${run.startedAt}`,
    ...hookLog(run.preBackup),
    ...(result === undefined ? [] : destinationLog(result)),
    ...hookLog(run.postBackup),
    ...(run.interrupted ? ['interrupted'] : []),
  ].join('\n')}\n`;
}

export function startMessage(
  machine: string,
  destination: string,
  commit: string | undefined,
): NotifyMessage {
  return {
    event: 'start',
    result: 'started',
    machine,
    destination,
    ...(commit === undefined ? {} : { commit }),
    warnings: [],
    summary: `${machine}/${destination}: backup started`,
    log: '',
    at: new Date().toISOString(),
  };
}

/** The end of a run for one destination: success, warn (borg exit 1, warnings) or fail. */
export function resultMessage(run: FinishedRun, result: DestinationResult): NotifyMessage {
  const what = `${run.machine}/${result.destination}`;
  const failedPre = run.preBackup.filter((hook) => !hook.ok);
  const failedPost = run.postBackup.filter((hook) => !hook.ok);
  const base = {
    machine: run.machine,
    destination: result.destination,
    ...(result.archive === undefined ? {} : { archive: result.archive }),
    durationSeconds: result.durationSeconds,
    warnings: [...result.warnings, ...failedPost.map((hook) => `${hook.name} failed: ${hook.error}`)],
    ...(run.commit === undefined ? {} : { commit: run.commit }),
    log: runLog(run, result),
    at: new Date().toISOString(),
  };
  const failure =
    run.interrupted || result.status === 'aborted'
      ? 'aborted'
      : failedPre.length > 0
        ? 'pre-backup'
        : result.status !== 'created' || result.error
          ? (result.error?.failure ?? 'other')
          : failedPost.length > 0
            ? 'post-backup'
            : undefined;
  if (failure !== undefined) {
    const why =
      result.error?.message ?? failedPost.map((hook) => `${hook.name} failed: ${hook.error}`).join('; ');
    return { ...base, event: 'fail', result: 'failure', failure, summary: `${what}: backup failed: ${why}` };
  }
  if (result.warnings.length > 0) {
    return {
      ...base,
      event: 'warn',
      result: 'warning',
      summary: `${what}: backed up ${result.archive} with ${plural(result.warnings.length, 'warning')}`,
    };
  }
  return { ...base, event: 'success', result: 'success', summary: `${what}: backed up ${result.archive}` };
}
