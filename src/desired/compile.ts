import { posix } from 'node:path';
import type { ClientConfig, Declarations, ServerConfig } from '../config/model.js';
import { archivePrefix } from '../config/names.js';
import { BorgopsError } from '../errors.js';
import { byName, compareStrings } from '../util/compare.js';
import { statesOf } from './compiled-states.js';
import { resourceId, SSH_KEY_ID } from './ids.js';
import { jobKey } from './jobs.js';
import { staggerOffset } from './stagger.js';
import type {
  AuthorizedKey,
  DesiredDestination,
  DesiredHook,
  DesiredMachine,
  DesiredState,
  Resource,
  ResourceKind,
  ServedRepository,
  ServerUser,
} from './types.js';

/** The order actions are planned in: keys and secrets before repositories, files after. */
export const RESOURCE_ORDER: readonly ResourceKind[] = [
  'ssh-key',
  'secret',
  'repository',
  'key-export',
  'retention',
  'hook',
  'schedule',
  'server-user',
  'served-repository',
  'authorized-key',
];

const KIND_RANK: ReadonlyMap<ResourceKind, number> = new Map(
  RESOURCE_ORDER.map((kind, rank) => [kind, rank]),
);

/**
 * Resources by RESOURCE_ORDER, then id: sorted per kind and joined (one sort of the whole list,
 * with two look-ups of the order per comparison, was the largest cost of compiling a fleet).
 */
function inResourceOrder(resources: readonly Resource[]): Resource[] {
  const byKind: Resource[][] = RESOURCE_ORDER.map(() => []);
  for (const resource of resources) {
    const rank = KIND_RANK.get(resource.kind);
    if (rank === undefined) throw new Error(`resource kind ${resource.kind} has no place in RESOURCE_ORDER`);
    byKind[rank]!.push(resource);
  }
  const ordered: Resource[] = [];
  for (const kind of byKind) {
    if (kind.length > 1) kind.sort((a, b) => compareStrings(a.id, b.id));
    for (const resource of kind) ordered.push(resource);
  }
  return ordered;
}

/** Modes whose key can be exported (`borg key export`): escrowed as a resource. */
export const KEY_MODES: ReadonlySet<string> = new Set([
  'repokey',
  'repokey-blake2',
  'keyfile',
  'keyfile-blake2',
]);

export function isRemoteRepo(repo: string): boolean {
  return !repo.startsWith('/') && !repo.startsWith('file://');
}

function destinationsOf(
  client: ClientConfig,
  secrets: Declarations['secrets'][string] | undefined,
): DesiredDestination[] {
  return client.destinations.map((d) => ({
    name: d.name,
    instance: client.instance,
    repo: d.repo,
    ...(d.rsh === undefined ? {} : { rsh: d.rsh }),
    remote: isRemoteRepo(d.repo),
    knownHosts: d.knownHosts,
    ...(d.server ? { server: d.server.machine } : {}),
    encryption: client.encryption,
    ...(client.encryption.mode === 'none' || secrets?.[d.name] === undefined
      ? {}
      : { committed: secrets[d.name] }),
    compression: client.compression,
    exclude: client.exclude,
    keep: client.keep,
    archivePrefix: archivePrefix(client.machine, d.name),
    lockWait: client.lockWait,
    startAt: client.startAt,
    staggerSeconds: staggerOffset(client.machine, d.name, client.staggerSeconds),
    ...(client.maxAgeSeconds === undefined ? {} : { maxAgeSeconds: client.maxAgeSeconds }),
    verify: d.verify,
  }));
}

function servedBy(
  declarations: Declarations,
  server: ServerConfig,
  homes: ReadonlyMap<string, string>,
): { served: ServedRepository[]; keys: AuthorizedKey[] } {
  const served: ServedRepository[] = [];
  const keys: AuthorizedKey[] = [];
  const clients = clientsServedBy(declarations, server);
  const options = {
    user: server.user,
    appendOnly: server.appendOnly,
    ...(server.quota === undefined ? {} : { quota: server.quota }),
  };
  for (const client of clients) {
    const path = posix.join(server.directory, client.machine);
    served.push({ instance: server.instance, client: client.machine, path, ...options });
    const key = declarations.publicKeys[client.machine]?.key;
    keys.push({
      instance: server.instance,
      client: client.machine,
      home: homes.get(server.user) ?? server.directory,
      repository: path,
      ...options,
      ...(key === undefined ? {} : { publicKey: key }),
      keyFile: `machines/${client.machine}/borgbackup.ssh.pub`,
    });
  }
  return { served, keys };
}

