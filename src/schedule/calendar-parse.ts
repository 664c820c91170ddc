import { CalendarRejection, type Draft, readBody, reject } from './calendar-grammar.js';
import { fieldProblem, fullYear, normalizeField } from './calendar-normalize.js';
import {
  ACCEPTED_FORMS,
  ALL_WEEKDAYS,
  type CalendarSpec,
  SHORTHANDS,
  WEEKDAY_LONG_NAMES,
  WEEKDAY_NAMES,
} from './calendar-spec.js';
import { cronHint } from './cron-hint.js';
import { timeZoneNamed } from './time-zone.js';

export type CalendarParse = { ok: true; spec: CalendarSpec } | { ok: false; message: string };

/** A last word that can only have meant a time zone: Area/City, or an abbreviation such as CEST. */
function looksLikeZone(word: string): boolean {
  if (/^[A-Za-z][\w+-]*(\/[\w+-]+)+$/.test(word)) return true;
  return /^[A-Z]{3,5}$/.test(word) && !WEEKDAY_WORDS.has(word.toLowerCase());
}

const WEEKDAY_WORDS = new Set([...WEEKDAY_NAMES, ...WEEKDAY_LONG_NAMES].map((word) => word.toLowerCase()));

function readExpression(expression: string): CalendarSpec {
  if (expression.trim() === '') reject('the expression is empty');
  if (expression !== expression.trimStart()) reject('remove the leading spaces');
  let body = expression;
  let timeZone: string | undefined;
  if (/ utc$/i.test(expression)) {
    body = expression.slice(0, -4);
    timeZone = 'UTC';
  } else {
    const space = expression.lastIndexOf(' ');
    const tail = expression.slice(space + 1);
    if (space >= 0 && timeZoneNamed(tail) !== undefined) {
      body = expression.slice(0, space);
      timeZone = tail;
    } else if (space >= 0 && looksLikeZone(tail)) {
      reject(`unknown time zone "${tail}" (UTC or an IANA name such as Europe/Berlin)`);
    }
  }
  const shorthand = SHORTHANDS[body.toLowerCase() as keyof typeof SHORTHANDS] as string | undefined;
  let draft: Draft;
  try {
    draft = readBody(shorthand ?? body);
  } catch (error: unknown) {
    // systemd takes some trailing spaces ("Mon ") but not others ("daily ")
    if (error instanceof CalendarRejection && body !== body.trimEnd()) {
      reject(
        timeZone === undefined
          ? 'remove the trailing spaces'
          : `remove the extra spaces before "${timeZone}"`,
      );
    }
    throw error;
  }
  const year = draft.year?.map(({ start, stop, repeat }) => ({
    start: fullYear(start),
    repeat,
    ...(stop === undefined ? {} : { stop: fullYear(stop) }),
  }));
  const spec: CalendarSpec = {
    ...(draft.weekdays > 0 && draft.weekdays < ALL_WEEKDAYS ? { weekdays: draft.weekdays } : {}),
    year: year && normalizeField(year),
    month: draft.month && normalizeField(draft.month),
    day: draft.day && normalizeField(draft.day),
    endOfMonth: draft.endOfMonth && draft.day !== undefined,
    hour: draft.hour && normalizeField(draft.hour),
    minute: draft.minute && normalizeField(draft.minute),
    second: draft.second && normalizeField(draft.second),
    ...(draft.utc ? { timeZone: 'UTC' } : timeZone === undefined ? {} : { timeZone }),
  };
  for (const name of ['year', 'month', 'day', 'hour', 'minute', 'second'] as const) {
    const problem = fieldProblem(name, spec[name], name === 'day' && spec.endOfMonth);
    if (problem !== undefined) reject(problem);
  }
  return spec;
}

/**
 * Parses a systemd calendar expression (OnCalendar=, clan's startAt) as systemd 252 does,
 * or says why systemd would refuse it. Fractional seconds are refused here although systemd
 * takes them.
 */
export function parseCalendar(expression: string): CalendarParse {
  try {
    return { ok: true, spec: readExpression(expression) };
  } catch (error: unknown) {
    if (!(error instanceof CalendarRejection)) throw error;
    const hint = cronHint(expression, (calendar) => parseCalendar(calendar).ok);
    return {
      ok: false,
      message:
        hint ??
        `${JSON.stringify(expression)} is not a valid calendar expression: ${error.message}; ${ACCEPTED_FORMS}`,
    };
  }
}
