import { posix } from 'node:path';
import { compareStrings } from '../util/compare.js';
import type { ParsedFile } from './document.js';
import type { Declarations } from './model.js';
import { archivePrefix, isSafeName, NAME_RULE } from './names.js';
import { MODULE_NAME } from './normalize.js';
import { dottedPath, type Problem, type Severity } from './problem.js';
import type { Inventory } from './schema.js';
import { checkStagger } from './start-at.js';

export interface RuleInput {
  inventoryFile: ParsedFile;
  stateFiles: ReadonlyMap<string, ParsedFile>;
  /** Where each state file holds its states map (default `state`; `[]` for a bare map). */
  statePrefixes?: ReadonlyMap<string, readonly string[]>;
  /** Machines with a state file, valid or not. */
  machinesWithStateFiles: ReadonlySet<string>;
  declarations: Omit<Declarations, 'inventoryFile' | 'recipients' | 'secrets'>;
  /** stateFileRules of each machine's state file, when already known (kept with a parsed file). */
  stateRules?: ReadonlyMap<string, readonly Problem[]>;
}

/** The same repository written two ways must compare equal (trailing slashes, `.` segments). */
export function repositoryKey(repo: string): string {
  if (repo.startsWith('/')) return posix.normalize(repo).replace(/\/+$/, '') || '/';
  return repo.replace(/\/+$/, '');
}

function problemAt(
  file: ParsedFile,
  path: PropertyKey[],
  severity: Severity,
  message: string,
  which: 'key' | 'value' = 'key',
): Problem {
  return { file: file.file, line: file.lineOf(path, which), path: dottedPath(path), message, severity };
}

function unsafeName(what: string, name: string): string {
  return `${what} name "${name}" is not safe in file, unit and archive names: use ${NAME_RULE}`;
}

/** A client entry of the inventory (a machine of a client role, with a safe name). */
interface ClientEntry {
  machine: string;
  path: PropertyKey[];
}

/**
 * The rules of the inventory alone (names, modules, a machine that is a client twice, repository
 * and archive-prefix collisions, encryption, start times): the same for the same inventory file,
 * so a preview's base and head share them when a pull request leaves the inventory as it is.
 */
export interface InventoryRules {
  problems: readonly Problem[];
  /** Client entries in the inventory's order, for the rules that also need a commit's other files. */
  clientEntries: readonly ClientEntry[];
  clientMachines: ReadonlySet<string>;
}

