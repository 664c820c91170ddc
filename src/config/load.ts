import type { z } from 'zod';
import { resolveInventory, setAsideOtherModules } from './clan-inventory.js';
import { clanStateFields, STATE_FORMS, stateFormOf, statesOf, stateValueOf } from './clan-state.js';
import { type ParsedFile, parseFile } from './document.js';
import { type ConfigFile, classify } from './files.js';
import { problemsFromIssues as problemsFor } from './issues.js';
import type { Declarations, MachineStates } from './model.js';
import { type NormalizedInventory, normalizeInventory, withStates } from './normalize.js';
import { withoutNulls } from './nulls.js';
import { capProblems, compareProblems, dottedPath, hasErrors, type Problem } from './problem.js';
import { reservedKeys } from './reserved-keys.js';
import { checkRules, type InventoryRules, inventoryRules, stateFileRules } from './rules.js';
import { Inventory, type State } from './schema.js';
import { type ScriptSource, scriptSource } from './scripts.js';
import { checkSecrets, readSecrets } from './secrets.js';
import { fitsStateForm } from './state-shape.js';

export interface LoadResult {
  /** Present when there are no errors (warnings may remain). */
  declarations?: Declarations;
  problems: Problem[];
  /** clan keys and instances of other modules that were read past (for one line of `validate`). */
  ignored?: string[];
  /** Every script the state files declare (one source per file), for a syntax check outside this pure function. */
  scripts?: ScriptSource[];
}

interface Checked<T> {
  text: string;
  result?: { parsed: ParsedFile; value: T };
  problems: Problem[];
  /** A state file's scripts (located lazily), kept with the file so a shared file finds them once. */
  scripts?: ScriptSource;
  /** A state file's own rules (stateFileRules), kept with it for the same reason. */
  rules?: Problem[];
}

/**
 * Files already parsed and checked, by path: loading two commits that share most files (a
 * preview's base and head) parses each shared file once. Values are shared, so never mutated.
 */
export type LoadCache = Map<string, Checked<unknown>>;

export function createLoadCache(): LoadCache {
  return new Map();
}

type Validate<T> = (value: unknown, parsed: ParsedFile) => { value?: T; problems: Problem[] };

function schemaCheck<T>(
  parsed: ParsedFile,
  schema: z.ZodType<T>,
  value: unknown,
): { value?: T; problems: Problem[] } {
  // `nix eval --json` prints unset options as null: null is "unset" wherever borgops reads a key
  const checked = schema.safeParse(withoutNulls(value, schema));
  if (!checked.success) return { problems: problemsFor(parsed, schema, checked.error.issues) };
  return { value: checked.data, problems: [] };
}

interface InventoryFile {
  inventory: Inventory;
  otherModules: string[];
}

const checkInventory: Validate<InventoryFile> = (value, parsed) => {
  const aside = setAsideOtherModules(value);
  const checked = schemaCheck(parsed, Inventory, aside.value);
  return checked.value === undefined
    ? { problems: checked.problems }
    : { value: { inventory: checked.value, otherModules: aside.ignored }, problems: [] };
};

interface StateFileValue {
  /** Where the states map is in the file (`state`, the top, or `clan.core.state`). */
  prefix: readonly string[];
  states: Record<string, State>;
}

const checkState: Validate<StateFileValue> = (value, parsed) => {
  const form = stateFormOf(value);
  const { prefix, schema } = STATE_FORMS[form];
  const candidate = stateValueOf(form, value);
  // a file that fits the schema as it is skips zod's copy (state-shape.ts); zod words any problem
  const checked = fitsStateForm(form, candidate)
    ? { value: candidate, problems: [] }
    : schemaCheck<unknown>(parsed, schema, candidate);
  if (checked.value === undefined) return { problems: checked.problems };
  const fields = clanStateFields(parsed, prefix, statesOf(form, checked.value));
  return fields.problems.length > 0
    ? { problems: fields.problems }
    : { value: { prefix, states: fields.states }, problems: [] };
};

