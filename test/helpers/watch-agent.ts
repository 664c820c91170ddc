import { execa, type ResultPromise } from 'execa';
import { onTestFinished } from 'vitest';
import { cliPath } from './cli.js';

export interface AgentProcess {
  process: ResultPromise;
  /** Everything the agent logged so far. */
  stderr(): string;
}

export interface Agent extends AgentProcess {
  url: string;
}

export interface AgentOptions {
  env?: Record<string, string>;
}

/**
 * Polls `probe` until it returns a value; a thrown error counts as "not yet" and is named in the
 * timeout's message.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error: unknown) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs the built CLI's `watch` without waiting for anything; SIGKILLed if still running when the test ends. */
export function spawnAgent(args: string[], options: AgentOptions = {}): AgentProcess {
  const child = execa('node', [cliPath, 'watch', '--log-level', 'info', ...args], {
    reject: false,
    ...(options.env === undefined ? {} : { env: options.env }),
    // a test's SIGTERM lets the agent finish its current step: never SIGKILL it behind the test's back
    forceKillAfterDelay: false,
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  onTestFinished(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await child;
  });
  return { process: child, stderr: () => stderr };
}

/** Starts `watch` on a free loopback port and waits until it listens. */
export async function startAgent(args: string[], options: AgentOptions = {}): Promise<Agent> {
  const agent = spawnAgent(['--listen', '127.0.0.1:0', ...args], options);
  const url = await waitFor(
    'the agent to listen',
    () => /listening on (http:\/\/[\d.]+:\d+)/.exec(agent.stderr())?.[1],
    60_000,
  );
  return { ...agent, url };
}