export function inventoryRules(
  inventory: Inventory,
  inventoryFile: ParsedFile,
  clients: Declarations['clients'],
): InventoryRules {
  const problems: Problem[] = [];
  const at: At = (file, path, severity, message, which) =>
    problems.push(problemAt(file, path, severity, message, which));
  /** Reports an unsafe name; returns whether the name is safe (later checks of an unsafe one would only add noise). */
  const checkName = (file: ParsedFile, path: PropertyKey[], what: string): boolean => {
    const name = String(path.at(-1));
    if (isSafeName(name)) return true;
    at(file, path, 'error', unsafeName(what, name));
    return false;
  };

  for (const machine of Object.keys(inventory.machines ?? {}))
    checkName(inventoryFile, ['machines', machine], 'machine');

  const clientOf = new Map<string, string>();
  const clientMachines = new Set<string>();
  const clientEntries: ClientEntry[] = [];
  for (const [instance, declared] of Object.entries(inventory.instances).sort(([a], [b]) =>
    compareStrings(a, b),
  )) {
    const base = ['instances', instance];
    checkName(inventoryFile, base, 'instance');
    const moduleName = declared.module?.name ?? instance;
    if (moduleName !== MODULE_NAME) {
      // instances of other modules were set aside; what is left is a near miss of borgbackup
      at(
        inventoryFile,
        [...base, 'module', 'name'],
        'error',
        `unknown module "${moduleName}"; did you mean "${MODULE_NAME}"? (accepted: "${MODULE_NAME}", "@clan/${MODULE_NAME}"; instances of other modules are ignored)`,
        'value',
      );
    }
    for (const roleName of ['client', 'server'] as const) {
      const role = declared.roles[roleName];
      const roleDestinations =
        roleName === 'client' ? declared.roles.client?.settings?.destinations : undefined;
      for (const key of Object.keys(roleDestinations ?? {})) {
        checkName(
          inventoryFile,
          [...base, 'roles', roleName, 'settings', 'destinations', key],
          'destination',
        );
      }
      const roleReceivers = roleName === 'client' ? declared.roles.client?.settings?.notify : undefined;
      for (const key of Object.keys(roleReceivers ?? {}))
        checkName(inventoryFile, [...base, 'roles', roleName, 'settings', 'notify', key], 'receiver');
      for (const [machine, entry] of Object.entries(role?.machines ?? {})) {
        const machinePath = [...base, 'roles', roleName, 'machines', machine];
        if (!checkName(inventoryFile, machinePath, 'machine') || roleName !== 'client') continue;
        clientMachines.add(machine);
        clientEntries.push({ machine, path: machinePath });
        const destinations = (entry.settings as { destinations?: Record<string, unknown> } | undefined)
          ?.destinations;
        for (const key of Object.keys(destinations ?? {})) {
          checkName(inventoryFile, [...machinePath, 'settings', 'destinations', key], 'destination');
        }
        for (const key of Object.keys(declared.roles.client?.machines?.[machine]?.settings?.notify ?? {}))
          checkName(inventoryFile, [...machinePath, 'settings', 'notify', key], 'receiver');
        const previous = clientOf.get(machine);
        if (previous !== undefined && moduleName === MODULE_NAME) {
          at(
            inventoryFile,
            machinePath,
            'error',
            `machine "${machine}" is already a client of instance "${previous}"; a machine may be a client of one borgbackup instance`,
          );
        } else if (moduleName === MODULE_NAME) {
          clientOf.set(machine, instance);
        }
      }
    }
  }

  checkDestinations(inventoryFile, clients, at);
  problems.push(...checkStagger(inventory, clients, inventoryFile));
  return { problems, clientEntries, clientMachines };
}

/**
 * Cross-field rules that a schema cannot express, every finding at once: the inventory's own
 * (`own`, inventoryRules of the same inventory) and those that need the commit's other files.
 */
export function checkRules(input: RuleInput, own: InventoryRules): Problem[] {
  const { inventoryFile, stateFiles, machinesWithStateFiles, declarations } = input;
  const statesAt = (machine: string): readonly string[] => input.statePrefixes?.get(machine) ?? ['state'];
  const problems: Problem[] = [...own.problems];
  const at: At = (file, path, severity, message, which) =>
    problems.push(problemAt(file, path, severity, message, which));

  for (const { machine, path } of own.clientEntries) {
    if (!machinesWithStateFiles.has(machine)) {
      at(
        inventoryFile,
        path,
        'warning',
        `machine "${machine}" has the client role but no machines/${machine}/state.json or state.yaml; it backs up nothing and gets no jobs`,
      );
    }
  }

  for (const [machine, file] of stateFiles) {
    const rules = input.stateRules?.get(machine);
    if (rules !== undefined) problems.push(...rules);
    else
      problems.push(
        ...stateFileRules(machine, file, statesAt(machine), declarations.states[machine]?.states ?? {}),
      );
    if (!own.clientMachines.has(machine)) {
      at(
        file,
        [...statesAt(machine)],
        'warning',
        `machine "${machine}" has states but is not a client of any borgbackup instance; nothing backs them up`,
      );
    }
  }

  // a server can authorize a client only by its committed key, which is not in the inventory
  const seen = new Set<string>();
  for (const client of declarations.clients) {
    // a machine that is a client twice is reported once, as in checkDestinations
    if (seen.has(client.machine)) continue;
    seen.add(client.machine);
    if (declarations.publicKeys[client.machine]) continue;
    for (const destination of client.destinations) {
      if (!destination.server) continue;
      at(
        inventoryFile,
        ['instances', client.instance, 'roles', 'client', 'machines', client.machine],
        'warning',
        `server "${destination.server.machine}" cannot authorize machine "${client.machine}" until machines/${client.machine}/borgbackup.ssh.pub is committed (\`borgops keys show\` on ${client.machine})`,
      );
    }
  }
  return problems;
}

/**
 * The rules of one state file alone (its machine directory's name, its states' names, a folder
 * declared by two states): the same for the same file, so a preview's base and head share them.
 */