/** One system user per distinct `user`; its home is the directory of its first server (by instance). */
function serverUsers(servers: readonly ServerConfig[]): ServerUser[] {
  const users = new Map<string, ServerUser>();
  for (const server of servers) {
    if (!users.has(server.user)) users.set(server.user, { name: server.user, home: server.directory });
  }
  return [...users.values()].sort(byName);
}

/**
 * Everything `compile(declarations, machine)` reads, and nothing else: equal inputs give an
 * equal DesiredMachine, so a preview of a thousand machines compiles only those whose inputs
 * changed. Keep it in step with compile below.
 */
/**
 * Lookups by machine and instance, built once per Declarations (a preview or a fleet compiles
 * thousands of machines of one Declarations: searching the arrays each time was quadratic).
 * Declarations are never mutated once loaded; the arrays' identity and length are checked anyway.
 */
interface DeclarationsIndex {
  machines: readonly string[];
  clients: readonly ClientConfig[];
  servers: readonly ServerConfig[];
  lengths: string;
  declared: ReadonlySet<string>;
  clientOf: ReadonlyMap<string, ClientConfig>;
  serversOf: ReadonlyMap<string, ServerConfig[]>;
  clientsOfInstance: ReadonlyMap<string, ClientConfig[]>;
}

const indexes = new WeakMap<Declarations, DeclarationsIndex>();

function indexOf(declarations: Declarations): DeclarationsIndex {
  const { machines, clients, servers } = declarations;
  const lengths = `${machines.length}/${clients.length}/${servers.length}`;
  const known = indexes.get(declarations);
  if (
    known !== undefined &&
    known.machines === machines &&
    known.clients === clients &&
    known.servers === servers &&
    known.lengths === lengths
  ) {
    return known;
  }
  const clientOf = new Map<string, ClientConfig>();
  const clientsOfInstance = new Map<string, ClientConfig[]>();
  for (const client of clients) {
    // the first, as Array.find gave it
    if (!clientOf.has(client.machine)) clientOf.set(client.machine, client);
    const list = clientsOfInstance.get(client.instance);
    if (list === undefined) clientsOfInstance.set(client.instance, [client]);
    else list.push(client);
  }
  const serversOf = new Map<string, ServerConfig[]>();
  for (const server of servers) {
    const list = serversOf.get(server.machine);
    if (list === undefined) serversOf.set(server.machine, [server]);
    else list.push(server);
  }
  const index = {
    machines,
    clients,
    servers,
    lengths,
    declared: new Set(machines),
    clientOf,
    serversOf,
    clientsOfInstance,
  };
  indexes.set(declarations, index);
  return index;
}

/** The clients a server serves: its instance's clients but itself, in declaration order. */
function clientsServedBy(declarations: Declarations, server: ServerConfig): ClientConfig[] {
  return (indexOf(declarations).clientsOfInstance.get(server.instance) ?? []).filter(
    (c) => c.machine !== server.machine,
  );
}

/** True when the declarations declare the machine (what compile needs to compile it); no search of the list. */
export function declares(declarations: Declarations, machine: string): boolean {
  return indexOf(declarations).declared.has(machine);
}

export function compileInputs(declarations: Declarations, machine: string): unknown {
  const index = indexOf(declarations);
  const servers = index.serversOf.get(machine) ?? [];
  return {
    declared: index.declared.has(machine),
    states: declarations.states[machine],
    client: index.clientOf.get(machine),
    // the ssh-key resource carries the machine's own committed key (to warn when it is not this host's)
    ownKey: declarations.publicKeys[machine]?.key,
    servers,
    // a server's authorized keys and served repositories depend on its instance's clients and their keys
    clients: servers.map((server) =>
      clientsServedBy(declarations, server).map((c) => [c.machine, declarations.publicKeys[c.machine]?.key]),
    ),
  };
}

