import { execa, type ResultPromise } from 'execa';
import { onTestFinished } from 'vitest';
import { cliPath } from './cli.js';
import { waitFor } from './wait.js';

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

export interface AgentCondition {
  type: string;
  status: boolean;
  reason: string;
  message: string;
}

/** What the agent's GET /status says (the fields the tests read). */
export interface AgentStatus {
  appliedCommit?: string;
  failedCommit?: { commit: string; reason: string; message: string };
  conditions: AgentCondition[];
}

export async function agentStatus(agent: Agent): Promise<AgentStatus> {
  return (await (await fetch(`${agent.url}/status`)).json()) as AgentStatus;
}

/** Waits until /status shows `commit` applied. */
export async function waitForApplied(
  agent: Agent,
  commit: string,
  what = 'the commit to apply',
  timeoutMs?: number,
): Promise<void> {
  await waitFor(
    what,
    async () => ((await agentStatus(agent)).appliedCommit === commit ? true : undefined),
    timeoutMs,
  );
}
