import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { readCache, writeCache } from './cache-file.js';
import { executableFingerprint } from './executable.js';

/** Scripts checked at once: two bash drivers (the machine's cores are few). */
const DRIVERS = 2;
/** Verdicts kept for the process's later loads (the agent reloads the same scripts each commit). */
const REMEMBERED = 2_000;
const QUOTED_LINE_MAX = 120;
/** Under Linux's limit for one argument (128 KiB); a longer script goes on stdin. */
const ARGUMENT_MAX = 100 * 1024;
/** A driver that answers nothing for this long is killed; what it was asked gets no verdict. */
const SILENCE_MS = 30_000;

const verdicts = new Map<string, Promise<Verdict>>();

/**
 * bash's answer: parsed, a complaint, or none (no bash to ask, a check killed or silent). Only
 * `accepted` is remembered across runs: a missing answer is asked again next time.
 */
type Verdict = { accepted: true } | { accepted: false; complaint?: string };

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
  /** undefined when bash could not be started (not installed), or gave no answer. */
  exitCode: number | undefined;
  stderr: string;
}

// bash's messages in English whatever the machine's locale
const bashEnv = () => ({ ...process.env, LC_ALL: 'C' });

/**
 * A bash that runs `bash -n -c <script>` for each NUL-terminated script it reads, and answers
 * `<exit code>\0<stderr>\0`. Forking a small bash costs ~1 ms; forking Node, whose memory
 * grows with the fleet it loaded, costs 3–10 ms of the main thread per script. The script is
 * only ever an argument of `bash -n` (never evaluated), exactly as one `bash -n -c` was.
 */
const DRIVER = `while IFS= read -r -d '' s; do e=$(bash -n -c "$s" 2>&1 >/dev/null); printf '%d\\0%s\\0' "$?" "$e"; done`;

class Driver {
  private readonly child: ChildProcess;
  private readonly waiting: ((result: BashResult) => void)[] = [];
  private readonly chunks: Buffer[] = [];
  private timer: NodeJS.Timeout | undefined;
  private ended = false;
  /** The PATH it was started with: its inner `bash` is the one found there. */
  readonly path = process.env.PATH;

  constructor() {
    this.child = spawn('bash', ['-c', DRIVER], { env: bashEnv(), stdio: ['pipe', 'pipe', 'ignore'] });
    this.child.on('error', () => this.end());
    this.child.on('close', () => this.end());
    this.child.stdin?.on('error', () => this.end());
    this.child.stdout?.on('data', (chunk: Buffer) => this.read(chunk));
    // an idle driver never keeps the process alive; while a question waits, the timer of watch() does
    this.child.unref();
    for (const stream of [this.child.stdin, this.child.stdout]) (stream as { unref?(): void })?.unref?.();
  }

  get pending(): number {
    return this.ended ? Number.POSITIVE_INFINITY : this.waiting.length;
  }

  check(script: string): Promise<BashResult> {
    if (this.ended) return Promise.resolve({ exitCode: undefined, stderr: '' });
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.stdin?.write(`${script}\0`);
      this.watch();
    });
  }

  /** Takes no more questions; answers those asked, then exits (its stdin ends). */
  retire(): void {
    this.child.stdin?.end();
  }

  /** Answers come in the order of the questions: `<code>\0<stderr>\0` each. */
  private read(chunk: Buffer): void {
    this.chunks.push(chunk);
    let buffer = Buffer.concat(this.chunks);
    this.chunks.length = 0;
    for (;;) {
      const code = buffer.indexOf(0);
      const message = code === -1 ? -1 : buffer.indexOf(0, code + 1);
      if (message === -1) break;
      const exitCode = Number(buffer.subarray(0, code).toString('latin1'));
      const stderr = buffer
        .subarray(code + 1, message)
        .toString('utf8')
        .trimEnd();
      buffer = buffer.subarray(message + 1);
      this.waiting.shift()?.({ exitCode: Number.isInteger(exitCode) ? exitCode : undefined, stderr });
    }
    if (buffer.length > 0) this.chunks.push(buffer);
    this.watch();
  }

  private watch(): void {
    clearTimeout(this.timer);
    this.timer = this.waiting.length === 0 ? undefined : setTimeout(() => this.end(), SILENCE_MS);
  }

  /** Gone or silent: every open question gets no verdict, later ones go to a new driver. */
  private end(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.timer);
    this.child.kill('SIGKILL');
    for (const resolve of this.waiting.splice(0)) resolve({ exitCode: undefined, stderr: '' });
  }
}