function check<T>(file: string, text: string, validate: Validate<T>): Checked<T> {
  const result = parseFile(file, text);
  if (!result.ok) return { text, problems: result.problems };
  const reserved = reservedKeys(result.parsed);
  if (reserved.length > 0) return { text, problems: reserved };
  const checked = validate(result.parsed.value ?? {}, result.parsed);
  if (checked.value === undefined) return { text, problems: checked.problems };
  return { text, result: { parsed: result.parsed, value: checked.value }, problems: [] };
}

function parseWith<T>(
  file: string,
  text: string,
  validate: Validate<T>,
  problems: Problem[],
  cache: LoadCache | undefined,
): Checked<T> {
  const cached = cache?.get(file) as Checked<T> | undefined;
  const checked = cached?.text === text ? cached : check(file, text, validate);
  cache?.set(file, checked);
  problems.push(...checked.problems);
  return checked;
}

/** What the inventory alone gives: resolved, normalized, its own rules and their problems. */
interface InventoryDerived {
  resolved: ReturnType<typeof resolveInventory>;
  normalized: NormalizedInventory;
  rules: InventoryRules;
  /** resolveInventory's and normalizeInventory's problems, located in the inventory file. */
  problems: Problem[];
}

/**
 * By checked inventory (shared through a LoadCache): two commits with the same inventory file
 * (a preview whose pull request changes state files) resolve, normalize and check it once, and
 * share its clients, so comparing their machines stops at the first shared object. Pure
 * functions of the file's value, which is never mutated; dropped with the cache.
 */
const inventoryMemo = new WeakMap<object, InventoryDerived>();

function inventoryDerived(inventory: { parsed: ParsedFile; value: InventoryFile }): InventoryDerived {
  let derived = inventoryMemo.get(inventory);
  if (derived === undefined) {
    const resolved = resolveInventory(inventory.value.inventory);
    const normalized = normalizeInventory(resolved.inventory);
    derived = {
      resolved,
      normalized,
      rules: inventoryRules(resolved.inventory, inventory.parsed, normalized.clients),
      problems: [...resolved.problems, ...normalized.problems].map((p) => ({
        file: inventory.parsed.file,
        line: inventory.parsed.lineOf(p.at),
        path: dottedPath(p.at),
        message: p.message,
        severity: p.severity,
      })),
    };
    inventoryMemo.set(inventory, derived);
  }
  return derived;
}

/**
 * Validates and normalizes the files of a config repository (path → text), pure.
 * Returns every problem at once; declarations only when there is no error.
 */
