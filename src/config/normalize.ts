import { compareStrings } from '../util/compare.js';
import { MODULE_NAME } from './clan-inventory.js';
import { DEFAULTS, durationSeconds } from './defaults.js';
import { deepMerge } from './merge.js';
import type {
  ClientConfig,
  Declarations,
  MachineStates,
  ResolvedDestination,
  ResolvedVerify,
  ServerConfig,
  VerifySchedule,
} from './model.js';
import { type ResolvedReceiver, resolveReceiver } from './notify.js';
import type { Severity } from './problem.js';
import type { ClientSettings, Inventory, ServerSettings, Verify } from './schema.js';

export { MODULE_NAME } from './clan-inventory.js';

/** A warning found while normalizing, located by its path in the inventory. */
export interface NormalizeProblem {
  at: PropertyKey[];
  path: string;
  message: string;
  severity: Severity;
}

function serverConfig(machine: string, instance: string, settings: ServerSettings = {}): ServerConfig {
  return {
    machine,
    instance,
    address: settings.address ?? machine,
    ...(settings.port === undefined ? {} : { port: settings.port }),
    user: settings.user ?? DEFAULTS.serverUser,
    directory: settings.directory ?? DEFAULTS.serverDirectory,
    appendOnly: settings.appendOnly ?? false,
    ...(settings.quota === undefined ? {} : { quota: settings.quota }),
    ...(settings.hostKey === undefined ? {} : { hostKey: settings.hostKey }),
  };
}

/** clan's repository string for a server destination; the forced command picks the client's directory. */
export function serverRepo(server: ServerConfig): string {
  // an IPv6 address is bracketed in both of borg's forms
  const host =
    server.address.includes(':') && !server.address.startsWith('[') ? `[${server.address}]` : server.address;
  return server.port === undefined
    ? `${server.user}@${host}:.`
    : `ssh://${server.user}@${host}:${server.port}/./`;
}

function schedule(value: string | string[] | false): VerifySchedule {
  if (value === false) return false;
  return typeof value === 'string' ? [value] : value;
}

/** Client verify settings with a destination's overrides, over borgops's defaults. */
export function resolveVerify(client: Verify | undefined, destination: Verify | undefined): ResolvedVerify {
  const merged = deepMerge(client, destination) ?? {};
  const scratch = merged.scratch;
  return {
    check: schedule(merged.check ?? DEFAULTS.verify.check),
    verifyData: schedule(merged.verifyData ?? DEFAULTS.verify.verifyData),
    drill: schedule(merged.drill ?? DEFAULTS.verify.drill),
    ...(scratch === undefined ? {} : { scratch }),
  };
}

function clientConfig(
  machine: string,
  instance: string,
  settings: ClientSettings,
  servers: readonly ServerConfig[],
  warn: (at: PropertyKey[], message: string, severity?: Severity) => void,
  machineSettings: ClientSettings | undefined,
): ClientConfig {
  const destinations = new Map<string, ResolvedDestination>();
  for (const server of servers) {
    if (server.machine === machine) continue;
    destinations.set(server.machine, {
      key: server.machine,
      name: server.machine,
      repo: serverRepo(server),
      // the host pattern (`[address]:port` off port 22) is added from the repository when pinned
      knownHosts: server.hostKey ? [server.hostKey] : [],
      server: {
        machine: server.machine,
        address: server.address,
        ...(server.port === undefined ? {} : { port: server.port }),
        directory: server.directory,
      },
      verify: resolveVerify(settings.verify, undefined),
    });
  }
  for (const [key, destination] of Object.entries(settings.destinations ?? {})) {
    if (destinations.has(key)) {
      warn(
        ['instances', instance, 'roles', 'client', 'machines', machine, 'settings', 'destinations', key],
        `destination "${key}" overrides the server "${key}" of instance "${instance}"`,
      );
    }
    if (destination.name !== undefined && destination.name !== key) {
      warn(
        [
          'instances',
          instance,
          'roles',
          'client',
          'machines',
          machine,
          'settings',
          'destinations',
          key,
          'name',
        ],
        `name "${destination.name}" is not used: as in clan, archives (${machine}-${key}-<time>), the job (borgbackup-job-${key}) and backups list lines (${key}::…) are named after the key "${key}"`,
      );
    }
    destinations.set(key, {
      key,
      // clan's module names the NixOS job, and so its archives and unit, after the attribute name
      name: key,
      repo: destination.repo,
      ...(destination.rsh === undefined ? {} : { rsh: destination.rsh }),
      knownHosts: destination.knownHosts ?? [],
      verify: resolveVerify(settings.verify, destination.verify),
    });
  }
  const resolvedDestinations = [...destinations.values()].sort((a, b) => compareStrings(a.name, b.name));
  const receivers: ResolvedReceiver[] = [];
  for (const [name, declared] of Object.entries(settings.notify ?? {}).sort(([a], [b]) =>
    compareStrings(a, b),
  )) {
    const resolved = resolveReceiver(name, declared, resolvedDestinations, machine);
    // a problem is located where the machine declares the receiver, else in the role settings
    const base =
      machineSettings?.notify?.[name] === undefined
        ? ['instances', instance, 'roles', 'client', 'settings', 'notify', name]
        : ['instances', instance, 'roles', 'client', 'machines', machine, 'settings', 'notify', name];
    for (const problem of resolved.problems)
      warn([...base, ...problem.at], `receiver "${name}" ${problem.message}`, 'error');
    if (resolved.receiver) receivers.push(resolved.receiver);
  }
  const startAt = settings.startAt ?? DEFAULTS.startAt;
  return {
    machine,
    instance,
    destinations: resolvedDestinations,
    exclude: settings.exclude ?? [],
    startAt: typeof startAt === 'string' ? [startAt] : startAt,
    staggerSeconds: durationSeconds(settings.stagger ?? DEFAULTS.stagger),
    ...(settings.maxAge === undefined ? {} : { maxAgeSeconds: durationSeconds(settings.maxAge) }),
    encryption: {
      mode: settings.encryption?.mode ?? DEFAULTS.encryptionMode,
      ...(settings.encryption?.passCommand === undefined
        ? {}
        : { passCommand: settings.encryption.passCommand }),
    },
    compression: settings.compression ?? DEFAULTS.compression,
    keep: settings.prune?.keep ?? { ...DEFAULTS.keep },
    lockWait: durationSeconds(settings.lockWait ?? DEFAULTS.lockWait),
    receivers,
    ...(settings.scheduler === undefined ? {} : { scheduler: settings.scheduler }),
  };
}

