import type { Command } from 'commander';
import { formatDuration } from '../../../src/util/duration.js';
import { localTime } from '../../../src/util/local-time.js';
import { listSchedules, type ScheduleList } from '../../operations/schedule-list.js';
import { type Io, printJson } from '../io.js';
import { machineToActFor } from '../machine.js';
import { globalOptions } from '../options.js';

export function formatScheduleList(list: ScheduleList): string {
  const at = list.commit === null ? '' : ` at ${list.commit.slice(0, 12)}`;
  const lines = [`Backup jobs of ${list.machine}, as applied${at} on ${localTime(list.appliedAt)}:`, ''];
  if (list.jobs.length === 0) return `${lines[0]}\n  none (no destination, or no state to back up)\n`;
  const rows = [
    ['DESTINATION', 'JOB', 'BACKEND', 'CALENDAR', 'STAGGER', 'RUNS AT', 'NEXT RUN', 'LAST RUN', 'STATE'],
    ...list.jobs.map((job) => [
      job.destination,
      job.job,
      job.backend ?? '-',
      job.startAt.join(', '),
      formatDuration(job.staggerSeconds),
      job.runsAt.join(', '),
      job.nextRun === null ? 'never' : `${localTime(job.nextRun)}${job.due ? ' (due now)' : ''}`,
      job.lastRun === null ? '-' : localTime(job.lastRun),
      job.state,
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows)
    lines.push(
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
  return `${lines.join('\n')}\n`;
}

export function registerSchedule(program: Command, io: Io): void {
  const schedule = program.command('schedule').description("inspect this machine's backup schedules");
  schedule
    .command('list')
    .description(
      'list the backup jobs of this machine from the last applied declarations (not git): backend, calendar, ' +
        'stagger, next run, last run, and whether the job on the host is as apply installed it',
    )
    .action(async (_options: unknown, command: Command) => {
      const options = globalOptions(command);
      const list = await listSchedules({
        machine: await machineToActFor(command, options),
        paths: options.paths,
        now: new Date(),
      });
      if (options.json) printJson(io, list);
      else io.out(formatScheduleList(list));
    });
}