export function loadDeclarations(
  files: ReadonlyMap<string, string>,
  commit?: string,
  cache?: LoadCache,
  /** Problems found outside (a script's `bash -n`), reported and counted with the others. */
  found: readonly Problem[] = [],
): LoadResult {
  const problems: Problem[] = [...found];
  const inventoryPaths: string[] = [];
  const statePaths = new Map<string, string[]>();
  const keyPaths = new Map<string, string>();
  const secretPaths: Extract<ConfigFile, { kind: 'secret' }>[] = [];
  for (const path of [...files.keys()].sort()) {
    const file = classify(path);
    if (!file) continue;
    if (file.kind === 'inventory') inventoryPaths.push(path);
    else if (file.kind === 'state')
      statePaths.set(file.machine, [...(statePaths.get(file.machine) ?? []), path]);
    else if (file.kind === 'public-key') keyPaths.set(file.machine, path);
    else if (file.kind === 'secret') secretPaths.push(file);
    else {
      problems.push({
        file: path,
        line: 1,
        path: '',
        message: `ignored: borgops reads "${path.replace(/\.yml$/, '.yaml')}" (.json or .yaml)`,
        severity: 'warning',
      });
    }
  }

  if (inventoryPaths.length === 0) {
    problems.push({
      file: 'inventory.json',
      line: 1,
      path: '',
      message: 'no inventory: add inventory.json or inventory.yaml at the top of the config repository',
      severity: 'error',
    });
    return { problems };
  }
  if (inventoryPaths.length > 1) {
    problems.push({
      file: inventoryPaths[1]!,
      line: 1,
      path: '',
      message: `both ${inventoryPaths.join(' and ')} exist; keep one`,
      severity: 'error',
    });
  }
  const inventoryFile = inventoryPaths[0]!;
  const inventory = parseWith(
    inventoryFile,
    files.get(inventoryFile)!,
    checkInventory,
    problems,
    cache,
  ).result;

  const states: Record<string, MachineStates> = {};
  const stateFiles = new Map<string, ParsedFile>();
  const statePrefixes = new Map<string, readonly string[]>();
  const scripts: ScriptSource[] = [];
  const stateRules = new Map<string, Problem[]>();
  for (const [machine, paths] of statePaths) {
    if (paths.length > 1) {
      problems.push({
        file: paths[1]!,
        line: 1,
        path: '',
        message: `both ${paths.join(' and ')} exist; keep one`,
        severity: 'error',
      });
    }
    const path = paths[0]!;
    const checked = parseWith(path, files.get(path)!, checkState, problems, cache);
    const state = checked.result;
    if (state) {
      states[machine] = { file: path, states: state.value.states };
      stateFiles.set(machine, state.parsed);
      statePrefixes.set(machine, state.value.prefix);
      checked.scripts ??= scriptSource(state.parsed, state.value.prefix, state.value.states);
      scripts.push(checked.scripts);
      checked.rules ??= stateFileRules(machine, state.parsed, state.value.prefix, state.value.states);
      stateRules.set(machine, checked.rules);
    }
  }

  const publicKeys: Record<string, { file: string; key: string }> = {};
  for (const [machine, path] of keyPaths) {
    const key = (files.get(path) ?? '').trim().split('\n')[0]?.trim() ?? '';
    if (
      !/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+=*( [^\n]*)?$/.test(
        key,
      )
    ) {
      problems.push({
        file: path,
        line: 1,
        path: '',
        message:
          'is not an SSH public key (expected "ssh-ed25519 AAAA… comment", as `borgops keys show` prints)',
        severity: 'error',
      });
      continue;
    }
    // sshd takes the first line that matches a key: a shared key logs one machine into the other's repository
    const material = key.split(' ').slice(0, 2).join(' ');
    const twin = Object.entries(publicKeys).find(
      ([, other]) => other.key.split(' ').slice(0, 2).join(' ') === material,
    );
    if (twin !== undefined) {
      const [otherMachine, other] = twin;
      problems.push({
        file: path,
        line: 1,
        path: '',
        message: `is the same SSH public key as ${other.file}: machines "${otherMachine}" and "${machine}" would share each other's repositories on a server; give each machine its own key (\`borgops keys show\` on ${machine})`,
        severity: 'error',
      });
      continue;
    }
    publicKeys[machine] = { file: path, key };
  }

  const secrets = readSecrets(files, secretPaths, problems);
  if (!inventory) return { problems: capProblems(problems.sort(compareProblems)), scripts };

  const derived = inventoryDerived(inventory);
  const { resolved, normalized } = derived;
  const ignored = [...resolved.ignored, ...inventory.value.otherModules];
  const declared = withStates(normalized, states, publicKeys, commit);
  problems.push(...derived.problems);
  problems.push(
    ...checkRules(
      {
        inventoryFile: inventory.parsed,
        stateFiles,
        statePrefixes,
        machinesWithStateFiles: new Set(statePaths.keys()),
        declarations: declared,
        stateRules,
      },
      derived.rules,
    ),
  );
  const declarations: Declarations = {
    ...declared,
    inventoryFile,
    recipients: [...new Set(inventory.value.inventory.secrets?.recipients ?? [])].sort(),
    secrets,
  };
  problems.push(...checkSecrets(declarations, inventory.parsed));
  const reported = capProblems(problems.sort(compareProblems));
  return hasErrors(reported)
    ? { problems: reported, ignored, scripts }
    : { declarations, problems: reported, ignored, scripts };
}