export function stateFileRules(
  machine: string,
  file: ParsedFile,
  prefix: readonly string[],
  states: Readonly<Record<string, { folders?: readonly string[] | undefined }>>,
): Problem[] {
  const problems: Problem[] = [];
  const at = (path: PropertyKey[], severity: Severity, message: string, which?: 'key' | 'value') =>
    problems.push(problemAt(file, path, severity, message, which));
  if (!isSafeName(machine))
    at([], 'error', `machine directory name "${machine}" is not safe: use ${NAME_RULE}`);
  const folders = new Map<string, string>();
  for (const [state, declared] of Object.entries(states)) {
    if (!isSafeName(state)) at([...prefix, state], 'error', unsafeName('state', state));
    for (const [index, folder] of (declared.folders ?? []).entries()) {
      // `/srv/app/` and `/srv/./app` are `/srv/app`
      const normalized = isNormalFolder(folder) ? folder : posix.normalize(folder).replace(/(.)\/+$/, '$1');
      const other = folders.get(normalized);
      if (other !== undefined && other !== state) {
        at(
          [...prefix, state, 'folders', index],
          'warning',
          `folder ${folder} is also a folder of state "${other}"`,
          'value',
        );
      }
      folders.set(normalized, state);
    }
  }
  return problems;
}

/** A folder that posix.normalize leaves as it is and that has no trailing slash (most of them). */
function isNormalFolder(folder: string): boolean {
  return (
    folder.length > 1 &&
    folder.charCodeAt(0) === 0x2f &&
    !folder.endsWith('/') &&
    !folder.includes('//') &&
    !folder.includes('/.')
  );
}

type At = (
  file: ParsedFile,
  path: PropertyKey[],
  severity: Severity,
  message: string,
  which?: 'key' | 'value',
) => void;

function checkDestinations(inventoryFile: ParsedFile, clients: Declarations['clients'], at: At): void {
  // repository → archive prefix → who writes it; server destinations are per-client repositories
  const writers = new Map<string, Map<string, string>>();
  const seen = new Set<string>();
  for (const client of clients) {
    // a machine that is a client twice is reported once, by inventoryRules
    if (seen.has(client.machine)) continue;
    seen.add(client.machine);
    const machinePath = ['instances', client.instance, 'roles', 'client', 'machines', client.machine];
    const repositories = new Map<string, string>();
    for (const destination of client.destinations) {
      const destinationPath = [...machinePath, 'settings', 'destinations', destination.key];
      // a server destination's repository is the client's own directory on that server
      if (destination.server) continue;
      const repo = repositoryKey(destination.repo);
      const sameRepository = repositories.get(repo);
      if (sameRepository !== undefined) {
        at(
          inventoryFile,
          [...destinationPath, 'repo'],
          'error',
          `destination "${destination.key}" uses repository ${destination.repo} like destination "${sameRepository}" of machine "${client.machine}": their locks, keys and secrets would collide; use one destination per repository`,
          'value',
        );
      } else {
        repositories.set(repo, destination.key);
      }
      const prefix = archivePrefix(client.machine, destination.name);
      const byPrefix = writers.get(repo) ?? new Map<string, string>();
      const other = byPrefix.get(prefix);
      if (other !== undefined) {
        at(
          inventoryFile,
          destinationPath,
          'error',
          `archive prefix "${prefix}" of ${client.machine}/${destination.name} collides with ${other} in repository ${destination.repo}: their archives would be pruned together; rename a destination`,
        );
      } else {
        byPrefix.set(prefix, `${client.machine}/${destination.name}`);
      }
      writers.set(repo, byPrefix);
    }
    if (client.encryption.mode === 'none') {
      at(
        inventoryFile,
        machinePath,
        'warning',
        `encryption.mode "none" for machine "${client.machine}": whoever can write its repositories can read every backup and forge archives that a restore puts in place; use repokey-blake2 or keyfile-blake2`,
      );
    }
    if (client.destinations.length === 0) {
      at(
        inventoryFile,
        machinePath,
        'warning',
        `machine "${client.machine}" has no destinations (declare settings.destinations or a server role); nothing is backed up`,
      );
    }
  }
}
