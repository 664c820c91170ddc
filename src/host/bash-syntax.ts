import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { readCache, writeCache } from './cache-file.js';
import { executableFingerprint } from './executable.js';

/** bash processes checking at once: a fleet's scripts are many, the machine's cores few. */
const PARALLEL = 4;
/** Verdicts kept for the process's later loads (the agent reloads the same scripts each commit). */
const REMEMBERED = 2_000;
const QUOTED_LINE_MAX = 120;
/** Under Linux's limit for one argument (128 KiB); a longer script goes on stdin. */
const ARGUMENT_MAX = 100 * 1024;

const verdicts = new Map<string, Promise<string | undefined>>();
let running = 0;
const waiting: (() => void)[] = [];

async function slot<T>(task: () => Promise<T>): Promise<T> {
  if (running >= PARALLEL) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await task();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** bash's complaint in one line: `line 2: syntax error near unexpected token ... (in `code')`. */
function complaint(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.replace(/^bash: (-c: )?/, ''))
    .filter((line) => line.trim() !== '' && !/^line \d+: warning: /.test(line));
  const [first = 'syntax error', second] = lines;
  const code = second === undefined ? undefined : /^line \d+: (`.*')$/.exec(second)?.[1];
  const quoted =
    code === undefined || code.length > QUOTED_LINE_MAX ? '' : ` (in ${code.replace(/[\r\t]/g, ' ')})`;
  return `bash -n: ${first}${quoted}`;
}

interface BashResult {
  /** undefined when bash could not be started (not installed). */
  exitCode: number | undefined;
  stderr: string;
}

/** `bash -n` once. node:child_process, not execa: a fleet has thousands of scripts, and execa costs ~5 ms of CPU per process. */
function bashCheck(script: string): Promise<BashResult> {
  const inline = Buffer.byteLength(script) <= ARGUMENT_MAX;
  return new Promise((resolve) => {
    const child = execFile(
      'bash',
      inline ? ['-n', '-c', script] : ['-n'],
      // bash's messages in English whatever the machine's locale
      { env: { ...process.env, LC_ALL: 'C' }, timeout: 30_000, maxBuffer: 1024 * 1024, encoding: 'utf8' },
      (error, _stdout, stderr) => {
        if (error === null) return resolve({ exitCode: 0, stderr });
        const code = (error as { code?: unknown }).code;
        resolve({ exitCode: typeof code === 'number' ? code : undefined, stderr: String(stderr).trimEnd() });
      },
    );
    // a script too long for one argument goes on stdin; bash may stop reading early
    child.stdin?.on('error', () => {});
    child.stdin?.end(inline ? undefined : script);
  });
}

async function check(script: string): Promise<string | undefined> {
  const result = await slot(() => bashCheck(script));
  // no bash to ask (a minimal CI image): the hooks cannot run there either, nothing to say here
  if (result.exitCode === undefined) return undefined;
  return result.exitCode === 0 ? undefined : complaint(result.stderr);
}

/** `bash -n` of a hook script: undefined when bash parses it, else bash's complaint in one line. */
export function bashSyntax(script: string): Promise<string | undefined> {
  const known = verdicts.get(script);
  if (known !== undefined) return known;
  if (verdicts.size >= REMEMBERED) verdicts.clear();
  const verdict = check(script);
  verdicts.set(script, verdict);
  return verdict;
}

/** Scripts kept in `<state>/bash-syntax.json`: the newest this many. */
const REMEMBERED_ACROSS_RUNS = 10_000;

const Accepted = z.object({ fingerprint: z.string(), accepted: z.array(z.string()) });

function digest(script: string): string {
  return createHash('sha256').update(script).digest('hex');
}

/**
 * `bash -n` that remembers, in a file of the state directory, the scripts this bash accepted: a
 * plan or apply checks only the scripts it has not seen parse (one edited hook, not every hook of
 * the machine). Only acceptance is remembered (a refusal is asked again, for bash's own words),
 * keyed by the sha256 of the script and tied to the bash executable (another bash asks again).
 * An unreadable file is an empty one; one that cannot be written costs the next run the checks.
 */
export async function rememberingBashSyntax(
  file: string,
): Promise<{ check: (script: string) => Promise<string | undefined>; save(): Promise<void> }> {
  const fingerprint = await executableFingerprint('bash', process.env.PATH);
  if (fingerprint === undefined) return { check: bashSyntax, save: async () => {} };
  const cached = await readCache(file, Accepted);
  const accepted = cached?.fingerprint === fingerprint ? cached.accepted : [];
  const known = new Set(accepted);
  const added = new Set<string>();
  // this run's verdicts (a fleet repeats its scripts), apart from the process's: a long-running
  // agent reads the file again on each commit
  const asked = new Map<string, Promise<string | undefined>>();
  return {
    async check(script) {
      const hash = digest(script);
      if (known.has(hash)) return undefined;
      let verdict = asked.get(hash);
      if (verdict === undefined) {
        verdict = check(script);
        asked.set(hash, verdict);
      }
      if ((await verdict) === undefined) added.add(hash);
      return verdict;
    },
    async save() {
      if (added.size === 0) return;
      const all = [...accepted.filter((hash) => !added.has(hash)), ...added].slice(-REMEMBERED_ACROSS_RUNS);
      await writeCache(file, { fingerprint, accepted: all });
    },
  };
}
