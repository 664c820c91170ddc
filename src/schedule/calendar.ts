/**
 * systemd calendar expressions (OnCalendar=, clan's startAt) in pure TypeScript: parse,
 * normalize, and compute elapses as systemd 252 does. No npm library implements systemd's
 * syntax; cron libraries read another one.
 */
export { type CalendarNormalize, formatCalendar, normalizeCalendar } from './calendar-format.js';
export {
  type CalendarListParse,
  estimateInterval,
  type IntervalOptions,
  nextElapseOfAny,
  nextElapsesOfAny,
  parseCalendars,
} from './calendar-list.js';
export { nextElapse, nextElapses } from './calendar-next.js';
export { type CalendarParse, parseCalendar } from './calendar-parse.js';
export { type CalendarShift, shiftCalendars } from './calendar-shift.js';
export type { CalendarComponent, CalendarField, CalendarSpec } from './calendar-spec.js';
