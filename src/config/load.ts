import type { z } from 'zod';
import { type ParsedFile, parseFile } from './document.js';
import { classify } from './files.js';
import { problemsFromIssues as problemsFor } from './issues.js';
import type { Declarations, MachineStates } from './model.js';
import { normalize } from './normalize.js';
import { capProblems, compareProblems, hasErrors, type Problem } from './problem.js';
import { reservedKeys } from './reserved-keys.js';
import { checkRules } from './rules.js';
import { Inventory, StateFile } from './schema.js';

export interface LoadResult {
  /** Present when there are no errors (warnings may remain). */
  declarations?: Declarations;
  problems: Problem[];
}

interface Checked<T> {
  text: string;
  result?: { parsed: ParsedFile; value: T };
  problems: Problem[];
}

/**
 * Files already parsed and checked, by path: loading two commits that share most files (a
 * preview's base and head) parses each shared file once. Values are shared, so never mutated.
 */
export type LoadCache = Map<string, Checked<unknown>>;

export function createLoadCache(): LoadCache {
  return new Map();
}

function check<T>(file: string, text: string, schema: z.ZodType<T>): Checked<T> {
  const result = parseFile(file, text);
  if (!result.ok) return { text, problems: result.problems };
  const reserved = reservedKeys(result.parsed);
  if (reserved.length > 0) return { text, problems: reserved };
  const checked = schema.safeParse(result.parsed.value ?? {});
  if (!checked.success) return { text, problems: problemsFor(result.parsed, schema, checked.error.issues) };
  return { text, result: { parsed: result.parsed, value: checked.data }, problems: [] };
}

function parseWith<T>(
  file: string,
  text: string,
  schema: z.ZodType<T>,
  problems: Problem[],
  cache: LoadCache | undefined,
): { parsed: ParsedFile; value: T } | undefined {
  const cached = cache?.get(file) as Checked<T> | undefined;
  const checked = cached?.text === text ? cached : check(file, text, schema);
  cache?.set(file, checked);
  problems.push(...checked.problems);
  return checked.result;
}

/**
 * Validates and normalizes the files of a config repository (path → text), pure.
 * Returns every problem at once; declarations only when there is no error.
 */
export function loadDeclarations(
  files: ReadonlyMap<string, string>,
  commit?: string,
  cache?: LoadCache,
): LoadResult {
  const problems: Problem[] = [];
  const inventoryPaths: string[] = [];
  const statePaths = new Map<string, string[]>();
  const keyPaths = new Map<string, string>();
  for (const path of [...files.keys()].sort()) {
    const file = classify(path);
    if (!file) continue;
    if (file.kind === 'inventory') inventoryPaths.push(path);
    else if (file.kind === 'state')
      statePaths.set(file.machine, [...(statePaths.get(file.machine) ?? []), path]);
    else if (file.kind === 'public-key') keyPaths.set(file.machine, path);
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
  const inventory = parseWith(inventoryFile, files.get(inventoryFile)!, Inventory, problems, cache);

  const states: Record<string, MachineStates> = {};
  const stateFiles = new Map<string, ParsedFile>();
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
    const state = parseWith(path, files.get(path)!, StateFile, problems, cache);
    if (state) {
      states[machine] = { file: path, states: state.value.state };
      stateFiles.set(machine, state.parsed);
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
    publicKeys[machine] = { file: path, key };
  }

  if (!inventory) return { problems: capProblems(problems.sort(compareProblems)) };

  const normalized = normalize(inventory.value, states, publicKeys, commit);
  problems.push(
    ...normalized.problems.map((p) => ({ ...p, file: inventoryFile, line: inventory.parsed.lineOf(p.at) })),
  );
  problems.push(
    ...checkRules({
      inventory: inventory.value,
      inventoryFile: inventory.parsed,
      stateFiles,
      machinesWithStateFiles: new Set(statePaths.keys()),
      declarations: normalized.declarations,
    }),
  );
  const reported = capProblems(problems.sort(compareProblems));
  return hasErrors(reported)
    ? { problems: reported }
    : { declarations: { ...normalized.declarations, inventoryFile }, problems: reported };
}
