import type { Command } from 'commander';
import { compile } from '../../../src/desired/compile.js';
import { loadSource, requireValid } from '../../engine/declarations.js';
import { formatStates, listStates } from '../../operations/state-list.js';
import { type Io, printJson } from '../io.js';
import { globalOptions } from '../options.js';

export function registerState(program: Command, io: Io): void {
  const state = program.command('state').description('inspect the states a machine backs up');
  state
    .command('list')
    .description("list a machine's states, their folders and their script commands (clan's format)")
    .argument('[machine]', 'machine name (default: --machine or this host)')
    .action(async (machine: string | undefined, _options: unknown, command: Command) => {
      const options = globalOptions(command);
      const { declarations } = requireValid(await loadSource(options));
      const states = listStates(compile(declarations, machine ?? options.machine));
      if (options.json) printJson(io, states);
      else io.out(formatStates(states));
    });
}
