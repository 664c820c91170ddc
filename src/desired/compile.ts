import { posix } from 'node:path';
import type { ClientConfig, Declarations, ServerConfig } from '../config/model.js';
import { archivePrefix } from '../config/names.js';
import { BorgopsError } from '../errors.js';
import { byKey, compareStrings } from '../util/compare.js';
import { hooksOf } from './hooks.js';
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
} from './types.js';

/** The order actions are planned in: keys and secrets before repositories, files after. */
export const RESOURCE_ORDER: readonly ResourceKind[] = [
  'ssh-key',
  'secret',
  'repository',
  'retention',
  'hook',
  'schedule',
  'served-repository',
  'authorized-key',
];

export function isRemoteRepo(repo: string): boolean {
  return !repo.startsWith('/') && !repo.startsWith('file://');
}

function destinationsOf(client: ClientConfig): DesiredDestination[] {
  return client.destinations.map((d) => ({
    name: d.name,
    instance: client.instance,
    repo: d.repo,
    ...(d.rsh === undefined ? {} : { rsh: d.rsh }),
    remote: isRemoteRepo(d.repo),
    knownHosts: d.knownHosts,
    ...(d.server ? { server: d.server.machine } : {}),
    encryption: client.encryption,
    compression: client.compression,
    exclude: client.exclude,
    keep: client.keep,
    archivePrefix: archivePrefix(client.machine, d.name),
    lockWait: client.lockWait,
    startAt: client.startAt,
    staggerSeconds: staggerOffset(client.machine, d.name, client.staggerSeconds),
    ...(client.maxAgeSeconds === undefined ? {} : { maxAgeSeconds: client.maxAgeSeconds }),
  }));
}

/** The forced command that confines a client's key to its own repository (clan, nixpkgs). */
export function authorizedKeyLine(server: ServerConfig, client: string, key: string): string {
  const options = ['--restrict-to-repository .'];
  if (server.appendOnly) options.push('--append-only');
  if (server.quota !== undefined) options.push(`--storage-quota ${server.quota}`);
  const repository = posix.join(server.directory, client);
  return `command="cd ${repository} && borg serve ${options.join(' ')}",restrict ${key}`;
}

function servedBy(
  declarations: Declarations,
  server: ServerConfig,
): { served: ServedRepository[]; keys: AuthorizedKey[] } {
  const served: ServedRepository[] = [];
  const keys: AuthorizedKey[] = [];
  const clients = declarations.clients.filter(
    (c) => c.instance === server.instance && c.machine !== server.machine,
  );
  for (const client of clients) {
    served.push({
      instance: server.instance,
      client: client.machine,
      path: posix.join(server.directory, client.machine),
      appendOnly: server.appendOnly,
      ...(server.quota === undefined ? {} : { quota: server.quota }),
    });
    const keyFile = `machines/${client.machine}/borgbackup.ssh.pub`;
    const key = declarations.publicKeys[client.machine]?.key;
    keys.push({
      instance: server.instance,
      client: client.machine,
      directory: server.directory,
      keyFile,
      ...(key === undefined ? {} : { line: authorizedKeyLine(server, client.machine, key) }),
    });
  }
  return { served, keys };
}

const byName = byKey<{ name: string }>((item) => item.name);

/**
 * Everything `compile(declarations, machine)` reads, and nothing else: equal inputs give an
 * equal DesiredMachine, so a preview of a thousand machines compiles only those whose inputs
 * changed. Keep it in step with compile below.
 */
export function compileInputs(declarations: Declarations, machine: string): unknown {
  const servers = declarations.servers.filter((s) => s.machine === machine);
  return {
    declared: declarations.machines.includes(machine),
    states: declarations.states[machine],
    client: declarations.clients.find((c) => c.machine === machine),
    servers,
    // a server's authorized keys and served repositories depend on its instance's clients and their keys
    clients: servers.map((server) =>
      declarations.clients
        .filter((c) => c.instance === server.instance && c.machine !== server.machine)
        .map((c) => [c.machine, declarations.publicKeys[c.machine]?.key]),
    ),
  };
}

/** Declarations + machine → what that machine must have. Pure and deterministic. */
export function compile(declarations: Declarations, machine: string): DesiredMachine {
  if (!declarations.machines.includes(machine)) {
    const known = declarations.machines.length > 0 ? declarations.machines.join(', ') : 'none';
    throw new BorgopsError('E_CONFIG', `machine "${machine}" is not declared (declared machines: ${known})`);
  }
  const warnings: string[] = [];
  const stateFile = declarations.states[machine];
  const states: DesiredState[] = Object.entries(stateFile?.states ?? {})
    .map(([name, state]) => ({ ...state, name, folders: [...(state.folders ?? [])] }))
    .sort(byName);
  const hooks: DesiredHook[] = stateFile
    ? states.flatMap((state) => hooksOf(state.name, state, stateFile.file)).sort(byName)
    : [];

  const client = declarations.clients.find((c) => c.machine === machine);
  // clan: a machine with no state gets no backup jobs, and so nothing to back up to
  const destinations = client && states.length > 0 ? destinationsOf(client) : [];
  if (client && states.length === 0)
    warnings.push(`machine "${machine}" is a client but declares no state: no backup jobs`);

  const served: ServedRepository[] = [];
  const authorizedKeys: AuthorizedKey[] = [];
  for (const server of declarations.servers.filter((s) => s.machine === machine)) {
    const result = servedBy(declarations, server);
    served.push(...result.served);
    authorizedKeys.push(...result.keys);
  }
  for (const key of authorizedKeys) {
    if (key.line === undefined)
      warnings.push(`client "${key.client}" has no public key yet: commit ${key.keyFile}`);
  }

  const resources: Resource[] = [];
  if (destinations.some((d) => d.remote && d.rsh === undefined))
    resources.push({ kind: 'ssh-key', id: 'ssh-key/client' });
  for (const destination of destinations) {
    const name = destination.name;
    if (destination.encryption.mode !== 'none' && destination.encryption.passCommand === undefined) {
      resources.push({ kind: 'secret', id: `secret/${name}`, destination: name });
    }
    resources.push({ kind: 'repository', id: `repository/${name}`, destination });
    resources.push({
      kind: 'retention',
      id: `retention/${name}`,
      destination: name,
      keep: destination.keep,
      archivePrefix: destination.archivePrefix,
    });
    resources.push({
      kind: 'schedule',
      id: `schedule/${name}`,
      destination: name,
      startAt: destination.startAt,
      staggerSeconds: destination.staggerSeconds,
    });
  }
  for (const hook of hooks) resources.push({ kind: 'hook', id: `hook/${hook.name}`, hook });
  for (const repository of served) {
    resources.push({
      kind: 'served-repository',
      id: `served-repository/${repository.client}`,
      served: repository,
    });
  }
  for (const key of authorizedKeys)
    resources.push({ kind: 'authorized-key', id: `authorized-key/${key.client}`, key });
  resources.sort(
    (a, b) => RESOURCE_ORDER.indexOf(a.kind) - RESOURCE_ORDER.indexOf(b.kind) || compareStrings(a.id, b.id),
  );

  return {
    machine,
    ...(declarations.commit === undefined ? {} : { commit: declarations.commit }),
    states,
    destinations,
    hooks,
    served,
    authorizedKeys,
    resources,
    warnings,
  };
}
