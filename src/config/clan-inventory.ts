import { compareStrings } from '../util/compare.js';
import { deepMerge } from './merge.js';
import type { Inventory } from './schema.js';
import { nearest } from './suggest.js';

/*
 * A clan inventory as clan evaluates it (`nix eval --json`) carries more than borgops reads:
 * instances of other modules, role membership by tags, metadata. Before the schema, instances of
 * other modules are set aside; after it, tags are resolved into machines and the module name is
 * made canonical, so everything downstream sees the same inventory a person would write by hand.
 */

export const MODULE_NAME = 'borgbackup';

/** What clan calls the borgbackup service: its name in clan-core, and its name inside clan-core (`input: "self"`). */
const MODULE_NAMES: readonly string[] = [MODULE_NAME, `@clan/${MODULE_NAME}`];

export function isBorgbackupModule(name: string): boolean {
  return MODULE_NAMES.includes(name);
}

/** A module name that is probably a misspelled borgbackup (kept, so the rules refuse it with the near match). */
function nearBorgbackup(name: string): boolean {
  return nearest(name.replace(/^@clan\//, ''), [MODULE_NAME]) !== undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** clan's default: `module.name` is the instance name. */
function moduleNameOf(instance: string, declared: unknown): string {
  const module = isPlainObject(declared) ? declared.module : undefined;
  const name = isPlainObject(module) ? module.name : undefined;
  return typeof name === 'string' ? name : instance;
}

/**
 * Sets aside the instances of other modules (before the schema: their roles and settings are
 * theirs). Returns a new value; the input is not mutated.
 */
export function setAsideOtherModules(value: unknown): { value: unknown; ignored: string[] } {
  if (!isPlainObject(value) || !isPlainObject(value.instances)) return { value, ignored: [] };
  const ignored: string[] = [];
  const kept: [string, unknown][] = [];
  for (const [instance, declared] of Object.entries(value.instances)) {
    const name = moduleNameOf(instance, declared);
    if (isBorgbackupModule(name) || nearBorgbackup(name)) kept.push([instance, declared]);
    else ignored.push(`instances.${instance} (module "${name}")`);
  }
  if (ignored.length === 0) return { value, ignored };
  return { value: { ...value, instances: Object.fromEntries(kept) }, ignored };
}

export interface ResolveProblem {
  at: PropertyKey[];
  message: string;
  severity: 'warning';
}

/** Each inventory machine's tags as clan computes them: its own, the static `tags.<t>` lists, `all`, and its class. */
function machineTags(inventory: Inventory): Map<string, Set<string>> {
  const tags = new Map<string, Set<string>>();
  for (const [machine, meta] of Object.entries(inventory.machines ?? {})) {
    const own = new Set(meta.tags ?? []);
    own.add('all');
    own.add(meta.machineClass === 'darwin' ? 'darwin' : 'nixos');
    tags.set(machine, own);
  }
  for (const [tag, members] of Object.entries(inventory.tags ?? {})) {
    for (const member of members) tags.get(member)?.add(tag);
  }
  return tags;
}

/** What the client and server roles share, for resolving either. */
interface Role {
  machines?: Record<string, { settings?: unknown }>;
  tags?: string[] | Record<string, { settings?: unknown }>;
  extraModules?: unknown[];
}

function resolveRole<R extends Role>(
  role: R,
  path: PropertyKey[],
  tagsOf: ReadonlyMap<string, ReadonlySet<string>>,
  problems: ResolveProblem[],
): R {
  const { tags: declaredTags, extraModules: _extraModules, ...rest } = role;
  if (declaredTags === undefined) return rest as R;
  const byTag: [string, unknown][] = Array.isArray(declaredTags)
    ? declaredTags.map((tag) => [tag, undefined])
    : Object.entries(declaredTags).map(([tag, entry]) => [tag, entry.settings]);
  byTag.sort(([a], [b]) => compareStrings(a, b));
  const machines = new Map<string, { settings?: unknown }>(Object.entries(rest.machines ?? {}));
  for (const [index, [tag]] of byTag.entries()) {
    const members = [...tagsOf].filter(([, tags]) => tags.has(tag)).map(([machine]) => machine);
    if (members.length === 0) {
      problems.push({
        at: [...path, 'tags', Array.isArray(declaredTags) ? index : tag],
        message: `no machine has the tag "${tag}" (clan: machines.<name>.tags, or "all")`,
        severity: 'warning',
      });
    }
    for (const machine of members) if (!machines.has(machine)) machines.set(machine, {});
  }
  const resolved: [string, { settings?: unknown }][] = [];
  for (const machine of [...machines.keys()].sort(compareStrings)) {
    // clan imports the settings of each of the machine's tags with its own; here role < tags < machine
    const tagged = byTag
      .filter(([tag]) => tagsOf.get(machine)?.has(tag))
      .reduce<unknown>((merged, [, settings]) => deepMerge(merged, settings), undefined);
    const settings = deepMerge(tagged, machines.get(machine)?.settings);
    resolved.push([machine, settings === undefined ? {} : { settings }]);
  }
  return { ...rest, machines: Object.fromEntries(resolved) } as R;
}

/**
 * Keys clan prints that borgops does not read, generalized over machine and instance names;
 * labels (`name`, `description`) go unmentioned, as nobody expects them to do anything.
 */
function ignoredKeys(inventory: Inventory): string[] {
  const ignored = new Set<string>();
  for (const key of ['icon', 'tld', 'domain'] as const) {
    if (inventory.meta?.[key] !== undefined) ignored.add(`meta.${key}`);
  }
  if (inventory.modules !== undefined && Object.keys(inventory.modules).length > 0) ignored.add('modules');
  for (const meta of Object.values(inventory.machines ?? {})) {
    for (const key of ['icon', 'installedAt', 'deploy'] as const) {
      if (meta[key] !== undefined) ignored.add(`machines.*.${key}`);
    }
  }
  for (const instance of Object.values(inventory.instances)) {
    for (const role of [instance.roles.client, instance.roles.server]) {
      if (role?.extraModules !== undefined && role.extraModules.length > 0)
        ignored.add('instances.*.roles.*.extraModules');
    }
  }
  return [...ignored].sort(compareStrings);
}

/**
 * Resolves clan's forms in a schema-checked inventory: role members by tag (with the tags'
 * settings), the module name (default: the instance name; `@clan/borgbackup` is `borgbackup`).
 * The result is what the same inventory written by hand, machine by machine, would be.
 */
export function resolveInventory(inventory: Inventory): {
  inventory: Inventory;
  problems: ResolveProblem[];
  ignored: string[];
} {
  const problems: ResolveProblem[] = [];
  const tagsOf = machineTags(inventory);
  const instances: [string, Inventory['instances'][string]][] = [];
  for (const [instance, declared] of Object.entries(inventory.instances)) {
    const name = declared.module?.name ?? instance;
    const path = ['instances', instance, 'roles'];
    const { client, server } = declared.roles;
    instances.push([
      instance,
      {
        ...declared,
        module: { ...declared.module, name: isBorgbackupModule(name) ? MODULE_NAME : name },
        roles: {
          ...(client === undefined
            ? {}
            : { client: resolveRole(client, [...path, 'client'], tagsOf, problems) }),
          ...(server === undefined
            ? {}
            : { server: resolveRole(server, [...path, 'server'], tagsOf, problems) }),
        },
      },
    ]);
  }
  return {
    inventory: { ...inventory, instances: Object.fromEntries(instances) },
    problems,
    ignored: ignoredKeys(inventory),
  };
}
