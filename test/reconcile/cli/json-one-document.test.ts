import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { printJson } from '../../../reconcile/cli/io.js';
import { run } from '../../../reconcile/cli/program.js';
import { BorgopsError } from '../../../src/errors.js';

function captured() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { out: (text: string) => out.push(text), err: (text: string) => err.push(text), interactive: false },
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  };
}

/** A command that prints its document and then fails, as a late step of a real command can. */
function printsThenFails(io: Parameters<typeof printJson>[0]): Command {
  const program = new Command('borgops').exitOverride().option('--json');
  program
    .command('late')
    .exitOverride()
    .action(() => {
      printJson(io, { partial: true });
      throw new BorgopsError('E_HOST', 'the last step failed');
    });
  return program;
}

describe('--json: one document per invocation', () => {
  it('a command that printed and then failed leaves only the error document on stdout', async () => {
    const c = captured();
    const code = await run(['late', '--json'], c.io, (io) => printsThenFails(io));
    expect(code).toBe(1);
    const document = JSON.parse(c.stdout()) as { error: { code: string; message: string } };
    expect(document.error).toMatchObject({ code: 'E_HOST', message: 'the last step failed' });
    // what it had printed is not lost: stderr has it, for people
    expect(c.stderr()).toContain('"partial": true');
  });

  it('without --json the printed text stays on stdout', async () => {
    const c = captured();
    const code = await run(['late'], c.io, (io) => printsThenFails(io));
    expect(code).toBe(1);
    expect(JSON.parse(c.stdout())).toEqual({ partial: true });
  });
});
