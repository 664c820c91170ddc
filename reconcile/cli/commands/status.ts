import type { Command } from 'commander';
import { formatHealth, machineHealth } from '../../operations/status.js';
import { type Io, printJson } from '../io.js';
import { machineToActFor } from '../machine.js';
import { globalOptions } from '../options.js';

export function registerStatus(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('status')
    .description(
      "this machine's health from its state directory: applied commit, conditions, backups per destination (exit 0 Ready, 1 not); the machine is --machine, else the one the state directory was applied for",
    )
    .action(async (_flags: unknown, command: Command) => {
      const options = globalOptions(command);
      const now = new Date();
      const machine = await machineToActFor(command, options);
      const report = await machineHealth(options.paths, machine, now, {
        recordServed: true,
      });
      if (options.json) printJson(io, report);
      else io.out(formatHealth(report, now));
      setExit(report.conditions[0]?.status ? 0 : 1);
    });
}
