import type { Command } from 'commander';
import { hostPaths } from '../../../src/host/paths.js';
import { formatHealth, machineHealth } from '../../operations/status.js';
import { type Io, printJson } from '../io.js';
import { globalOptions } from '../options.js';

export function registerStatus(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('status')
    .description(
      "this machine's health from its state directory: applied commit, conditions, backups per destination (exit 0 Ready, 1 not)",
    )
    .action(async (_flags: unknown, command: Command) => {
      const options = globalOptions(command);
      const now = new Date();
      const report = await machineHealth(hostPaths(options.root, options.stateDir), options.machine, now, {
        recordServed: true,
      });
      if (options.json) printJson(io, report);
      else io.out(formatHealth(report, now));
      setExit(report.conditions[0]?.status ? 0 : 1);
    });
}
