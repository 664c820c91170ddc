import type { ParsedFile } from './document.js';
import { dottedPath, type Problem } from './problem.js';
import type { State } from './schema.js';

/** Checks a script's syntax without running it: undefined when it parses, else why not. */
export type ScriptCheck = (script: string) => Promise<string | undefined>;

const SCRIPT_FIELDS = [
  'preBackupScript',
  'postBackupScript',
  'preRestoreScript',
  'postRestoreScript',
  'verifyScript',
] as const satisfies readonly (keyof State)[];

/** The scripts of one state file: their texts now, located only when bash refuses one. */
export interface ScriptSource {
  /** Each script the file declares, in the file's order (a script may appear twice). */
  readonly scripts: readonly string[];
  /** An error at each of the file's scripts that `refused` names (script → why), with its line and path. */
  problems(refused: ReadonlyMap<string, string>): Problem[];
}

/**
 * A state file's scripts. A 10,000-machine fleet declares hundreds of thousands; a line and a
 * path (locating parses the file again) are needed only for a script bash refuses.
 */
export function scriptSource(
  parsed: ParsedFile,
  prefix: readonly string[],
  states: Readonly<Record<string, State>>,
): ScriptSource {
  const scripts: string[] = [];
  for (const state of Object.values(states)) {
    for (const field of SCRIPT_FIELDS) {
      const script = state[field];
      if (script !== undefined) scripts.push(script);
    }
  }
  const problems = (refused: ReadonlyMap<string, string>): Problem[] => {
    // most files have no refused script: none of their states is walked or located
    if (!scripts.some((script) => refused.has(script))) return [];
    const found: Problem[] = [];
    for (const [name, state] of Object.entries(states)) {
      for (const field of SCRIPT_FIELDS) {
        const script = state[field];
        const message = script === undefined ? undefined : refused.get(script);
        if (message === undefined) continue;
        const path = [...prefix, name, field];
        found.push({
          file: parsed.file,
          line: parsed.lineOf(path, 'value'),
          path: dottedPath(path),
          message,
          severity: 'error',
        });
      }
    }
    return found;
  };
  return { scripts, problems };
}

/** One error per script that does not parse; each distinct script is checked (and awaited) once. */
export async function scriptProblems(
  sources: readonly ScriptSource[],
  check: ScriptCheck,
): Promise<Problem[]> {
  const verdicts = new Map<string, Promise<string | undefined>>();
  for (const source of sources)
    for (const script of source.scripts) if (!verdicts.has(script)) verdicts.set(script, check(script));
  const refused = new Map<string, string>();
  for (const [script, verdict] of verdicts) {
    const message = await verdict;
    if (message !== undefined) refused.set(script, message);
  }
  if (refused.size === 0) return [];
  return sources.flatMap((source) => source.problems(refused));
}
