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

/**
 * Every script a state file declares, located for a `file:line: path` problem: one small object
 * each (a 10,000-machine fleet declares hundreds of thousands).
 */
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

/** One error per script that does not parse; each distinct script is checked (and awaited) once. */
export async function scriptProblems(sites: readonly ScriptSite[], check: ScriptCheck): Promise<Problem[]> {
  const verdicts = new Map<string, Promise<string | undefined>>();
  for (const site of sites) if (!verdicts.has(site.script)) verdicts.set(site.script, check(site.script));
  const refused = new Map<string, string>();
  for (const [script, verdict] of verdicts) {
    const message = await verdict;
    if (message !== undefined) refused.set(script, message);
  }
  const problems: Problem[] = [];
  if (refused.size === 0) return problems;
  for (const site of sites) {
    const message = refused.get(site.script);
    if (message !== undefined)
      problems.push({ file: site.file, line: site.line(), path: site.path(), message, severity: 'error' });
  }
  return problems;
}
