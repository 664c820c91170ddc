import { resolve } from 'node:path';
import { compile } from '../../src/desired/compile.js';
import { BorgopsError } from '../../src/errors.js';
import type { HostPaths } from '../../src/host/paths.js';
import { loadSource, requireValid } from '../engine/declarations.js';
import { type AppliedMachine, appliedMachine } from './applied-machine.js';

/**
 * Restoring without the machine: the declarations read from git at a ref, the committed secrets
 * decrypted with an admin identity. Works from any workstation that reaches the repository,
 * with no applied state and no machine key.
 */
export interface FromGit {
  source: string;
  ref: string;
  /** An admin's age identity file (or an ed25519 SSH private key). */
  identity: string;
}

export interface MachineContext extends AppliedMachine {
  /** The identity committed secrets are decrypted with (undefined: the machine's own key). */
  identity?: string;
}

/** The machine the backups commands act on: the applied declarations, or git at --ref with --identity. */
export async function machineFor(
  paths: HostPaths,
  machine: string | undefined,
  from: FromGit | undefined,
): Promise<MachineContext> {
  if (from === undefined) return appliedMachine(paths, machine);
  if (machine === undefined) {
    throw new BorgopsError(
      'E_USAGE',
      'name the machine whose backups to read (with --identity, nothing is applied here)',
    );
  }
  const loaded = await loadSource({ source: from.source, ref: from.ref, worktree: false });
  const { declarations } = requireValid(loaded);
  return {
    desired: compile(declarations, machine),
    declarations,
    ...(loaded.snapshot.commit === undefined ? {} : { commit: loaded.snapshot.commit }),
    appliedAt: new Date().toISOString(),
    identity: resolve(from.identity),
  };
}
