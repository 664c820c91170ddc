import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { type HostPaths, hostPaths } from '../../src/host/paths.js';

/** Options every command accepts (design.md: the command line). */
export interface GlobalOptions {
  source: string;
  ref: string;
  worktree: boolean;
  machine: string;
  root: string;
  stateDir: string;
  /** Every host path, computed once per command from --root and --state-dir and passed down. */
  paths: HostPaths;
  json: boolean;
  logLevel: string;
}

export function addGlobalOptions(program: Command): Command {
  return program
    .option('--source <dir>', 'config repository (a local git repository, bare or not)', '.')
    .option('--ref <rev>', 'commit, branch or tag to read the declarations at', 'HEAD')
    .option('--worktree', 'read the working tree instead of a commit (uncommitted edits included)', false)
    .option(
      '--machine <name>',
      'the machine to act for (default: the one this state directory was applied for, else this host name)',
    )
    .option('--root <dir>', 'prefix for every host path borgops reads or writes, like a chroot', '/')
    .option('--state-dir <dir>', 'borgops state (default: <root>/var/lib/borgops)')
    .option('--json', 'print machine-readable JSON on stdout', false)
    .option(
      '--log-level <level>',
      'pino log level on stderr (fatal, error, warn, info, debug, trace, silent)',
      'warn',
    );
}

/** The global options; `stateDir` replaces --state-dir (a command reading a gone machine's declarations from git). */
export function globalOptions(command: Command, stateDirOverride?: string): GlobalOptions {
  const raw = command.optsWithGlobals<Partial<GlobalOptions> & Record<string, unknown>>();
  const root = resolve(raw.root ?? '/');
  const stateDir =
    stateDirOverride ??
    (raw.stateDir === undefined ? resolve(root, 'var/lib/borgops') : resolve(raw.stateDir));
  return {
    source: raw.source ?? '.',
    ref: raw.ref ?? 'HEAD',
    worktree: raw.worktree ?? false,
    machine: raw.machine ?? hostname().split('.')[0] ?? 'localhost',
    root,
    stateDir,
    paths: hostPaths(root, stateDir),
    json: raw.json ?? false,
    logLevel: raw.logLevel ?? 'warn',
  };
}
