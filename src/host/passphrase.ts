import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { type Passphrase, SecretBytes } from '../borg/types.js';
import { BorgopsError, errorMessage } from '../errors.js';
import { decryptWith, readIdentities } from '../secrets/age.js';
import { shlexSplit } from '../util/shlex.js';

/**
 * The passphrase itself, obtained before anything is created with it (`borg init`): the
 * passCommand run once as borg would run it (shlex-split, no shell), the committed secret
 * decrypted, or the generated file read. A failure here means nothing is created.
 */
export async function obtainPassphrase(passphrase: Passphrase, destination: string): Promise<Passphrase> {
  switch (passphrase.kind) {
    case 'none':
    case 'value':
      return passphrase;
    case 'command': {
      let argv: string[];
      try {
        argv = shlexSplit(passphrase.command);
      } catch (error: unknown) {
        throw new BorgopsError(
          'E_CONFIG',
          `${destination}: encryption.passCommand cannot be split: ${errorMessage(error)}`,
        );
      }
      const [file, ...args] = argv;
      if (file === undefined)
        throw new BorgopsError('E_CONFIG', `${destination}: encryption.passCommand is empty`);
      const result = await execa(file, args, {
        reject: false,
        stdin: 'ignore',
        stderr: 'ignore',
        encoding: 'buffer',
      });
      const bytes = Buffer.from(result.stdout ?? new Uint8Array());
      if (result.exitCode !== 0 || result.failed) {
        bytes.fill(0);
        throw new BorgopsError(
          'E_HOST',
          `${destination}: encryption.passCommand failed (${result.exitCode === undefined ? (result.code ?? 'could not run') : `exit ${result.exitCode}`}); nothing was created`,
        );
      }
      if (bytes.toString('utf8').replace(/\n+$/, '') === '') {
        throw new BorgopsError(
          'E_HOST',
          `${destination}: encryption.passCommand printed no passphrase; nothing was created`,
        );
      }
      return { kind: 'value', value: new SecretBytes(new Uint8Array(bytes)) };
    }
    case 'age': {
      try {
        const plain = await decryptWith(await readIdentities(passphrase.identity), passphrase.armored);
        return { kind: 'value', value: new SecretBytes(plain) };
      } catch (error: unknown) {
        throw new BorgopsError(
          'E_HOST',
          `${destination}: cannot decrypt ${passphrase.file} with ${passphrase.identity} (${errorMessage(error)}); nothing was created`,
        );
      }
    }
    case 'file': {
      try {
        return { kind: 'value', value: new SecretBytes(new Uint8Array(await readFile(passphrase.path))) };
      } catch (error: unknown) {
        throw new BorgopsError(
          'E_HOST',
          `${destination}: cannot read ${passphrase.path} (${errorMessage(error)}); nothing was created`,
        );
      }
    }
  }
}
