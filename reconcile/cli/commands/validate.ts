import type { Command } from 'commander';
import { formatProblem } from '../../../src/config/problem.js';
import { plural } from '../../../src/util/words.js';
import { describe, loadSource } from '../../engine/declarations.js';
import { type Io, printJson } from '../io.js';
import { globalOptions } from '../options.js';

export function registerValidate(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('validate')
    .description('check the declarations at --ref; print every problem as file:line: path: message')
    .action(async (_options: unknown, command: Command) => {
      const options = globalOptions(command);
      const { snapshot, result } = await loadSource(options);
      const errors = result.problems.filter((p) => p.severity === 'error').length;
      const warnings = result.problems.length - errors;
      if (options.json) {
        printJson(io, {
          valid: errors === 0,
          commit: snapshot.commit ?? null,
          worktree: snapshot.worktree,
          problems: result.problems,
          ignored: result.ignored ?? [],
        });
      } else {
        for (const problem of result.problems) io.out(`${formatProblem(problem)}\n`);
        if (result.ignored !== undefined && result.ignored.length > 0)
          io.out(`info: ignored what borgops does not read: ${result.ignored.join(', ')}\n`);
        const verdict = errors === 0 ? 'valid' : 'invalid';
        io.out(
          `declarations${describe(snapshot)} are ${verdict}: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}\n`,
        );
      }
      setExit(errors === 0 ? 0 : 1);
    });
}
