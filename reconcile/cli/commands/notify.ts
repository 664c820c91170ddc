import type { Command } from 'commander';
import { testNotifications } from '../../operations/notify-test.js';
import { renderNotifyTest } from '../../render/notify-text.js';
import { commandContext } from '../context.js';
import { type Io, printJson } from '../io.js';
import { machineOf } from './backups.js';

export function registerNotify(program: Command, io: Io, setExit: (code: number) => void): void {
  const notify = program
    .command('notify')
    .description('notification receivers (settings.notify): healthchecks, a signed webhook, ntfy');
  notify
    .command('test')
    .description(
      'send a test event to every receiver of this machine (applied declarations) and show each answer (exit 1 if one failed)',
    )
    .option('--destination <name>', 'as about this destination: only the receivers that listen to it')
    .action(async (flags: { destination?: string }, command: Command) => {
      const { options, logger } = commandContext(command);
      const machine = machineOf(command, undefined);
      const result = await testNotifications({
        paths: options.paths,
        logger,
        ...(machine === undefined ? {} : { machine }),
        ...(flags.destination === undefined ? {} : { destination: flags.destination }),
      });
      if (options.json) printJson(io, result);
      else io.out(renderNotifyTest(result));
      setExit(result.receivers.every((r) => !r.sent || r.ok) ? 0 : 1);
    });
}
