import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { borgops, cliPath } from '../helpers/cli.js';
import { exampleDir, gitRepo } from '../helpers/git.js';
import { tempDir } from '../helpers/temp.js';

describe('flags that only mean something together', () => {
  it.each([
    ['--allowed-signers', 'allowed_signers'],
    ['--gpg-home', 'gnupg'],
  ])('watch %s without --verify-signatures is a usage error naming both flags', async (flag, value) => {
    const repo = await gitRepo(undefined, { from: exampleDir });
    const root = await tempDir();
    // without the check the agent starts and runs until killed: a bounded run
    const result = await execa(
      'node',
      [
        cliPath,
        'watch',
        '--source',
        repo.dir,
        '--machine',
        'jon',
        '--root',
        root,
        flag,
        `${root}/${value}`,
        '--json',
      ],
      { reject: false, timeout: 20_000, env: { BORGOPS_LOG_LEVEL: 'warn' } },
    );
    expect(result.exitCode, result.stderr).toBe(1);
    const error = (JSON.parse(result.stdout) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('E_USAGE');
    expect(error.message).toContain(flag);
    expect(error.message).toContain('--verify-signatures');
  });
});

describe('status tells the truth', () => {
  it('in a state directory never applied, says no reconcile has run (not that the last one succeeded)', async () => {
    const root = await tempDir();
    const json = await borgops(['status', '--machine', 'jon', '--root', root, '--json']);
    expect(json.exitCode).toBe(1);
    expect(json.stdout).not.toContain('succeeded');
    const conditions = (
      JSON.parse(json.stdout) as { conditions: { type: string; reason: string; message: string }[] }
    ).conditions;
    expect(conditions.find((c) => c.type === 'Stalled')).toEqual({
      type: 'Stalled',
      status: false,
      reason: 'NeverApplied',
      message: 'no reconcile yet: nothing was ever applied on this machine',
    });
    const text = await borgops(['status', '--machine', 'jon', '--root', root]);
    expect(text.stdout).not.toContain('succeeded');
  });
});