/** Declarations + machine → what that machine must have. Pure and deterministic. */
export function compile(declarations: Declarations, machine: string): DesiredMachine {
  const index = indexOf(declarations);
  if (!index.declared.has(machine)) {
    const known = declarations.machines.length > 0 ? declarations.machines.join(', ') : 'none';
    throw new BorgopsError('E_CONFIG', `machine "${machine}" is not declared (declared machines: ${known})`);
  }
  const warnings: string[] = [];
  const stateFile = declarations.states[machine];
  const compiled = stateFile === undefined ? undefined : statesOf(stateFile);
  const states: DesiredState[] = compiled === undefined ? [] : [...compiled.states];
  const hooks: DesiredHook[] = compiled === undefined ? [] : [...compiled.hooks];

  const client = index.clientOf.get(machine);
  // clan: a machine with no state gets no backup jobs, and so nothing to back up to
  const destinations =
    client && states.length > 0 ? destinationsOf(client, declarations.secrets[machine]) : [];
  if (client && states.length === 0)
    warnings.push(`machine "${machine}" is a client but declares no state: no backup jobs`);

  const served: ServedRepository[] = [];
  const authorizedKeys: AuthorizedKey[] = [];
  const servers = index.serversOf.get(machine) ?? [];
  const users = serverUsers(servers);
  const homes = new Map(users.map((user) => [user.name, user.home]));
  for (const server of servers) {
    const result = servedBy(declarations, server, homes);
    served.push(...result.served);
    authorizedKeys.push(...result.keys);
  }
  for (const key of authorizedKeys) {
    if (key.publicKey === undefined)
      warnings.push(
        `client "${key.client}" has no public key yet: commit ${key.keyFile} (\`borgops keys show\` on ${key.client} prints it); its repository is created, its key is not authorized`,
      );
  }

  const resources: Resource[] = [];
  if (destinations.some((d) => d.remote && d.rsh === undefined))
    resources.push({ kind: 'ssh-key', id: SSH_KEY_ID });
  for (const destination of destinations) {
    const name = destination.name;
    if (destination.encryption.mode !== 'none' && destination.encryption.passCommand === undefined) {
      resources.push({ kind: 'secret', id: resourceId('secret', name), destination: name });
    }
    resources.push({ kind: 'repository', id: resourceId('repository', name), destination });
    if (KEY_MODES.has(destination.encryption.mode))
      resources.push({ kind: 'key-export', id: resourceId('key-export', name), destination: name });
    resources.push({
      kind: 'retention',
      id: resourceId('retention', name),
      destination: name,
      keep: destination.keep,
      archivePrefix: destination.archivePrefix,
    });
    resources.push({
      kind: 'schedule',
      id: resourceId('schedule', name),
      destination: name,
      startAt: destination.startAt,
      staggerSeconds: destination.staggerSeconds,
    });
    // checks and drills are jobs next to the backup, with the same stagger
    for (const [job, calendar] of [
      ['check', destination.verify.check],
      ['verify-data', destination.verify.verifyData],
      ['drill', destination.verify.drill],
    ] as const) {
      if (calendar === false) continue;
      resources.push({
        kind: 'schedule',
        id: resourceId('schedule', jobKey(job, name)),
        destination: name,
        job,
        startAt: calendar,
        staggerSeconds: destination.staggerSeconds,
      });
    }
  }
  if (compiled !== undefined) for (const resource of compiled.hookResources) resources.push(resource);
  for (const user of users)
    resources.push({ kind: 'server-user', id: resourceId('server-user', user.name), user });
  for (const repository of served) {
    resources.push({
      kind: 'served-repository',
      id: resourceId('served-repository', repository.client),
      served: repository,
    });
  }
  for (const key of authorizedKeys)
    resources.push({ kind: 'authorized-key', id: resourceId('authorized-key', key.client), key });
  const ordered = inResourceOrder(resources);

  return {
    machine,
    ...(declarations.commit === undefined ? {} : { commit: declarations.commit }),
    states,
    destinations,
    hooks,
    served,
    serverUsers: users,
    authorizedKeys,
    recipients: declarations.recipients,
    receivers: client?.receivers ?? [],
    ...(declarations.publicKeys[machine] === undefined
      ? {}
      : { publicKey: declarations.publicKeys[machine] }),
    ...(client?.scheduler === undefined ? {} : { scheduler: client.scheduler }),
    resources: ordered,
    warnings,
  };
}
