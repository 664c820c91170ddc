import { resolve } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../../../src/host/atomic.js';
import { plural } from '../../../src/util/words.js';
import { observeSnapshot } from '../../operations/observe-export.js';
import { commandContext } from '../context.js';
import { type Io, printJson } from '../io.js';
import { explicitMachine } from '../machine.js';

export function registerObserve(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('observe')
    .description(
      "list this machine's archives in every destination with borg and write the snapshot `preview --observed` reads (exit 1 if a destination could not be listed; it is left out)",
    )
    .option('--export <file>', 'write the snapshot to this file, atomically ("-": to stdout)')
    .action(async (flags: { export?: string }, command: Command) => {
      const { options, borg } = commandContext(command);
      const machine = explicitMachine(command);
      const snapshot = await observeSnapshot({
        paths: options.paths,
        borg,
        ...(machine === undefined ? {} : { machine }),
        now: new Date(),
      });
      const archives = Object.values(snapshot.destinations).reduce((n, d) => n + d.archives.length, 0);
      const destinations = Object.keys(snapshot.destinations).length;
      if (flags.export !== undefined && flags.export !== '-') {
        const file = resolve(flags.export);
        await writeFileAtomic(file, `${JSON.stringify(snapshot, null, 2)}\n`);
        if (options.json) printJson(io, { file, ...snapshot });
        else
          io.out(
            `wrote ${file}: ${snapshot.machine}, ${plural(destinations, 'destination')}, ${plural(archives, 'archive')}\n`,
          );
      } else if (options.json || flags.export === '-') {
        printJson(io, snapshot);
      } else {
        for (const [name, destination] of Object.entries(snapshot.destinations)) {
          io.out(
            `${name}: ${destination.repo ?? 'no repository'}, ${plural(destination.archives.length, 'archive')}\n`,
          );
        }
      }
      for (const error of snapshot.errors) io.err(`borgops: ${error.message}\n`);
      setExit(snapshot.errors.length > 0 ? 1 : 0);
    });
}
