import { parseCalendar } from './calendar-parse.js';
import { type CalendarField, type CalendarSpec, WEEKDAY_NAMES } from './calendar-spec.js';

function formatWeekdays(bits: number): string {
  const runs: string[] = [];
  let day = 0;
  while (day < 7) {
    if (!(bits & (1 << day))) {
      day++;
      continue;
    }
    let last = day;
    while (last + 1 < 7 && bits & (1 << (last + 1))) last++;
    const [first, end] = [WEEKDAY_NAMES[day], WEEKDAY_NAMES[last]];
    if (last === day) runs.push(`${first}`);
    else runs.push(`${first}${last === day + 1 ? ',' : '..'}${end}`);
    day = last + 1;
  }
  return runs.join(',');
}

function formatField(field: CalendarField, width: number, seconds = false): string {
  if (field === undefined) return '*';
  // systemd stores seconds "*" as 0/1 and prints a list holding 0/1 as "*" (`0/1,3,5` → `*`)
  if (seconds && field.some(({ start, stop, repeat }) => start === 0 && stop === undefined && repeat === 1)) {
    return '*';
  }
  const pad = (value: number) => String(value).padStart(width, '0');
  return field
    .map(({ start, stop, repeat }) => {
      const range = stop === undefined ? '' : `..${pad(stop)}`;
      const step = repeat > 0 && !(stop !== undefined && repeat === 1) ? `/${repeat}` : '';
      return `${pad(start)}${range}${step}`;
    })
    .join(',');
}

/** The normalized form systemd prints for a spec (`systemd-analyze calendar`, "Normalized form:"). */
export function formatCalendar(spec: CalendarSpec): string {
  const weekdays = spec.weekdays === undefined ? '' : `${formatWeekdays(spec.weekdays)} `;
  const date = `${formatField(spec.year, 4)}-${formatField(spec.month, 2)}${spec.endOfMonth ? '~' : '-'}${formatField(spec.day, 2)}`;
  const time = `${formatField(spec.hour, 2)}:${formatField(spec.minute, 2)}:${formatField(spec.second, 2, true)}`;
  const zone = spec.timeZone === undefined ? '' : ` ${spec.timeZone}`;
  return `${weekdays}${date} ${time}${zone}`;
}

export type CalendarNormalize = { ok: true; normalized: string } | { ok: false; message: string };

/** systemd's normalized form of an expression (`daily` → `*-*-* 00:00:00`), or why it is refused. */
export function normalizeCalendar(expression: string): CalendarNormalize {
  const parsed = parseCalendar(expression);
  return parsed.ok ? { ok: true, normalized: formatCalendar(parsed.spec) } : parsed;
}
