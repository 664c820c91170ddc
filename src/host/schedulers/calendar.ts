import { BorgopsError } from '../../errors.js';
import { shiftCalendars } from '../../schedule/calendar-shift.js';
import type { ScheduledJob } from './types.js';

/** The calendar a job really runs on: `startAt` with the stagger added into it (validation refuses what cannot be). */
export function staggeredCalendar(
  job: Pick<ScheduledJob, 'destination' | 'startAt' | 'staggerSeconds'>,
): string[] {
  const shifted = shiftCalendars(job.startAt, job.staggerSeconds);
  if (!shifted.ok) throw new BorgopsError('E_CONFIG', `schedule of ${job.destination}: ${shifted.message}`);
  return shifted.expressions;
}
