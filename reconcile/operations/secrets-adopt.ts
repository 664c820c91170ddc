import { readFile } from 'node:fs/promises';
import { secretFilePath } from '../../src/config/files.js';
import { BorgopsError } from '../../src/errors.js';
import type { HostPaths } from '../../src/host/paths.js';
import { exportedKeyPath, passphrasePath } from '../../src/host/secrets.js';
import { observeSshKey } from '../../src/host/ssh-key.js';
import { encryptTo } from '../../src/secrets/age.js';
import { ageRecipientOfSshKey } from '../../src/secrets/ssh-age.js';
import { appliedMachine } from './applied-machine.js';

/** One file for the admin to commit: where, and its age-encrypted content (safe to print). */
export interface AdoptedSecret {
  destination: string;
  kind: 'passphrase' | 'key';
  /** The path in the config repository. */
  commitAs: string;
  armored: string;
}

const KEYFILE_MODES = new Set(['keyfile', 'keyfile-blake2']);

async function readIfPresent(path: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(path);
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * `secrets adopt`, on the machine: its local-only passphrases (and, in keyfile modes, its
 * exported keys) encrypted to the admins and to itself, for the admin to commit. Nothing is
 * written; the plaintext stays in memory.
 */
export async function adoptSecrets(
  paths: HostPaths,
  machine: string | undefined,
  only?: string,
): Promise<AdoptedSecret[]> {
  const { desired } = await appliedMachine(paths, machine);
  if (desired.recipients.length === 0) {
    throw new BorgopsError(
      'E_USAGE',
      'no admin recipients are declared (secrets.recipients in the inventory): a secret encrypted only to this machine dies with it',
    );
  }
  const key = await observeSshKey(paths.sshKey);
  if (!key.exists || key.publicKey === undefined) {
    throw new BorgopsError(
      'E_USAGE',
      `this machine has no SSH key at ${paths.sshKey}: run \`borgops keys show\` and commit it as machines/${desired.machine}/borgbackup.ssh.pub first`,
    );
  }
  const recipients = [...desired.recipients, ageRecipientOfSshKey(key.publicKey)];
  const adopted: AdoptedSecret[] = [];
  const destinations = desired.destinations.filter((d) => only === undefined || d.name === only);
  if (only !== undefined && destinations.length === 0) {
    throw new BorgopsError('E_USAGE', `unknown destination "${only}" for machine ${desired.machine}`);
  }
  for (const destination of destinations) {
    if (destination.encryption.mode === 'none') continue;
    const files = [
      {
        kind: 'passphrase' as const,
        local:
          destination.encryption.passCommand === undefined
            ? passphrasePath(paths.secretsDir, destination.name)
            : undefined,
      },
      {
        kind: 'key' as const,
        local: KEYFILE_MODES.has(destination.encryption.mode)
          ? exportedKeyPath(paths.secretsDir, destination.name)
          : undefined,
      },
    ];
    for (const file of files) {
      if (file.local === undefined) continue;
      const plain = await readIfPresent(file.local);
      if (plain === undefined) continue;
      try {
        adopted.push({
          destination: destination.name,
          kind: file.kind,
          commitAs: secretFilePath(desired.machine, destination.name, file.kind),
          armored: await encryptTo(recipients, plain),
        });
      } finally {
        plain.fill(0);
      }
    }
  }
  return adopted;
}
