/**
 * Names of machines, instances, destinations and states end up in file names, systemd unit
 * names, archive names and argv; this is the one rule they all share (clan's is
 * `^[a-zA-Z0-9._-]+$`; we also refuse a leading `.` or `-`, which would be hidden files or flags).
 */
export const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/;

export const NAME_RULE =
  'letters, digits, ".", "_" and "-", starting with a letter or digit, at most 64 characters';

export function isSafeName(name: string): boolean {
  return NAME_PATTERN.test(name);
}

/** The archive-name prefix clan uses for a machine's backups to one destination. */
export function archivePrefix(machine: string, destination: string): string {
  return `${machine}-${destination}-`;
}

/** clan's archive time: local wall-clock `YYYY-MM-DDTHH:MM:SS` (`date +%Y-%m-%dT%H:%M:%S`). */
export function archiveTimestamp(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}
