import type { Command } from 'commander';
import { printableLine } from '../../../src/util/printable.js';
import { runCheck, type VerifyOptions } from '../../operations/check.js';
import { runDrill } from '../../operations/drill.js';
import type { VerificationRun } from '../../operations/verification.js';
import { renderVerification } from '../../render/verification-text.js';
import { commandContext } from '../context.js';
import { type Io, printJson } from '../io.js';
import { interruptible, machineOf, refuseSourceOptions } from './backups.js';

function report(io: Io, json: boolean, run: VerificationRun): void {
  if (json) printJson(io, run);
  else io.out(renderVerification(run));
  for (const result of run.results) {
    if (!result.ok)
      io.err(
        `borgops: ${printableLine(result.failure?.message ?? `${result.destination}: ${run.kind} failed`)}\n`,
      );
  }
}

interface VerifyFlags {
  destination?: string;
}

/** The action both commands share: the options every verification takes, the signals, the report. */
function verifyAction<F extends VerifyFlags>(
  io: Io,
  setExit: (code: number) => void,
  stopping: string,
  run: (options: VerifyOptions, flags: F) => Promise<VerificationRun>,
) {
  return async (machine: string | undefined, flags: F, command: Command) => {
    refuseSourceOptions(command);
    const { options, logger, borg } = commandContext(command);
    const chosen = machineOf(command, machine);
    const interrupt = interruptible(io, setExit, stopping);
    try {
      const result = await run(
        {
          paths: options.paths,
          borg,
          logger,
          ...(chosen === undefined ? {} : { machine: chosen }),
          ...(flags.destination === undefined ? {} : { destination: flags.destination }),
          signal: interrupt.signal,
          onWait: (message) => io.err(`borgops: waiting: ${message}\n`),
        },
        flags,
      );
      report(io, options.json, result);
      setExit(interrupt.exitCode() ?? (result.ok ? 0 : 1));
    } catch (error: unknown) {
      interrupt.rethrowUnlessInterrupted(error);
    } finally {
      interrupt.dispose();
    }
  };
}

/** `borgops check` and `borgops drill`: verification from the declarations last applied on this machine. */
export function registerVerify(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('check')
    .description(
      "borg check of each destination's repository and of this machine's archives only (exit 0 all pass, 1 otherwise)",
    )
    .argument('[machine]', 'the machine (default: the one the declarations were applied for)')
    .option('--destination <name>', 'only this destination')
    .option('--verify-data', 'also read and decrypt every chunk (borg check --verify-data; slow)', false)
    .action(
      verifyAction(
        io,
        setExit,
        'stopping borg check',
        (options, flags: VerifyFlags & { verifyData: boolean }) =>
          runCheck({ ...options, verifyData: flags.verifyData }),
      ),
    );

  program
    .command('drill')
    .description(
      'restore drill: extract the newest archive of each destination into a scratch directory, verify every file against borg, run verifyScript (exit 0 all pass, 1 otherwise)',
    )
    .argument('[machine]', 'the machine (default: the one the declarations were applied for)')
    .option('--destination <name>', 'only this destination')
    .option('--service <state>', 'only this state')
    .action(
      verifyAction(
        io,
        setExit,
        'stopping the drill; its scratch directory is removed',
        (options, flags: VerifyFlags & { service?: string }) =>
          runDrill({ ...options, ...(flags.service === undefined ? {} : { service: flags.service }) }),
      ),
    );
}
