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

/**
 * The one duration formatter. Each style keeps the wording its output always had:
 * - `exact`: every unit, for staggers and offsets (1234 → `20m34s`, 0 → `0s`, 90061 → `1d1h1m1s`);
 * - `elapsed`: how long a run took (`1.5 s`, `2 min 3 s`);
 * - `age`: an age or a max age, rounded to its largest unit (`45s`, `45m`, `3h`, `2d`);
 * - `ago`: how long since, in one unit a reader compares at a glance (`45s ago`, `1m ago`, `3h ago`, `4d ago`).
 */
export type DurationStyle = 'exact' | 'elapsed' | 'age' | 'ago';

const UNITS = [
  ['d', 86_400],
  ['h', 3600],
  ['m', 60],
  ['s', 1],
] as const;

function exact(seconds: number): string {
  const parts: string[] = [];
  let rest = seconds;
  for (const [unit, size] of UNITS) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0) parts.push(`${count}${unit}`);
  }
  return parts.length === 0 ? '0s' : parts.join('');
}

/** Rounded to the largest unit `seconds` holds one of. */
function rounded(seconds: number): string {
  for (const [unit, size] of UNITS) {
    if (seconds >= size) return `${Math.round(seconds / size)}${unit}`;
  }
  return `${Math.round(seconds)}s`;
}

/** Seconds under a minute, then whole minutes, hours or days (never 102s beside 2m). */
function since(seconds: number): string {
  const elapsed = Math.max(0, seconds);
  if (elapsed < 60) return `${Math.round(elapsed)}s ago`;
  for (const [unit, size] of UNITS) {
    if (elapsed >= size) return `${Math.floor(elapsed / size)}${unit} ago`;
  }
  return `${Math.round(elapsed)}s ago`;
}

export function formatDuration(seconds: number, style: DurationStyle = 'exact'): string {
  switch (style) {
    case 'exact':
      return exact(seconds);
    case 'elapsed':
      return seconds < 60
        ? `${seconds.toFixed(1)} s`
        : `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
    case 'age':
      return rounded(seconds);
    case 'ago':
      return since(seconds);
  }
}
