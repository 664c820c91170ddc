import { type LoadCache, type LoadResult, loadDeclarations } from '../../src/config/load.js';
import type { Declarations } from '../../src/config/model.js';
import { formatProblem, type Problem } from '../../src/config/problem.js';
import { type ScriptCheck, scriptProblems } from '../../src/config/scripts.js';
import { BorgopsError } from '../../src/errors.js';
import { type ConfigSnapshot, openSource, readAtCommit, readWorktree } from '../../src/git/source.js';
import { bashSyntax, rememberingBashSyntax } from '../../src/host/bash-syntax.js';

export interface SourceOptions {
  source: string;
  ref: string;
  worktree: boolean;
  /** `<state>/bash-syntax.json`: the scripts bash accepted on this host before (a machine's commands). */
  syntaxCache?: string;
}

export interface LoadedSource {
  snapshot: ConfigSnapshot;
  result: LoadResult;
}

/** Reads the config repository at a ref (or its worktree) and validates it. */
export async function loadSource(options: SourceOptions): Promise<LoadedSource> {
  const source = await openSource(options.source, { worktree: options.worktree });
  const snapshot = options.worktree ? await readWorktree(source) : await readAtCommit(source, options.ref);
  return {
    snapshot,
    result: await validateFiles(
      snapshot.files,
      snapshot.worktree ? undefined : snapshot.commit,
      undefined,
      options.syntaxCache,
    ),
  };
}

/**
 * Validates the files of a commit, with `bash -n` of every declared script (a script that does
 * not parse would fail at backup time, after borg ran): what validate refuses, plan refuses.
 */
export async function validateFiles(
  files: ReadonlyMap<string, string>,
  commit?: string,
  cache?: LoadCache,
  syntaxCache?: string,
): Promise<LoadResult> {
  const syntax = syntaxCache === undefined ? undefined : await rememberingBashSyntax(syntaxCache);
  const result = await startValidation(files, commit, cache, syntax?.check)();
  await syntax?.save();
  return result;
}

/**
 * validateFiles in two steps: the files are loaded now and their scripts' `bash -n` started;
 * the returned function waits for the verdicts. Meanwhile the caller may load another commit
 * (a preview's head), while bash checks this one's scripts on another core.
 */
export function startValidation(
  files: ReadonlyMap<string, string>,
  commit?: string,
  cache?: LoadCache,
  check: ScriptCheck = bashSyntax,
): () => Promise<LoadResult> {
  const result = loadDeclarations(files, commit, cache);
  const verdicts = scriptProblems(result.scripts ?? [], check);
  // awaited by the returned function; until then a failure is not an unhandled rejection
  verdicts.catch(() => {});
  return async () => {
    const broken = await verdicts;
    // again with them, so they are sorted, capped and refuse the declarations like any other error
    return broken.length === 0 ? result : loadDeclarations(files, commit, cache, broken);
  };
}

/** Valid declarations, or an E_CONFIG error listing every problem: nothing acts on an invalid set. */
export function requireValid(loaded: LoadedSource): { declarations: Declarations; warnings: Problem[] } {
  const { declarations, problems } = loaded.result;
  if (!declarations) {
    const errors = problems.filter((p) => p.severity === 'error');
    throw new BorgopsError(
      'E_CONFIG',
      `the declarations${describe(loaded.snapshot)} are invalid (${errors.length} error${errors.length === 1 ? '' : 's'}); run \`borgops validate\``,
      { details: problems.map(formatProblem) },
    );
  }
  return { declarations, warnings: problems };
}

export function describe(snapshot: ConfigSnapshot): string {
  if (snapshot.worktree) return ' in the working tree';
  return snapshot.commit ? ` at ${snapshot.commit.slice(0, 12)}` : '';
}
