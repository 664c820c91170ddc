import { execa, type ResultPromise } from 'execa';
import { onTestFinished } from 'vitest';
import { cliPath } from './cli.js';

export interface Agent {
  url: string;
  process: ResultPromise;
  stderr(): string;
}

/** Polls `probe` until it returns a value (errors count as "not yet"). */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts the built CLI's `watch` on a free loopback port; killed when the test ends. */
export async function startAgent(args: string[]): Promise<Agent> {
  const child = execa('node', [cliPath, 'watch', '--listen', '127.0.0.1:0', '--log-level', 'info', ...args], {
    reject: false,
    all: false,
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  onTestFinished(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await child;
  });
  const url = await waitFor(
    'the agent to listen',
    async () => /listening on (http:\/\/[\d.]+:\d+)/.exec(stderr)?.[1],
  );
  return { url, process: child, stderr: () => stderr };
}
