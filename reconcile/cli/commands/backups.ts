import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { BorgopsError, errorMessage } from '../../../src/errors.js';
import { hostPaths } from '../../../src/host/paths.js';
import { createBackups, runSucceeded } from '../../operations/backups-create.js';
import { formatListing, listBackups } from '../../operations/backups-list.js';
import { type RestorePreview, restoreBackup } from '../../operations/backups-restore.js';
import { checkProviderName, PROVIDER } from '../../operations/restore-target.js';
import { progressLine, renderBackupRun, renderRestore } from '../../render/backups-text.js';
import { commandContext } from '../context.js';
import { type Io, printJson } from '../io.js';

interface CreateFlags {
  destination?: string;
  provider?: string;
  parallel?: string;
}

const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;
type Interrupt = keyof typeof SIGNAL_EXIT;

/** Ctrl-C and SIGTERM abort the run through an AbortSignal (borg gets SIGINT) instead of killing borgops. */
function interruptible(io: Io, setExit: (code: number) => void, what: string) {
  const controller = new AbortController();
  let received: Interrupt | undefined;
  const handlers = (Object.keys(SIGNAL_EXIT) as Interrupt[]).map((name) => {
    const handler = () => {
      if (received !== undefined) {
        // a second signal: the person insists, stop without waiting for borg or the scripts
        io.err(`borgops: ${name} again: exiting now; scripts still running are left to finish\n`);
        process.exit(SIGNAL_EXIT[name]);
      }
      received = name;
      io.err(`borgops: ${name}: ${what}\n`);
      controller.abort(new BorgopsError('E_USAGE', `interrupted by ${name}`));
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  return {
    signal: controller.signal,
    exitCode: () => (received === undefined ? undefined : SIGNAL_EXIT[received]),
    /** Interrupted before there was anything to report (e.g. waiting for the lock): exit 130/143, not 1. */
    rethrowUnlessInterrupted(error: unknown): void {
      if (received === undefined) throw error;
      io.err(`borgops: interrupted: ${errorMessage(error)}\n`);
      setExit(SIGNAL_EXIT[received]);
    },
    dispose: () => {
      for (const [name, handler] of handlers) process.off(name, handler);
    },
  };
}

/**
 * The backups commands act on the declarations last applied on this host (what its hooks,
 * repositories and secrets were made from), never on git: an explicit --source, --ref or
 * --worktree would silently mean something else, so it is refused.
 */
function refuseSourceOptions(command: Command): void {
  const given = ['source', 'ref', 'worktree'].filter((key) => {
    const source = command.getOptionValueSourceWithGlobals(key);
    return source !== undefined && source !== 'default';
  });
  if (given.length === 0) return;
  throw new BorgopsError(
    'E_USAGE',
    `borgops backups uses the declarations last applied on this machine, not --${given.join('/--')}; run \`borgops apply\` with them first`,
  );
}

/** The machine from the argument, else an explicit --machine, else the one the declarations were applied for. */
function machineOf(command: Command, argument: string | undefined): string | undefined {
  if (argument !== undefined) return argument;
  const source = command.getOptionValueSourceWithGlobals('machine');
  return source !== undefined && source !== 'default' ? String(command.optsWithGlobals().machine) : undefined;
}

async function confirmOnTerminal(io: Io, yes: boolean, preview: RestorePreview): Promise<boolean> {
  if (yes) return true;
  const what = `every state of ${preview.machine} (${preview.states.join(', ')}) in place under ${preview.into} from ${preview.archive}`;
  if (!io.interactive) {
    throw new BorgopsError(
      'E_GUARD',
      `a full in-place restore overwrites ${what}; add --yes to confirm, or restore one --service or into a --target directory`,
    );
  }
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await prompt.question(`Restore ${what}? Files there are overwritten. [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    prompt.close();
  }
}

export function registerBackups(program: Command, io: Io, setExit: (code: number) => void): void {
  const backups = program
    .command('backups')
    .description('create, list and restore backups, from the declarations last applied on this machine');
  registerCreate(backups, io, setExit);
  registerList(backups, io, setExit);
  registerRestore(backups, io, setExit);
}

function registerCreate(backups: Command, io: Io, setExit: (code: number) => void): void {
  backups
    .command('create')
    .description(
      'back up every state of the machine to each destination (exit 0 done, 1 a failure, 130 interrupted)',
    )
    .argument('<machine>', 'the machine (this host)')
    .option('--destination <name>', 'only this destination')
    .option('--provider <name>', `clan's backup provider: ${PROVIDER} (every destination; the only provider)`)
    .option(
      '--parallel <n>',
      'destinations in different repositories backed up at once (default: the cores, at least 2)',
    )
    .action(async (machine: string, flags: CreateFlags, command: Command) => {
      refuseSourceOptions(command);
      if (flags.provider !== undefined) checkProviderName(machine, flags.provider);
      const { options, logger, borg } = commandContext(command);
      const interrupt = interruptible(io, setExit, 'stopping borg, then running the post-backup scripts');
      const live = io.interactive && !options.json;
      const width = Math.max(40, process.stderr.columns ?? 80);
      let lastDraw = 0;
      try {
        const run = await createBackups({
          paths: hostPaths(options.root, options.stateDir),
          borg,
          logger,
          machine,
          ...(flags.destination === undefined ? {} : { destination: flags.destination }),
          ...(flags.parallel === undefined ? {} : { parallel: parallelism(flags.parallel) }),
          signal: interrupt.signal,
          ...(live
            ? {
                onProgress: (destination, progress) => {
                  if (Date.now() - lastDraw < 100) return;
                  lastDraw = Date.now();
                  io.err(`\r\u001b[K${progressLine(destination, progress, width)}`);
                },
              }
            : {}),
          onEvent: (event) => {
            if (live) io.err('\r\u001b[K');
            // waiting is worth a line in a job's log too; the steps only redraw the terminal line
            if (event.type === 'waiting') io.err(`borgops: waiting: ${event.message}\n`);
            else if (live)
              io.err(event.type === 'hook' ? `${event.name}…` : `${event.destination}: borg create…`);
          },
        });
        if (live) io.err('\r\u001b[K');
        if (options.json) printJson(io, run);
        else io.out(renderBackupRun(run));
        setExit(interrupt.exitCode() ?? (runSucceeded(run) ? 0 : 1));
      } catch (error: unknown) {
        interrupt.rethrowUnlessInterrupted(error);
      } finally {
        interrupt.dispose();
      }
    });
}

function registerList(backups: Command, io: Io, setExit: (code: number) => void): void {
  backups
    .command('list')
    .description(
      "list this machine's archives as <destination>::<repo>::<archive> (exit 1 if one is unreachable)",
    )
    .argument('[machine]', 'the machine (default: the one the declarations were applied for)')
    .option('--provider <name>', `clan's backup provider to list: ${PROVIDER} (the only provider)`)
    .action(async (machine: string | undefined, flags: { provider?: string }, command: Command) => {
      refuseSourceOptions(command);
      const { options, borg } = commandContext(command);
      const chosen = machineOf(command, machine);
      if (flags.provider !== undefined) checkProviderName(chosen, flags.provider);
      const listing = await listBackups({
        paths: hostPaths(options.root, options.stateDir),
        borg,
        ...(chosen === undefined ? {} : { machine: chosen }),
      });
      if (options.json) printJson(io, listing);
      else io.out(formatListing(listing.backups));
      for (const error of listing.errors) io.err(`borgops: ${error.message}\n`);
      for (const { destination, archive } of listing.incomplete) {
        io.err(
          `borgops: ${destination}: ${archive} is left from an interrupted backup; the next successful one deletes it\n`,
        );
      }
      setExit(listing.errors.length > 0 ? 1 : 0);
    });
}

function registerRestore(backups: Command, io: Io, setExit: (code: number) => void): void {
  backups
    .command('restore')
    .description(
      "restore a backup's states: pre-restore script, borg extract of the state's folders, post-restore script",
    )
    .argument('<machine>', 'the machine (this host)')
    .argument('<provider>', `the module that made the backup: ${PROVIDER}`)
    .argument('<name>', 'a line of `borgops backups list`: <destination>::<repo>::<archive>')
    .option('--service <state>', 'restore only this state')
    .option('--target <dir>', 'extract into this staging directory instead of in place (runs no script)')
    .option('--dry-run', 'list what would be restored (borg extract --dry-run); run no script', false)
    .option('--yes', 'confirm a full in-place restore without asking', false)
    .action(
      async (
        machine: string,
        provider: string,
        name: string,
        flags: { service?: string; target?: string; dryRun: boolean; yes: boolean },
        command: Command,
      ) => {
        refuseSourceOptions(command);
        const { options, logger, borg } = commandContext(command);
        const interrupt = interruptible(io, setExit, 'stopping borg extract');
        try {
          const result = await restoreBackup({
            paths: hostPaths(options.root, options.stateDir),
            borg,
            logger,
            machine,
            provider,
            name,
            ...(flags.service === undefined ? {} : { service: flags.service }),
            ...(flags.target === undefined ? {} : { target: flags.target }),
            dryRun: flags.dryRun,
            signal: interrupt.signal,
            confirm: (preview) => confirmOnTerminal(io, flags.yes, preview),
            onWait: (message) => io.err(`borgops: waiting: ${message}\n`),
          });
          if (options.json) printJson(io, result);
          else io.out(renderRestore(result));
          const failed = result.results.some((r) => r.status === 'failed' || r.status === 'interrupted');
          setExit(interrupt.exitCode() ?? (failed ? 1 : 0));
        } catch (error: unknown) {
          interrupt.rethrowUnlessInterrupted(error);
        } finally {
          interrupt.dispose();
        }
      },
    );
}

function parallelism(value: string): number {
  const parallel = Number(value);
  if (!Number.isInteger(parallel) || parallel < 1) {
    throw new BorgopsError(
      'E_USAGE',
      `--parallel must be a whole number of destinations, at least 1; not "${value}"`,
    );
  }
  return parallel;
}
