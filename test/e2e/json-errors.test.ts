import { describe, expect, it } from 'vitest';
import { borgops } from '../helpers/cli.js';
import { exampleDir, gitRepo } from '../helpers/git.js';
import { tempDir } from '../helpers/temp.js';

interface JsonError {
  error: { code: string; message: string; details: string[] };
}

/** stdout must be exactly one JSON document: `{"error": {...}}` and nothing else. */
function parseError(stdout: string): JsonError {
  const parsed = JSON.parse(stdout) as JsonError;
  expect(Object.keys(parsed)).toEqual(['error']);
  expect(Object.keys(parsed.error).sort()).toEqual(['code', 'details', 'message']);
  return parsed;
}

describe('--json failures print {"error": …} on stdout and keep the exit code', () => {
  it.each([
    [
      'a machine that is not declared',
      async (dir: string) => ['state', 'list', 'bob', '--source', dir, '--json'],
      'E_CONFIG',
      /^machine "bob" is not declared \(declared machines: jon\)$/,
    ],
    [
      'a source that is not a git repository',
      async () => ['validate', '--json', '--source', await tempDir()],
      'E_GIT',
      /^config source \/\S+ is not a git repository/,
    ],
    [
      'an unknown option',
      async (dir: string) => ['plan', '--json', '--source', dir, '--bogus-flag'],
      'E_USAGE',
      /unknown option '--bogus-flag'/,
    ],
    ['an unknown command', async () => ['frobnicate', '--json'], 'E_USAGE', /unknown command 'frobnicate'/],
  ])('%s', async (_name, args, code, message) => {
    const repo = await gitRepo(undefined, { from: exampleDir });
    const result = await borgops(await args(repo.dir));
    expect(result.exitCode).toBe(1);
    const { error } = parseError(result.stdout);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(Array.isArray(error.details)).toBe(true);
    // stderr keeps the text for people
    expect(result.stderr).not.toBe('');
  });

  it('carries the details (one per problem) of invalid declarations', async () => {
    const repo = await gitRepo(undefined, { from: exampleDir });
    await repo.commit({ 'machines/jon/state.yaml': 'state: [\n' });
    const result = await borgops(['state', 'list', 'jon', '--source', repo.dir, '--json']);
    expect(result.exitCode).toBe(1);
    const { error } = parseError(result.stdout);
    expect(error.code).toBe('E_CONFIG');
    expect(error.details.some((line) => line.startsWith('machines/jon/state.yaml:'))).toBe(true);
  });

  it('leaves stdout empty without --json, and after `--` --json is an argument, not the flag', async () => {
    const plain = await borgops(['frobnicate']);
    expect(plain.exitCode).toBe(1);
    expect(plain.stdout).toBe('');
    const after = await borgops(['frobnicate', '--', '--json']);
    expect(after.exitCode).toBe(1);
    expect(after.stdout).toBe('');
  });
});
