import { join } from 'node:path';
import type { Command } from 'commander';
import { createBorg } from '../../src/borg/adapter.js';
import type { Borg } from '../../src/borg/types.js';
import { createLogger, type Logger } from '../../src/log.js';
import type { SchedulerChoice } from '../schedulers.js';
import { type GlobalOptions, globalOptions } from './options.js';

export interface CommandContext {
  options: GlobalOptions;
  logger: Logger;
  borg: Borg;
}

/** The logger and the borg adapter every converging command uses, from the global options. */
export function commandContext(command: Command): CommandContext {
  const options = globalOptions(command);
  const logger = createLogger({ level: options.logLevel, pretty: Boolean(process.stderr.isTTY) });
  // borg's keys, security and cache directories live under the state directory, so --root is self-contained
  const borg = createBorg({ logger, env: { ...process.env, BORG_BASE_DIR: join(options.stateDir, 'borg') } });
  return { options, logger, borg };
}

export function addConvergeOptions(command: Command): Command {
  return command
    .option(
      '--refresh',
      'ask borg about every destination, not only those whose declarations or last backup changed',
      false,
    )
    .option('--scheduler <backend>', 'scheduler backend: auto, embedded', 'auto');
}

export function schedulerChoice(value: unknown): SchedulerChoice {
  return value === 'embedded' ? 'embedded' : 'auto';
}
