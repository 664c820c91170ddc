import { execa } from 'execa';
import { expect } from 'vitest';

export const cliPath = new URL('../../dist/borgops.cjs', import.meta.url).pathname;

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a user would (npm test builds before vitest runs). */
export async function borgops(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; input?: string } = {},
): Promise<CliResult> {
  const result = await execa('node', [cliPath, ...args], {
    reject: false,
    stripFinalNewline: false,
    cwd: options.cwd ?? process.cwd(),
    env: { BORGOPS_LOG_LEVEL: 'warn', ...options.env },
    ...(options.input === undefined ? {} : { input: options.input }),
    timeout: 300_000,
  });
  return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Asserts exit code 0, showing the command's output when it is not. */
export function expectOk(result: CliResult, what: string): void {
  expect(result.exitCode, `${what}: ${result.stdout}${result.stderr}`).toBe(0);
}
