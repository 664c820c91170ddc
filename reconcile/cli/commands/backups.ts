import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { BorgopsError, errorMessage } from '../../../src/errors.js';
import {
  createBackups,
  DEFAULT_LOCK_TIMEOUT_SECONDS,
  runSucceeded,
} from '../../operations/backups-create.js';
import { formatListing, listBackups } from '../../operations/backups-list.js';
import { type RestorePreview, restoreBackup } from '../../operations/backups-restore.js';
import type { FromGit } from '../../operations/declared-machine.js';
import { checkProviderName, PROVIDER } from '../../operations/restore-target.js';
import {
  destinationLines,
  hookLines,
  progressLine,
  renderBackupSummary,
  renderRestore,
} from '../../render/backups-text.js';
import { commandContext } from '../context.js';
import { durationFlag } from '../duration.js';
import { type Io, printJson } from '../io.js';
import { liveLines } from '../live.js';
import { explicitMachine } from '../machine.js';
import { globalOptions } from '../options.js';

interface CreateFlags {
  destination?: string;
  provider?: string;
  parallel?: string;
  lockTimeout: string;
}

const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;
type Interrupt = keyof typeof SIGNAL_EXIT;

/** Ctrl-C and SIGTERM abort the run through an AbortSignal (borg gets SIGINT) instead of killing borgops. */
export function interruptible(io: Io, setExit: (code: number) => void, what: string) {
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
export function refuseSourceOptions(command: Command, identity?: string): void {
  if (identity !== undefined) return;
  const given = ['source', 'ref', 'worktree'].filter((key) => {
    const source = command.getOptionValueSourceWithGlobals(key);
    return source !== undefined && source !== 'default';
  });
  if (given.length === 0) return;
  throw new BorgopsError(
    'E_USAGE',
    `borgops backups uses the declarations last applied on this machine, not --${given.join('/--')}; run \`borgops apply\` with them first, or add --identity FILE (an admin's age identity) to restore from git without the machine`,
  );
}

/**
 * With --identity (restoring without the machine): the declarations come from git at --ref and
 * the secrets are decrypted with the admin identity. borg's cache and security directories go
 * to a throwaway state directory unless --state-dir is given: a workstation has no borgops state.
 */
async function fromGit(
  command: Command,
  identity: string | undefined,
): Promise<{ from?: FromGit; stateDir?: string; cleanup: () => Promise<void> }> {
  if (identity === undefined) return { cleanup: async () => undefined };
  const options = globalOptions(command);
  const from: FromGit = { source: options.source, ref: options.ref, identity };
  const explicit = command.getOptionValueSourceWithGlobals('stateDir');
  if (explicit !== undefined && explicit !== 'default') return { from, cleanup: async () => undefined };
  const stateDir = await mkdtemp(join(tmpdir(), 'borgops-restore-'));
  return { from, stateDir, cleanup: () => rm(stateDir, { recursive: true, force: true }) };
}

/** The machine from the argument, else an explicit --machine, else the one the declarations were applied for. */
export function machineOf(command: Command, argument: string | undefined): string | undefined {
  return argument ?? explicitMachine(command);
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
  // the question goes to stderr: stdout is the result (`--json` included)
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
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
      'destinations in different repositories backed up at once (default: one more than the cores, at least 3)',
    )
    .option(
      '--lock-timeout <duration>',
      'give up (exit 1, naming the holder) after waiting this long for another backup or restore (30s, 5m; a number is seconds)',
      String(DEFAULT_LOCK_TIMEOUT_SECONDS),
    )
    .action(async (machine: string, flags: CreateFlags, command: Command) => {
      refuseSourceOptions(command);
      if (flags.provider !== undefined) checkProviderName(machine, flags.provider);
      const { options, logger, borg } = commandContext(command);
      // on a terminal, one progress line per running step under the results; never with --json
      const live = io.interactive && !options.json;
      // a pseudo-terminal may report 0 columns
      const width = () => Math.max(40, process.stderr.columns || 80);
      const lines = live ? liveLines(io, width) : undefined;
      const shown = lines?.io ?? io;
      const interrupt = interruptible(shown, setExit, 'stopping borg, then running the post-backup scripts');
      try {
        const run = await createBackups({
          paths: options.paths,
          borg,
          logger,
          machine,
          ...(flags.destination === undefined ? {} : { destination: flags.destination }),
          ...(flags.parallel === undefined ? {} : { parallel: parallelism(flags.parallel) }),
          lockTimeoutSeconds: lockTimeout(flags.lockTimeout),
          signal: interrupt.signal,
          ...(lines === undefined
            ? {}
            : {
                onProgress: (destination, progress) =>
                  lines.set(destination, progressLine(destination, progress, width())),
              }),
          onEvent: (event) => {
            // waiting is worth a line in a job's log too
            if (event.type === 'waiting') shown.err(`borgops: waiting: ${event.message}\n`);
            else if (event.type === 'hook') lines?.set('hook', `${event.name}…`);
            else if (event.type === 'destination')
              lines?.set(event.destination, `${event.destination}: borg create…`);
            else if (options.json) return;
            // each result when it happens (a journal, a crash), not all at the end
            else if (event.type === 'hook-done') {
              lines?.remove('hook');
              shown.out(`${hookLines([event.hook]).join('\n')}\n`);
            } else {
              lines?.remove(event.result.destination);
              shown.out(`${destinationLines(event.result).join('\n')}\n`);
            }
          },
        });
        lines?.clear();
        if (options.json) printJson(io, run);
        else io.out(renderBackupSummary(run));
        setExit(interrupt.exitCode() ?? (runSucceeded(run) ? 0 : 1));
      } catch (error: unknown) {
        lines?.clear();
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
    .option(
      '--identity <file>',
      "an admin's age identity: read the declarations from git (--source, --ref) and decrypt the committed secrets with it, for a machine that is gone",
    )
    .action(
      async (
        machine: string | undefined,
        flags: { provider?: string; identity?: string },
        command: Command,
      ) => {
        refuseSourceOptions(command, flags.identity);
        const git = await fromGit(command, flags.identity);
        try {
          const { options, borg } = commandContext(command, git.stateDir);
          const chosen = machineOf(command, machine);
          if (flags.provider !== undefined) checkProviderName(chosen, flags.provider);
          const listing = await listBackups({
            paths: options.paths,
            borg,
            ...(chosen === undefined ? {} : { machine: chosen }),
            ...(git.from === undefined ? {} : { from: git.from }),
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
        } finally {
          await git.cleanup();
        }
      },
    );
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
    .option(
      '--identity <file>',
      "an admin's age identity: read the declarations from git (--source, --ref) and decrypt the committed secrets with it, for a machine that is gone",
    )
    .action(
      async (
        machine: string,
        provider: string,
        name: string,
        flags: { service?: string; target?: string; dryRun: boolean; yes: boolean; identity?: string },
        command: Command,
      ) => {
        refuseSourceOptions(command, flags.identity);
        const git = await fromGit(command, flags.identity);
        const { options, logger, borg } = commandContext(command, git.stateDir);
        const interrupt = interruptible(io, setExit, 'stopping borg extract');
        try {
          const result = await restoreBackup({
            ...(git.from === undefined ? {} : { from: git.from }),
            paths: options.paths,
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
          await git.cleanup();
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

function lockTimeout(value: string): number {
  return durationFlag(value, '--lock-timeout');
}
