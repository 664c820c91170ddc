import { posix } from 'node:path';

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

/**
 * C0 and C1 control characters and bidirectional overrides: in a name or a path they hide or
 * reorder text in a terminal and in a rendered PR preview (a `\r<!--` opens an HTML comment).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
export const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

export const UNSAFE_TEXT_RULE =
  'must not contain control characters (newline, carriage return, tab, ESC, …) or bidirectional overrides';

/** Directories the system owns: never a server `directory` (borgops would hand it to the borg user). */
const SYSTEM_DIRECTORIES = new Set([
  '/',
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/home',
  '/lib',
  '/lib32',
  '/lib64',
  '/media',
  '/mnt',
  '/nix',
  '/opt',
  '/proc',
  '/root',
  '/run',
  '/sbin',
  '/srv',
  '/sys',
  '/tmp',
  '/usr',
  '/usr/local',
  '/var',
  '/var/backups',
  '/var/cache',
  '/var/lib',
  '/var/local',
  '/var/log',
  '/var/mail',
  '/var/opt',
  '/var/spool',
  '/var/tmp',
]);

/** Trees no server directory may be inside. */
const SYSTEM_TREES = [
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/lib',
  '/lib32',
  '/lib64',
  '/nix/store',
  '/proc',
  '/root',
  '/run',
  '/sbin',
  '/sys',
  '/usr',
];

export function isSystemDirectory(path: string): boolean {
  const normal = posix.normalize(path).replace(/\/+$/, '') || '/';
  if (SYSTEM_DIRECTORIES.has(normal)) return true;
  return SYSTEM_TREES.some((tree) => !posix.relative(tree, normal).startsWith('..'));
}
