import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { secretFilePath } from '../../src/config/files.js';
import type { Declarations } from '../../src/config/model.js';
import {
  describeDrift,
  machineRecipient,
  recipientDrift,
  recipientNames,
  recipientsFor,
  secretNeeds,
} from '../../src/config/secrets.js';
import { BorgopsError, errorMessage } from '../../src/errors.js';
import { writeFileAtomic, writeFileExclusive } from '../../src/host/atomic.js';
import { decryptWith, encryptTo } from '../../src/secrets/age.js';
import { loadSource, requireValid } from '../engine/declarations.js';

/*
 * What an admin runs in a checkout of the config repository: the secrets are written into its
 * working tree (to be committed), read from it, never printed, and never written in plaintext.
 */

export interface AdminOptions {
  /** The config repository checkout (its working tree is read and written). */
  source: string;
}

async function worktreeDeclarations(
  options: AdminOptions,
): Promise<{ dir: string; declarations: Declarations }> {
  const loaded = await loadSource({ source: options.source, ref: 'HEAD', worktree: true });
  return { dir: options.source, declarations: requireValid(loaded).declarations };
}

export interface GeneratedSecret {
  machine: string;
  destination: string;
  file: string;
  /** written now, or kept: a secret already there is never replaced. */
  outcome: 'written' | 'kept';
  recipients: string[];
  /** Set when the machine has no committed ed25519 key yet: it cannot decrypt until a rekey. */
  note?: string;
}

/** `secrets generate`: a random passphrase per destination that needs one and lacks it, encrypted to its machine and the admins. */
export async function generateSecrets(options: AdminOptions): Promise<GeneratedSecret[]> {
  const { dir, declarations } = await worktreeDeclarations(options);
  const results: GeneratedSecret[] = [];
  for (const need of secretNeeds(declarations)) {
    const file = secretFilePath(need.machine, need.destination, 'passphrase');
    const recipients = recipientsFor(declarations, need.machine);
    const own = machineRecipient(declarations, need.machine);
    const note =
      own === undefined
        ? `not yet encrypted to ${need.machine}: commit its key (\`borgops keys show\` on ${need.machine}) as machines/${need.machine}/borgbackup.ssh.pub, then \`borgops secrets rekey\``
        : undefined;
    if (declarations.secrets[need.machine]?.[need.destination]?.passphrase !== undefined) {
      results.push({
        machine: need.machine,
        destination: need.destination,
        file,
        outcome: 'kept',
        recipients,
      });
      continue;
    }
    if (recipients.length === 0) {
      throw new BorgopsError(
        'E_USAGE',
        `no one to encrypt ${file} to: declare secrets.recipients (admins' age keys from \`age-keygen\`) in the inventory`,
      );
    }
    const armored = await encryptTo(recipients, `${randomBytes(32).toString('base64url')}\n`);
    const written = await writeFileExclusive(join(dir, file), armored, { mode: 0o644, dirMode: 0o755 });
    results.push({
      machine: need.machine,
      destination: need.destination,
      file,
      outcome: written ? 'written' : 'kept',
      recipients,
      ...(note === undefined ? {} : { note }),
    });
  }
  return results;
}

export interface CheckedSecret {
  machine: string;
  destination: string;
  file: string;
  /** Decrypted with the identity (rekey, verify). */
  decrypts: boolean;
  /** What is wrong with its recipients, when anything is. */
  stale?: string;
  outcome?: 'rekeyed' | 'current' | 'failed';
  error?: string;
}

function committedFiles(declarations: Declarations) {
  return Object.entries(declarations.secrets).flatMap(([machine, destinations]) =>
    Object.entries(destinations).flatMap(([destination, committed]) =>
      [committed.passphrase, committed.key]
        .filter((secret) => secret !== undefined)
        .map((secret) => ({ machine, destination, ...secret })),
    ),
  );
}

/** `secrets verify`: every committed secret decrypts with the identity; names those whose recipients are out of date. */
export async function verifySecrets(
  options: AdminOptions & { identities: string[] },
): Promise<{ secrets: CheckedSecret[]; missing: string[] }> {
  const { declarations } = await worktreeDeclarations(options);
  const names = recipientNames(declarations);
  const secrets: CheckedSecret[] = [];
  for (const secret of committedFiles(declarations)) {
    const drift = recipientDrift(secret.armored, recipientsFor(declarations, secret.machine));
    let error: string | undefined;
    await decryptWith(options.identities, secret.armored).then(
      (plain) => plain.fill(0),
      (failure: unknown) => {
        error = errorMessage(failure);
      },
    );
    secrets.push({
      machine: secret.machine,
      destination: secret.destination,
      file: secret.file,
      decrypts: error === undefined,
      ...(drift === undefined ? {} : { stale: describeDrift(drift, names) }),
      ...(error === undefined ? {} : { error }),
    });
  }
  const missing = secretNeeds(declarations)
    .filter((need) => declarations.secrets[need.machine]?.[need.destination]?.passphrase === undefined)
    .map((need) => secretFilePath(need.machine, need.destination, 'passphrase'));
  return { secrets, missing };
}

/** `secrets rekey`: decrypts each secret whose recipients are out of date and encrypts it again to the current ones. */
export async function rekeySecrets(
  options: AdminOptions & { identities: string[] },
): Promise<CheckedSecret[]> {
  const { dir, declarations } = await worktreeDeclarations(options);
  const names = recipientNames(declarations);
  const results: CheckedSecret[] = [];
  for (const secret of committedFiles(declarations)) {
    const recipients = recipientsFor(declarations, secret.machine);
    const drift = recipientDrift(secret.armored, recipients);
    const base = { machine: secret.machine, destination: secret.destination, file: secret.file };
    if (drift === undefined) {
      results.push({ ...base, decrypts: true, outcome: 'current' });
      continue;
    }
    let plain: Uint8Array;
    try {
      plain = await decryptWith(options.identities, secret.armored);
    } catch (error: unknown) {
      results.push({
        ...base,
        decrypts: false,
        stale: describeDrift(drift, names),
        outcome: 'failed',
        error: errorMessage(error),
      });
      continue;
    }
    try {
      await writeFileAtomic(join(dir, secret.file), await encryptTo(recipients, plain), {
        mode: 0o644,
        dirMode: 0o755,
      });
    } finally {
      plain.fill(0);
    }
    results.push({ ...base, decrypts: true, stale: describeDrift(drift, names), outcome: 'rekeyed' });
  }
  return results;
}