let drivers: Driver[] = [];

/** Drops (and retires) the drivers that ended or were started with another PATH. */
function keepUsableDrivers(): void {
  drivers = drivers.filter((driver) => {
    const usable = driver.pending !== Number.POSITIVE_INFINITY && driver.path === process.env.PATH;
    if (!usable) driver.retire();
    return usable;
  });
}

/**
 * `bash -n` once, through the least busy driver: started on first use, and again after one
 * ended or PATH changed (the bash asked is always the one on PATH now, as the memory assumes).
 */
function driverCheck(script: string): Promise<BashResult> {
  keepUsableDrivers();
  let driver = drivers.reduce<Driver | undefined>(
    (least, next) => (least === undefined || next.pending < least.pending ? next : least),
    undefined,
  );
  // a second driver only when the first is busy: one edited hook costs one bash
  if (driver === undefined || (driver.pending > 0 && drivers.length < DRIVERS)) {
    driver = new Driver();
    drivers.push(driver);
  }
  return driver.check(script);
}

/**
 * Starts the bash drivers now, before they are needed: a fork costs the main thread more the
 * larger its heap, and a preview's heap grows by a fleet's files before its first script is
 * checked. Idle drivers keep nothing alive; one that is never asked exits with the process.
 */
export function startBashDrivers(): void {
  keepUsableDrivers();
  while (drivers.length < DRIVERS) drivers.push(new Driver());
}

/** `bash -n` of a script too long for an argument (on stdin), or one a driver cannot read (a NUL). */
function stdinCheck(script: string): Promise<BashResult> {
  return new Promise((resolve) => {
    const child = execFile(
      'bash',
      ['-n'],
      { env: bashEnv(), timeout: SILENCE_MS, maxBuffer: 1024 * 1024, encoding: 'utf8' },
      (error, _stdout, stderr) => {
        if (error === null) return resolve({ exitCode: 0, stderr });
        const code = (error as { code?: unknown }).code;
        // over 1 MB of complaints (bash quotes the offending line, which may be that long): a
        // complaint, never "no verdict", which would let the script through
        if (code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER')
          return resolve({ exitCode: 2, stderr: String(stderr) });
        resolve({ exitCode: typeof code === 'number' ? code : undefined, stderr: String(stderr).trimEnd() });
      },
    );
    // bash may stop reading early
    child.stdin?.on('error', () => {});
    child.stdin?.end(script);
  });
}

async function check(script: string): Promise<Verdict> {
  const inline = Buffer.byteLength(script) <= ARGUMENT_MAX && !script.includes('\0');
  const result = await (inline ? driverCheck(script) : stdinCheck(script));
  // no bash to ask (a minimal CI image): the hooks cannot run there either, nothing to say here;
  // 126 and up is not bash's verdict (not executable, not found, killed by a signal)
  if (result.exitCode === undefined || result.exitCode >= 126) return { accepted: false };
  return result.exitCode === 0
    ? { accepted: true }
    : { accepted: false, complaint: complaint(result.stderr) };
}

/** bash's verdict on a script, asked once per process. */
function verdictOf(script: string): Promise<Verdict> {
  const known = verdicts.get(script);
  if (known !== undefined) return known;
  if (verdicts.size >= REMEMBERED) verdicts.clear();
  const verdict = check(script);
  verdicts.set(script, verdict);
  return verdict;
}

/** `bash -n` of a hook script: undefined when bash parses it (or gave no answer), else bash's complaint in one line. */
export async function bashSyntax(script: string): Promise<string | undefined> {
  const verdict = await verdictOf(script);
  return verdict.accepted ? undefined : verdict.complaint;
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
  const asked = new Map<string, Promise<Verdict>>();
  return {
    async check(script) {
      const hash = digest(script);
      if (known.has(hash)) return undefined;
      let asking = asked.get(hash);
      if (asking === undefined) {
        asking = check(script);
        asked.set(hash, asking);
      }
      const verdict = await asking;
      // only what bash parsed is remembered: no answer (a check killed, bash gone) is asked again
      if (verdict.accepted) added.add(hash);
      return verdict.accepted ? undefined : verdict.complaint;
    },
    async save() {
      if (added.size === 0) return;
      const all = [...accepted.filter((hash) => !added.has(hash)), ...added].slice(-REMEMBERED_ACROSS_RUNS);
      await writeCache(file, { fingerprint, accepted: all });
    },
  };
}
