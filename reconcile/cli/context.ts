import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { createBorg } from '../../src/borg/adapter.js';
import { DEFAULT_SSH_TIMEOUT_SECONDS, sshTimeouts } from '../../src/borg/env.js';
import type { Borg } from '../../src/borg/types.js';
import { BorgopsError } from '../../src/errors.js';
import { createLogger, type Logger } from '../../src/log.js';
import type { GuardName } from '../engine/model.js';
import { SCHEDULER_CHOICES, type SchedulerChoice } from '../engine/schedulers.js';
import { machineToActFor } from './machine.js';
import { type GlobalOptions, globalOptions } from './options.js';

export interface CommandContext {
  options: GlobalOptions;
  logger: Logger;
  borg: Borg;
}

/** The logger and the borg adapter every converging command uses, from the global options. */
export function commandContext(command: Command, stateDir?: string): CommandContext {
  const options = globalOptions(command, stateDir);
  const logger = createLogger({ level: options.logLevel, pretty: Boolean(process.stderr.isTTY) });
  // borg's keys, security and cache directories live under the state directory, so --root is self-contained
  const borg = createBorg({
    logger,
    env: { ...process.env, BORG_BASE_DIR: join(options.stateDir, 'borg') },
    ssh: sshTimeouts(sshTimeoutSeconds(process.env.BORGOPS_SSH_TIMEOUT)),
    checkVersion: true,
    versionCache: join(options.stateDir, 'borg-version.json'),
  });
  return { options, logger, borg };
}

/**
 * The context of `plan`, `apply` and `watch`: the machine is `--machine`, else the one this state
 * directory was applied for, else the host name — as every other command picks it.
 */
export async function convergeContext(command: Command): Promise<CommandContext> {
  const context = commandContext(command);
  const machine = await machineToActFor(command, context.options);
  return { ...context, options: { ...context.options, machine } };
}

/** BORGOPS_SSH_TIMEOUT: seconds after which a silent SSH link fails (default 60). */
export function sshTimeoutSeconds(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_SSH_TIMEOUT_SECONDS;
  if (!/^[1-9][0-9]{0,4}$/.test(value)) {
    throw new BorgopsError(
      'E_USAGE',
      `BORGOPS_SSH_TIMEOUT must be a number of seconds from 1 to 99999, not "${value}"`,
    );
  }
  return Number(value);
}

export function addConvergeOptions(command: Command): Command {
  return command
    .option(
      '--refresh',
      'ask borg about every destination, not only those whose declarations or last backup changed',
      false,
    )
    .addOption(
      new Option(
        '--scheduler <backend>',
        'scheduler backend for this run: systemd timers, the embedded schedule run by `watch`, or auto (systemd when it is PID 1 and --root is /); default: the declared `scheduler` setting, else auto. A flag that differs from the declared setting is warned about',
      ).choices(SCHEDULER_CHOICES),
    );
}

/** `--scheduler`, checked; undefined when the flag is not given (the declared setting then applies). */
export function schedulerChoice(value: unknown): SchedulerChoice | undefined {
  if (value === undefined) return undefined;
  const choice = SCHEDULER_CHOICES.find((name) => name === value);
  if (choice === undefined) {
    throw new BorgopsError(
      'E_USAGE',
      `unknown scheduler ${String(value)}; accepted: ${SCHEDULER_CHOICES.join(', ')}`,
    );
  }
  return choice;
}

export interface GuardFlags {
  allowLargePrune?: boolean;
  allowPruneAll?: boolean;
  allowRemoveAll?: boolean;
  allowReinit?: boolean;
}

/** The safety guards the user allowed with `--allow-…` flags. */
export function allowedGuards(flags: GuardFlags): Set<GuardName> {
  const allow = new Set<GuardName>();
  if (flags.allowLargePrune) allow.add('large-prune');
  if (flags.allowPruneAll) allow.add('prune-all');
  if (flags.allowRemoveAll) allow.add('remove-all');
  if (flags.allowReinit) allow.add('reinit');
  return allow;
}

/** `{ scheduler }` for converge options when `--scheduler` was given, else nothing. */
export function schedulerFlag(value: unknown): { scheduler?: SchedulerChoice } {
  const scheduler = schedulerChoice(value);
  return scheduler === undefined ? {} : { scheduler };
}
