import type { ResourceKind } from './types.js';

/*
 * Resource ids, built and parsed here only: `<kind>/<name>` (`hook/pre-backup-linkding`), and
 * `schedule/<destination>@<backend>` for a job left on a scheduler backend it was moved away from.
 * The preview names a state `state/<name>` the same way.
 */

/** The id of a resource of `kind` named `name` (a destination, a hook, a client, a user). */
export function resourceId(kind: ResourceKind | 'state', name: string): string {
  return `${kind}/${name}`;
}

/** A notification receiver in a preview (`notify/<name>`): a declaration, no compiled resource. */
export function receiverId(name: string): string {
  return `notify/${name}`;
}

/** The one ssh-key resource of a machine: its client key. */
export const SSH_KEY_ID = resourceId('ssh-key', 'client');

/** The ledger id of a destination's job installed with `backend`, a backend the machine moved away from. */
export function movedScheduleId(destination: string, backend: string): string {
  return `${resourceId('schedule', destination)}@${backend}`;
}

export interface ParsedId {
  kind: string;
  name: string;
  /** `schedule/<destination>@<backend>`: the former backend. */
  backend?: string;
}

/** The parts of an id; `name` is empty for an id without `/`. */
export function parseResourceId(id: string): ParsedId {
  const slash = id.indexOf('/');
  if (slash < 0) return { kind: id, name: '' };
  const kind = id.slice(0, slash);
  const rest = id.slice(slash + 1);
  if (kind !== 'schedule') return { kind, name: rest };
  const [name = '', backend] = rest.split('@');
  return backend === undefined ? { kind, name } : { kind, name, backend };
}

/** The name part of an id (`hook/pre-backup-x` → `pre-backup-x`). */
export function nameOf(id: string): string {
  return parseResourceId(id).name;
}
