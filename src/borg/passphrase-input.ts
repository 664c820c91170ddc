import { BorgopsError, errorMessage } from '../errors.js';
import { readOwnFile } from '../host/nofollow.js';
import { rememberSecretText } from '../log.js';
import { decryptWith, readIdentities } from '../secrets/age.js';
import { loadExeca } from '../util/execa.js';
import { shlexSplit } from '../util/shlex.js';
import { BorgError } from './errors.js';
import type { Passphrase } from './types.js';

type Command = BorgError['command'];

/** The passphrase could not be had: borg was not started, so nothing was created (`borg init`) or changed. */
function passphraseError(message: string, destination: string, command: Command, cause?: unknown): BorgError {
  return new BorgError(`${message}; nothing was created (borg was not started)`, {
    command,
    failure: 'passphrase',
    destination,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** A committed passphrase, decrypted in memory: it goes to borg's pipe and nowhere else. */
async function decryptCommitted(
  passphrase: Extract<Passphrase, { kind: 'age' }>,
  destination: string,
  command: Command,
): Promise<Uint8Array> {
  try {
    return await decryptWith(await readIdentities(passphrase.identity), passphrase.armored);
  } catch (error: unknown) {
    throw passphraseError(
      `${destination}: cannot decrypt ${passphrase.file} with ${passphrase.identity} (${errorMessage(error)}); is it encrypted to this key? an admin runs \`borgops secrets rekey\``,
      destination,
      command,
      error,
    );
  }
}

/** The declared passCommand run as borg runs BORG_PASSCOMMAND (shlex-split, no shell, stdin closed). */
async function runPassCommand(
  passCommand: string,
  destination: string,
  command: Command,
): Promise<Uint8Array> {
  rememberSecretText(passCommand);
  let argv: string[];
  try {
    argv = shlexSplit(passCommand);
  } catch (error: unknown) {
    throw passphraseError(
      `${destination}: encryption.passCommand cannot be split: ${errorMessage(error)}`,
      destination,
      command,
    );
  }
  const [file, ...args] = argv;
  if (file === undefined)
    throw passphraseError(`${destination}: encryption.passCommand is empty`, destination, command);
  const execa = await loadExeca();
  const result = await execa(file, args, {
    reject: false,
    stdin: 'ignore',
    stderr: 'ignore',
    encoding: 'buffer',
  });
  const bytes = new Uint8Array(result.stdout ?? new Uint8Array());
  if (result.exitCode !== 0 || result.failed) {
    bytes.fill(0);
    const why = result.exitCode === undefined ? (result.code ?? 'could not run') : `exit ${result.exitCode}`;
    throw passphraseError(`${destination}: encryption.passCommand failed (${why})`, destination, command);
  }
  if (Buffer.from(bytes).toString('utf8').replace(/\n+$/, '') === '')
    throw passphraseError(
      `${destination}: encryption.passCommand printed no passphrase`,
      destination,
      command,
    );
  return bytes;
}

async function readPassphrase(
  passphrase: Passphrase,
  destination: string,
  command: Command,
): Promise<Uint8Array | undefined> {
  switch (passphrase.kind) {
    case 'none':
      return undefined;
    case 'age':
      return decryptCommitted(passphrase, destination, command);
    case 'command':
      return runPassCommand(passphrase.command, destination, command);
    case 'file':
      try {
        // O_NOFOLLOW: a passphrase file swapped for a symlink is refused, never read
        const bytes = await readOwnFile(passphrase.path);
        if (bytes === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
        return bytes;
      } catch (error: unknown) {
        if (error instanceof BorgopsError)
          throw passphraseError(`${destination}: ${error.message}`, destination, command);
        const code = error instanceof Error && 'code' in error ? String(error.code) : 'unknown';
        throw passphraseError(
          `${destination}: cannot read the passphrase file ${passphrase.path} (${code})`,
          destination,
          command,
        );
      }
  }
}

// By target: the passphrase object lives as long as the target one command built for a destination.
const obtained = new WeakMap<Passphrase, Promise<Uint8Array | undefined>>();

/**
 * What borg reads on its passphrase pipe (BORG_PASSPHRASE_FD), obtained before borg starts (a
 * failing passCommand creates no half-made repository) and once per target: the borg processes
 * of one destination in one command share one decryption or passCommand run (see borgTarget).
 * A failure is not kept, so the next process tries again.
 */
export function passphraseInput(
  passphrase: Passphrase,
  destination: string,
  command: Command,
): Promise<Uint8Array | undefined> {
  let input = obtained.get(passphrase);
  if (input === undefined) {
    input = readPassphrase(passphrase, destination, command);
    obtained.set(passphrase, input);
    input.catch(() => obtained.delete(passphrase));
  }
  return input;
}
