import type { Command } from 'commander';
import { compile } from '../../../src/desired/compile.js';
import { loadSource, requireValid } from '../../engine/declarations.js';
import { formatStates, listStates, selectService } from '../../operations/state-list.js';
import { type Io, printJson } from '../io.js';
import { machineToActFor } from '../machine.js';
import { globalOptions } from '../options.js';

export function registerState(program: Command, io: Io): void {
  const state = program.command('state').description('inspect the states a machine backs up');
  state
    .command('list')
    .description("list a machine's states, their folders and their script commands (clan's format)")
    .argument(
      '[machine]',
      'machine name (default: --machine, else the machine this host applied for, else the host name)',
    )
    .option(
      '--service <state>',
      "only this state (clan's --service); an error if the machine does not have it",
    )
    .action(async (machine: string | undefined, flags: { service?: string }, command: Command) => {
      const options = globalOptions(command);
      const { declarations } = requireValid(await loadSource(options));
      const name = machine ?? (await machineToActFor(command, options));
      const all = listStates(compile(declarations, name));
      const states = flags.service === undefined ? all : selectService(all, name, flags.service);
      if (options.json) printJson(io, states);
      else io.out(formatStates(states));
    });
}
