import { formatDuration } from './duration.js';

/** `1 archive`, `2 archives`; `many` for the irregular plurals (`1 process`, `2 processes`). */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** The indefinite article before a word: `an embedded`, `a systemd`. */
export function article(word: string): string {
  return `${/^[aeiou]/i.test(word) ? 'an' : 'a'} ${word}`;
}

/** Time since an instant in one unit a reader compares at a glance: `45s`, `2m`, `3h`, `4d` ago. */
export function ago(now: Date, at: string): string {
  return formatDuration((now.getTime() - Date.parse(at)) / 1000, 'ago');
}
