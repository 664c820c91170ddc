import { spawn } from 'node:child_process';
import { access, constants, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DesiredHook } from '../desired/types.js';
import { BorgopsError } from '../errors.js';
import type { Logger } from '../log.js';
import { ownFileExists } from './nofollow.js';
import type { HostPaths } from './paths.js';

/** What one run of an installed hook script did. */
export interface HookRun {
  /** The command name: `pre-backup-linkding`. */
  name: string;
  state: string;
  ok: boolean;
  exitCode?: number;
  /** Why it failed, for people: `exit code 3`, `not installed …`, `killed by SIGTERM`. */
  error?: string;
  /** The end of its combined stdout and stderr. */
  output: string;
  durationSeconds: number;
}

export interface HookRunOptions {
  paths: HostPaths;
  machine: string;
  /** Extra variables (restore scripts get clan's `NAME` and `FOLDERS`). */
  env?: Readonly<Record<string, string>>;
  /** Stops the script (SIGTERM, SIGKILL 10 s later); post scripts run without one, so they always finish. */
  signal?: AbortSignal;
  logger: Logger;
}

// Enough to show why a script failed without holding a chatty rsync -v in memory.
const OUTPUT_TAIL_BYTES = 8 * 1024;
const FORCE_KILL_AFTER_MS = 10_000;

async function readTail(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, OUTPUT_TAIL_BYTES);
    const { buffer } = await handle.read(Buffer.alloc(length), 0, length, size - length);
    const text = buffer.toString('utf8');
    return size > length ? `…${text.slice(text.indexOf('\n') + 1)}` : text;
  } finally {
    await handle.close();
  }
}

/** How a script ended: its exit code, the signal that killed it, or why it could not start. */
type Exit = { exitCode: number } | { signal: NodeJS.Signals } | { code: string };

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}

/**
 * Output goes to a file, not a pipe: a script that leaves a daemon running (`service &`) must
 * not keep the run waiting for the pipe to close. Its own process group lets an abort stop the
 * script's children too (SIGTERM, then SIGKILL).
 */
async function execute(file: string, state: string, options: HookRunOptions) {
  const dir = await mkdtemp(join(tmpdir(), 'borgops-hook-'));
  const log = join(dir, 'output');
  const handle = await open(log, 'a', 0o600);
  let killer: NodeJS.Timeout | undefined;
  try {
    // file descriptors, not pipes: nothing to wait for once the script itself exits
    const child = spawn(file, [], {
      cwd: options.paths.root,
      env: {
        ...process.env,
        ...options.env,
        BORGOPS_ROOT: options.paths.root,
        BORGOPS_MACHINE: options.machine,
        BORGOPS_STATE: state,
      },
      stdio: ['ignore', handle.fd, handle.fd],
      detached: true,
    });
    const exited = new Promise<Exit>((resolve) => {
      child.once('error', (error: NodeJS.ErrnoException) => resolve({ code: error.code ?? 'unknown' }));
      child.once('exit', (exitCode, signal) =>
        resolve(exitCode === null ? { signal: signal ?? 'SIGKILL' } : { exitCode }),
      );
    });
    const stop = () => {
      killGroup(child.pid, 'SIGTERM');
      killer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), FORCE_KILL_AFTER_MS);
      killer.unref();
    };
    if (options.signal?.aborted) stop();
    else options.signal?.addEventListener('abort', stop, { once: true });
    const result = await exited;
    options.signal?.removeEventListener('abort', stop);
    return { result, output: await readTail(log), interrupted: options.signal?.aborted === true };
  } finally {
    clearTimeout(killer);
    await handle.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Runs a hook that `apply` installed under `<state-dir>/hooks` (never the declaration itself, so
 * what runs is what the ledger says is installed), with cwd `<root>` and `BORGOPS_ROOT`,
 * `BORGOPS_MACHINE`, `BORGOPS_STATE` in its environment. stdin is closed; output is captured.
 */
export async function runHook(
  hook: Pick<DesiredHook, 'name' | 'state'>,
  options: HookRunOptions,
): Promise<HookRun> {
  const file = join(options.paths.hooksDir, hook.name);
  const started = Date.now();
  const seconds = () => (Date.now() - started) / 1000;
  try {
    // never what a symlink swapped in points at
    if (!(await ownFileExists(file))) throw new Error('missing');
    await access(file, constants.X_OK);
  } catch (error: unknown) {
    if (error instanceof BorgopsError)
      return {
        name: hook.name,
        state: hook.state,
        ok: false,
        error: error.message,
        output: '',
        durationSeconds: seconds(),
      };
    return {
      name: hook.name,
      state: hook.state,
      ok: false,
      error: `${file} is not installed (or not executable); run \`borgops apply\``,
      output: '',
      durationSeconds: seconds(),
    };
  }
  options.logger.info({ hook: hook.name }, 'hook started');
  const { result, output, interrupted } = await execute(file, hook.state, options);
  const durationSeconds = seconds();
  if ('exitCode' in result && result.exitCode === 0) {
    options.logger.info({ hook: hook.name, durationSeconds }, 'hook finished');
    return { name: hook.name, state: hook.state, ok: true, exitCode: 0, output, durationSeconds };
  }
  const error = interrupted
    ? 'interrupted'
    : 'exitCode' in result
      ? `exit code ${result.exitCode}`
      : 'signal' in result
        ? `killed by ${result.signal}`
        : `could not run (${result.code})`;
  options.logger.warn({ hook: hook.name, error, durationSeconds }, 'hook failed');
  return {
    name: hook.name,
    state: hook.state,
    ok: false,
    ...('exitCode' in result ? { exitCode: result.exitCode } : {}),
    error,
    output,
    durationSeconds,
  };
}
