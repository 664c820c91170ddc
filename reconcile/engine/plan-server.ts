import { authorizedKeyLine } from '../../src/desired/authorized-keys.js';
import type { DesiredMachine, Resource } from '../../src/desired/types.js';
import { SERVER_SHELL } from '../../src/host/accounts.js';
import { type HostPaths, underRoot } from '../../src/host/paths.js';
import { authorizedKeysPath } from '../../src/host/served.js';
import type { Action, ActualMachine, PlanError } from './model.js';

/** What the server role adds to a plan (pure). */
export interface ServerPlan {
  actions: Action[];
  notes: string[];
  warnings: string[];
  errors: PlanError[];
}

type Of<K extends Resource['kind']> = Extract<Resource, { kind: K }>;

function ofKind<K extends Resource['kind']>(desired: DesiredMachine, kind: K): Of<K>[] {
  return desired.resources.filter((r): r is Of<K> => r.kind === kind);
}

function ledgerIds(actual: ActualMachine, kind: string): string[] {
  return Object.keys(actual.ledger.entries).filter((id) => actual.ledger.entries[id]?.kind === kind);
}

/**
 * The server role: its users (only as root on `/`), one repository directory per client (created,
 * never deleted), and one restricted authorized_keys line per client with a committed key (lines
 * borgops did not write are never touched; a removed client's line is revoked).
 */
export function planServer(desired: DesiredMachine, actual: ActualMachine, paths: HostPaths): ServerPlan {
  const result: ServerPlan = { actions: [], notes: [], warnings: [], errors: [] };
  planUsers(desired, actual, paths, result);
  const owner = (user: string) => (actual.accounts.managed ? { owner: user } : {});

  // in resource order (by client), as every other kind
  for (const { served } of ofKind(desired, 'served-repository')) {
    const id = `served-repository/${served.client}`;
    const found = actual.served[served.client];
    const onHost = underRoot(paths.root, served.path);
    if (found?.exists && found.isDirectory) continue;
    if (found?.exists) {
      result.errors.push({ id, message: `${onHost} exists and is not a directory` });
      continue;
    }
    const traits = [served.appendOnly ? 'append-only' : '', served.quota ? `quota ${served.quota}` : '']
      .filter(Boolean)
      .map((trait) => ` (${trait})`)
      .join('');
    result.actions.push({
      op: 'served.create',
      id,
      kind: 'served-repository',
      client: served.client,
      path: served.path,
      ...owner(served.user),
      effect: 'additive',
      summary: `create ${onHost} (0700${actual.accounts.managed ? `, owned by ${served.user}` : ''}) for client ${served.client}${traits}`,
    });
  }
  const desiredIds = new Set(desired.resources.map((r) => r.id));
  for (const id of ledgerIds(actual, 'served-repository')) {
    if (!desiredIds.has(id))
      result.notes.push(`${id} is no longer declared: its repository is left in place`);
  }

  for (const { key } of ofKind(desired, 'authorized-key')) {
    const id = `authorized-key/${key.client}`;
    const repository = underRoot(paths.root, key.repository);
    const line = authorizedKeyLine(key, repository);
    if (line === undefined) continue;
    const file = authorizedKeysPath(paths.root, key.home);
    const lines = actual.authorizedKeys[file] ?? [];
    const previous = (actual.ledger.entries[id]?.lines ?? []).filter(
      (written) => written !== line && lines.includes(written),
    );
    if (lines.includes(line) && previous.length === 0) continue;
    result.actions.push({
      op: 'authorized-key.set',
      id,
      kind: 'authorized-key',
      client: key.client,
      file,
      remove: previous,
      add: [line],
      ...owner(key.user),
      effect: previous.length > 0 ? 'mutating' : 'additive',
      summary: `${previous.length > 0 ? 'update' : 'authorize'} ${key.client}'s key in ${file} (restricted to ${repository}${key.appendOnly ? ', append-only' : ''})`,
    });
  }
  for (const id of ledgerIds(actual, 'authorized-key')) {
    if (desiredIds.has(id)) continue;
    const entry = actual.ledger.entries[id]!;
    for (const file of entry.paths ?? []) {
      const present = (entry.lines ?? []).filter((line) => actual.authorizedKeys[file]?.includes(line));
      if (present.length === 0) continue;
      const client = id.slice('authorized-key/'.length);
      result.actions.push({
        op: 'authorized-key.set',
        id,
        kind: 'authorized-key',
        client,
        file,
        remove: present,
        add: [],
        effect: 'destructive',
        summary: `revoke ${client}'s key in ${file} (its repository stays)`,
      });
    }
  }
  return result;
}

function planUsers(
  desired: DesiredMachine,
  actual: ActualMachine,
  paths: HostPaths,
  result: ServerPlan,
): void {
  if (desired.serverUsers.length === 0) return;
  const names = desired.serverUsers.map((user) => user.name).join(', ');
  if (!actual.accounts.managed) {
    result.notes.push(
      `user ${names} is not managed here (borgops creates users and sets owners only as root with --root /): clients log in as ${names}, which must exist and be able to enter ${desired.served.map((s) => underRoot(paths.root, s.path)).join(', ') || 'its repositories'}`,
    );
    return;
  }
  for (const user of desired.serverUsers) {
    const found = actual.accounts.users[user.name];
    if (found && found.home !== user.home) {
      result.warnings.push(
        `user ${user.name} exists with home ${found.home}, not ${user.home}: sshd reads ${found.home}/.ssh/authorized_keys by default while borgops writes ${authorizedKeysPath(paths.root, user.home)}; borgops never changes a user it did not create, so change its home or point sshd's AuthorizedKeysFile at that file`,
      );
    }
    if (found) continue;
    result.actions.push({
      op: 'server-user.create',
      id: `server-user/${user.name}`,
      kind: 'server-user',
      user: user.name,
      home: user.home,
      effect: 'additive',
      summary: `create system user ${user.name} (useradd --system, home ${user.home}, shell ${SERVER_SHELL}, group ${user.name})`,
    });
  }
}
