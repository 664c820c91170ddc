// cli/: the command line, one file per command; the only room that may call process.exit and
// the top of the import order (ARCHITECTURE.md).
import { Command, CommanderError } from 'commander';
import { BorgopsError, exitCodeOf } from '../../src/errors.js';
import { errnoCode, hostFsError } from '../../src/host/fs-error.js';
import { redactText } from '../../src/log.js';
import { packageVersion } from '../engine/entry.js';
import { registerApply } from './commands/apply.js';
import { registerBackups } from './commands/backups.js';
import { registerCompletion } from './commands/completion.js';
import { registerFleet } from './commands/fleet.js';
import { registerInit } from './commands/init.js';
import { registerKeys } from './commands/keys.js';
import { registerNotify } from './commands/notify.js';
import { registerObserve } from './commands/observe.js';
import { registerPlan } from './commands/plan.js';
import { registerPreview } from './commands/preview.js';
import { registerSchedule } from './commands/schedule.js';
import { registerSchema } from './commands/schema.js';
import { registerSecrets } from './commands/secrets.js';
import { registerState } from './commands/state.js';
import { registerStatus } from './commands/status.js';
import { registerValidate } from './commands/validate.js';
import { registerVerify } from './commands/verify.js';
import { registerWatch } from './commands/watch.js';
import { type Io, printJson } from './io.js';
import { addGlobalOptions } from './options.js';

export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('borgops')
    .description('GitOps for BorgBackup: clan-style backup declarations in git, converged on every machine')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride()
    // every subcommand's --help lists the options it inherits (--source, --machine, --root, --json …)
    .configureHelp({ showGlobalOptions: true });
  addGlobalOptions(program);
  registerInit(program, io);
  registerValidate(program, io, setExit);
  registerSchema(program, io);
  registerState(program, io);
  registerPlan(program, io, setExit);
  registerApply(program, io, setExit);
  registerWatch(program, io, setExit);
  registerStatus(program, io, setExit);
  registerSchedule(program, io);
  registerBackups(program, io, setExit);
  registerVerify(program, io, setExit);
  registerPreview(program, io, setExit);
  registerObserve(program, io, setExit);
  registerKeys(program, io);
  registerSecrets(program, io, setExit);
  registerFleet(program, io);
  registerNotify(program, io, setExit);
  registerCompletion(program, io);
  for (const command of program.commands) command.exitOverride();
  return program;
}

function isFsError(error: unknown): error is Error & { syscall: string; path: string; code: string } {
  return (
    error instanceof Error &&
    typeof errnoCode(error) === 'string' &&
    'syscall' in error &&
    typeof error.syscall === 'string' &&
    'path' in error &&
    typeof error.path === 'string'
  );
}

/** `--json` on the command line (before a `--` that ends the options). */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/** The one JSON shape of a failure on stdout under `--json`: `{"error": {code, message, details}}`. */
export interface JsonError {
  error: { code: string; message: string; details: string[] };
}

function commanderMessage(error: CommanderError): string {
  // commander's text already went to stderr; a bare `borgops` shows help there with no message
  if (error.code === 'commander.help') return 'no command given (run with --help for the commands)';
  return error.message.replace(/^error: /, '').trim();
}

/**
 * Under `--json`, stdout holds one document per invocation: what a command printed is held back
 * and written when it succeeds; when it then fails, only the error document reaches stdout and
 * the held output goes to stderr, so nothing is lost and nothing parses as two documents.
 */
function jsonIo(io: Io): { io: Io; held: () => string } {
  const chunks: string[] = [];
  return { io: { ...io, out: (text) => chunks.push(text) }, held: () => chunks.join('') };
}

/** Runs the CLI and returns the exit code; the one place errors become messages and codes. */
export async function run(
  argv: readonly string[],
  io: Io,
  build: (io: Io, setExit: (code: number) => void) => Command = buildProgram,
): Promise<number> {
  let exitCode = 0;
  const json = wantsJson(argv);
  const buffered = json ? jsonIo(io) : undefined;
  const program = build(buffered?.io ?? io, (code) => {
    exitCode = code;
  });
  const fail = (code: string, message: string, details: readonly string[], exit: number): number => {
    if (json) {
      const held = buffered?.held() ?? '';
      if (held !== '') io.err(held.endsWith('\n') ? held : `${held}\n`);
      const document: JsonError = {
        error: { code, message: redactText(message), details: details.map((line) => redactText(line)) },
      };
      printJson(io, document);
    }
    return exit;
  };
  try {
    await program.parseAsync([...argv], { from: 'user' });
    if (buffered !== undefined) io.out(buffered.held());
    return exitCode;
  } catch (caught: unknown) {
    let error = caught;
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) {
        if (buffered !== undefined) io.out(buffered.held());
        return 0;
      }
      return fail('E_USAGE', commanderMessage(error), [], 1);
    }
    // a file system error no command named: still one line, with the path and the errno's meaning
    if (!(error instanceof BorgopsError) && isFsError(error)) {
      error = hostFsError(error.syscall, error.path, error);
    }
    if (error instanceof BorgopsError) {
      io.err(`borgops: ${redactText(error.shortMessage)}\n`);
      for (const line of error.details) io.err(`  ${redactText(line)}\n`);
      return fail(error.code, error.shortMessage, error.details, exitCodeOf[error.code]);
    }
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    io.err(`borgops: internal error: ${redactText(message)}\n`);
    return fail('E_INTERNAL', error instanceof Error ? error.message : String(error), [], 1);
  }
}
