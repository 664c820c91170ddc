/**
 * The one duration formatter. Each style keeps the wording its output always had:
 * - `exact`: every unit, for staggers and offsets (1234 → `20m34s`, 0 → `0s`, 90061 → `1d1h1m1s`);
 * - `elapsed`: how long a run took (`1.5 s`, `2 min 3 s`);
 * - `age`: an age or a max age, rounded to its largest unit (`45s`, `45m`, `3h`, `2d`);
 * - `ago`: how long since, rounded to a unit it is at least two of (`90s ago`, `5m ago`, `3d ago`).
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

/** Rounded to the largest unit of which `seconds` holds at least `least` (never below `smallest`). */
function rounded(seconds: number, least: number, smallest: 's'): string {
  for (const [unit, size] of UNITS) {
    if (seconds >= least * size || unit === smallest) return `${Math.round(seconds / size)}${unit}`;
  }
  return `${Math.round(seconds)}s`;
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
      return rounded(seconds, 1, 's');
    case 'ago':
      return `${rounded(Math.max(0, seconds), 2, 's')} ago`;
  }
}
