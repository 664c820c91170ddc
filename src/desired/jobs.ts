/**
 * The scheduled jobs of a destination: its backup, and next to it its checks and drills
 * (issue 15). A job is filed under a key: the destination's name for its backup (as before
 * checks and drills were scheduled, so installed backup jobs keep their key), `<kind>:<name>`
 * for the others. A name never holds ':' (NAME_PATTERN), so a key reads back one way only.
 */
export const JOB_KINDS = ['backup', 'check', 'verify-data', 'drill'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export function jobKey(kind: JobKind, destination: string): string {
  return kind === 'backup' ? destination : `${kind}:${destination}`;
}

export function parseJobKey(key: string): { kind: JobKind; destination: string } {
  const at = key.indexOf(':');
  if (at < 0) return { kind: 'backup', destination: key };
  const kind = key.slice(0, at);
  const found = JOB_KINDS.find((k) => k === kind && k !== 'backup');
  // an unknown prefix is no job of ours: read as a backup key, which no destination matches
  return found === undefined
    ? { kind: 'backup', destination: key }
    : { kind: found, destination: key.slice(at + 1) };
}

/** Words for people and unit descriptions: `BorgBackup job`, `borg check`, `restore drill`. */
export function jobLabel(kind: JobKind): string {
  switch (kind) {
    case 'backup':
      return 'BorgBackup job';
    case 'check':
      return 'borg check';
    case 'verify-data':
      return 'borg check --verify-data';
    case 'drill':
      return 'restore drill';
  }
}

/** The borgops arguments of a job: `backups create`, `check [--verify-data]` or `drill`, for one destination. */
export function jobArguments(machine: string, key: string): string[] {
  const { kind, destination } = parseJobKey(key);
  const verb = kind === 'backup' ? ['backups', 'create'] : kind === 'drill' ? ['drill'] : ['check'];
  return [
    ...verb,
    machine,
    '--destination',
    destination,
    ...(kind === 'verify-data' ? ['--verify-data'] : []),
  ];
}
