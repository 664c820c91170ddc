import type { ParsedFile } from './document.js';
import { dottedPath, type Problem } from './problem.js';
import type { State } from './schema.js';

/** Where a declared script is: the state file, the line of its value, its dotted path. */
export interface ScriptSite {
  file: string;
  /** The line of its value: located only when a problem names it (locating parses the file again). */
  line(): number;
  /** Its dotted path (`state.linkding.preBackupScript`), made only when a problem names it. */
  path(): string;
  script: string;
}

/** Checks a script's syntax without running it: undefined when it parses, else why not. */
export type ScriptCheck = (script: string) => Promise<string | undefined>;

const SCRIPT_FIELDS = [
  'preBackupScript',
  'postBackupScript',
  'preRestoreScript',
  'postRestoreScript',
  'verifyScript',
] as const satisfies readonly (keyof State)[];

/** A script of a state file; its path and line are made only when a problem names it. */
class StateScript implements ScriptSite {
  constructor(
    private readonly parsed: ParsedFile,
    private readonly prefix: readonly string[],
    private readonly state: string,
    private readonly field: string,
    readonly script: string,
  ) {}

  get file(): string {
    return this.parsed.file;
  }

  line(): number {
    return this.parsed.lineOf([...this.prefix, this.state, this.field], 'value');
  }

  path(): string {
    return dottedPath([...this.prefix, this.state, this.field]);
  }
}

/** The scripts of one state file: their texts now, their sites only when bash refuses one. */
export interface ScriptSource {
  /** Each script the file declares, in the file's order (a script may appear twice). */
  readonly scripts: readonly string[];
  sites(): ScriptSite[];
}

/** Every script a state file declares, located for a `file:line: path` problem. */
export function scriptSites(
  parsed: ParsedFile,
  prefix: readonly string[],
  states: Readonly<Record<string, State>>,
): ScriptSite[] {
  const sites: ScriptSite[] = [];
  for (const [name, state] of Object.entries(states)) {
    for (const field of SCRIPT_FIELDS) {
      const script = state[field];
      if (script !== undefined) sites.push(new StateScript(parsed, prefix, name, field, script));
    }
  }
  return sites;
}

/**
 * A state file's scripts, with their sites made only when asked: a 10,000-machine fleet declares
 * hundreds of thousands of scripts, and a site is needed only for a script bash refuses.
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
  return { scripts, sites: () => scriptSites(parsed, prefix, states) };
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
  const problems: Problem[] = [];
  if (refused.size === 0) return problems;
  for (const source of sources) {
    if (!source.scripts.some((script) => refused.has(script))) continue;
    for (const site of source.sites()) {
      const message = refused.get(site.script);
      if (message !== undefined)
        problems.push({ file: site.file, line: site.line(), path: site.path(), message, severity: 'error' });
    }
  }
  return problems;
}
