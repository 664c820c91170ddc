import { execa } from 'execa';

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

async function check(script: string): Promise<string | undefined> {
  const result = await slot(() =>
    execa('bash', Buffer.byteLength(script) <= ARGUMENT_MAX ? ['-n', '-c', script] : ['-n'], {
      ...(Buffer.byteLength(script) <= ARGUMENT_MAX ? {} : { input: script }),
      reject: false,
      timeout: 30_000,
      // bash's messages in English whatever the machine's locale
      env: { LC_ALL: 'C' },
      stripFinalNewline: true,
    }),
  );
  // no bash to ask (a minimal CI image): the hooks cannot run there either, nothing to say here
  if (result.failed && result.exitCode === undefined) return undefined;
  return result.exitCode === 0 ? undefined : complaint(String(result.stderr));
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