/** What normalize derives from the inventory alone: the same for every commit with the same inventory. */
export interface NormalizedInventory {
  /** Machines the inventory names (its machines, and the machines of every role). */
  machines: readonly string[];
  clients: ClientConfig[];
  servers: ServerConfig[];
  problems: NormalizeProblem[];
}

/** Merges role and machine settings, applies clan's defaults and adds servers as destinations. */
export function normalizeInventory(inventory: Inventory): NormalizedInventory {
  const problems: NormalizeProblem[] = [];
  const warn = (at: PropertyKey[], message: string, severity: Severity = 'warning') => {
    const path = at.map(String).join('.');
    // a role-wide receiver's problem is found once per machine: say it once
    if (problems.some((p) => p.path === path && p.message === message)) return;
    problems.push({ at, path, message, severity });
  };
  const machines = new Set<string>(Object.keys(inventory.machines ?? {}));
  const clients: ClientConfig[] = [];
  const servers: ServerConfig[] = [];

  for (const [instance, declared] of Object.entries(inventory.instances).sort(([a], [b]) =>
    compareStrings(a, b),
  )) {
    for (const role of [declared.roles.client, declared.roles.server]) {
      for (const machine of Object.keys(role?.machines ?? {})) machines.add(machine);
    }
    if (declared.module?.name !== MODULE_NAME) continue;
    const serverRole = declared.roles.server;
    const instanceServers = Object.entries(serverRole?.machines ?? {})
      .sort(([a], [b]) => compareStrings(a, b))
      .map(([machine, entry]) =>
        serverConfig(machine, instance, deepMerge(serverRole?.settings, entry.settings) ?? {}),
      );
    servers.push(...instanceServers);
    const clientRole = declared.roles.client;
    for (const [machine, entry] of Object.entries(clientRole?.machines ?? {}).sort(([a], [b]) =>
      compareStrings(a, b),
    )) {
      const settings = deepMerge(clientRole?.settings, entry.settings) ?? {};
      clients.push(clientConfig(machine, instance, settings, instanceServers, warn, entry.settings));
    }
  }
  return { machines: [...machines], clients, servers, problems };
}

/**
 * The declarations of a commit: its inventory's part (normalizeInventory, which a preview's base
 * and head share when the inventory is the same file) with its states and public keys.
 */
export function withStates(
  part: NormalizedInventory,
  states: Record<string, MachineStates>,
  publicKeys: Declarations['publicKeys'],
  commit: string | undefined,
): Omit<Declarations, 'inventoryFile' | 'recipients' | 'secrets'> {
  const machines = new Set<string>(part.machines);
  for (const machine of Object.keys(states)) machines.add(machine);
  return {
    ...(commit === undefined ? {} : { commit }),
    machines: [...machines].sort(),
    clients: part.clients,
    servers: part.servers,
    states,
    publicKeys,
  };
}
