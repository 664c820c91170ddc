// The one duration grammar where borgops owns the syntax: flags and config alike.

export const DURATION_UNITS = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 } as const;

/** `0`, or a positive integer and s, m, h, d or w: `30s`, `5m`, `2h`, `1d`, `1w`. */
export const DURATION_PATTERN = /^(0|[1-9][0-9]*[smhdw])$/;

export const DURATION_RULE =
  'a duration: 0 or a positive integer followed by s, m, h, d or w (e.g. "30s", "5m", "2h", "1d", "1w")';

/** Seconds in a duration; on the command line a plain number keeps meaning seconds. Undefined if malformed. */
export function parseDuration(text: string, options: { plainSeconds?: boolean } = {}): number | undefined {
  const value = text.trim();
  if (options.plainSeconds && /^[0-9]+(\.[0-9]+)?$/.test(value)) return Number(value);
  if (!DURATION_PATTERN.test(value)) return undefined;
  if (value === '0') return 0;
  return Number(value.slice(0, -1)) * DURATION_UNITS[value.slice(-1) as keyof typeof DURATION_UNITS];
}

/** A hint when a duration was written in another grammar people know (`5min`, `2 h`, `1H`). */
export function durationHint(text: string): string | undefined {
  const match = /^([0-9]+)\s*([a-zA-Z]+)$/.exec(text.trim());
  if (!match) return undefined;
  const unit = match[2]!.toLowerCase();
  const known: Record<string, string> = {
    sec: 's',
    secs: 's',
    second: 's',
    seconds: 's',
    min: 'm',
    mins: 'm',
    minute: 'm',
    minutes: 'm',
    hr: 'h',
    hrs: 'h',
    hour: 'h',
    hours: 'h',
    day: 'd',
    days: 'd',
    week: 'w',
    weeks: 'w',
    s: 's',
    m: 'm',
    h: 'h',
    d: 'd',
    w: 'w',
  };
  const short = known[unit];
  return short === undefined ? undefined : `did you mean "${Number(match[1])}${short}"?`;
}
