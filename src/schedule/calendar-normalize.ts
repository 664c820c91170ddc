import { type CalendarComponent, type CalendarField, MAX_YEAR, MIN_YEAR } from './calendar-spec.js';

export type FieldName = 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second';

/** Two-digit years as systemd reads them: 0..69 → 2000..2069, 70..99 → 1970..1999. */
export function fullYear(value: number): number {
  if (value < 70) return value + 2000;
  if (value < 100) return value + 1900;
  return value;
}

function compareComponents(a: CalendarComponent, b: CalendarComponent): number {
  return a.start - b.start || (a.stop ?? -1) - (b.stop ?? -1) || a.repeat - b.repeat;
}

/**
 * systemd's normalization of one field: a range is cut to a whole number of repetitions, a
 * repetition that cannot happen even once and a range of one value become single values, and
 * the list is sorted without duplicates.
 */
export function normalizeField(field: readonly CalendarComponent[]): CalendarComponent[] {
  const normalized = field.map((component): CalendarComponent => {
    let { start, stop, repeat } = component;
    if (stop !== undefined && stop > start && repeat > 0) stop -= (stop - start) % repeat;
    if (stop !== undefined && ((stop > start && repeat > 0 && start + repeat > stop) || stop === start)) {
      stop = undefined;
      repeat = 0;
    }
    return stop === undefined ? { start, repeat } : { start, stop, repeat };
  });
  normalized.sort(compareComponents);
  return normalized.filter((component, index) => {
    const previous = normalized[index - 1];
    return previous === undefined || compareComponents(previous, component) !== 0;
  });
}

const bounds = {
  year: [MIN_YEAR, MAX_YEAR],
  month: [1, 12],
  day: [1, 31],
  hour: [0, 23],
  minute: [0, 59],
  second: [0, 59],
} as const satisfies Record<FieldName, readonly [number, number]>;

function show(component: CalendarComponent, endOfMonth: boolean): string {
  const mark = endOfMonth ? '~' : '';
  const range = component.stop === undefined ? '' : `..${component.stop}`;
  const repeat = component.repeat > 0 && !(component.stop !== undefined && component.repeat === 1);
  return `${mark}${component.start}${range}${repeat ? `/${component.repeat}` : ''}`;
}

/** Why systemd refuses a normalized field, or undefined when it accepts it. */
export function fieldProblem(name: FieldName, field: CalendarField, endOfMonth = false): string | undefined {
  const [from, maxTo] = bounds[name];
  // days counted back from the end of the month reach at most 28 back, as February has 28
  const to = endOfMonth ? maxTo - 3 : maxTo;
  const range = endOfMonth ? `~${from}..~${to}` : `${from}..${to}`;
  for (const component of field ?? []) {
    const written = `${name} ${show(component, endOfMonth)}`;
    const { start, stop, repeat } = component;
    if (start < from || start > to)
      return `${name} ${endOfMonth ? '~' : ''}${start} is out of range ${range}`;
    if (stop !== undefined && (stop < from || stop > to)) {
      return `${name} ${endOfMonth ? '~' : ''}${stop} is out of range ${range}`;
    }
    if (repeat > to - from) return `${written}: the repetition is larger than ${range} allows`;
    if (stop !== undefined && start + repeat > stop) return `${written}: the range runs backwards`;
    if (stop === undefined && endOfMonth && start - repeat < from) {
      return `${written}: the repetition must be smaller than ${start} to fit before the end of the month`;
    }
    if (stop === undefined && !endOfMonth && start + repeat > to) {
      return `${written}: the repetition never fits within ${range}`;
    }
  }
  return undefined;
}
