import { readFile } from 'node:fs/promises';
import { armor, Decrypter, Encrypter, Stanza } from 'age-encryption';
import { BorgopsError } from '../errors.js';
import { ageIdentityOfSshKey } from './ssh-age.js';

/*
 * age in memory, in the standard format (age-encryption, the reference TypeScript
 * implementation): ASCII-armored, so a secret is a text file in git that `age -d` reads as is.
 */

/** An age X25519 recipient, as `age-keygen` prints it (bech32, 62 characters). */
export const RECIPIENT_PATTERN = /^age1[02-9ac-hj-np-z]{58}$/;

/**
 * X25519 stanzas hold an ephemeral share, not the recipient, so a file cannot tell whom it is
 * encrypted to. Next to each one borgops writes a public label stanza naming the recipient:
 * identities ignore stanza types they do not know (the age spec's grease), the header MAC
 * covers it, and `validate` reads it without any key.
 */
export const RECIPIENT_LABEL = 'borgops/recipient';

const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';

export function isArmored(text: string): boolean {
  return text.trimStart().startsWith(ARMOR_BEGIN);
}

/** Encrypts to every recipient; returns the ASCII-armored file (with a final newline). */
export async function encryptTo(
  recipients: readonly string[],
  plaintext: Uint8Array | string,
): Promise<string> {
  if (recipients.length === 0) throw new BorgopsError('E_USAGE', 'no recipients to encrypt to');
  const encrypter = new Encrypter();
  for (const recipient of [...new Set(recipients)].sort()) {
    encrypter.addRecipient(recipient);
    encrypter.addRecipient({
      wrapFileKey: () => [new Stanza([RECIPIENT_LABEL, recipient], new Uint8Array(0))],
    });
  }
  return armor.encode(await encrypter.encrypt(plaintext));
}

/** Decrypts an armored file with any of the identities (`AGE-SECRET-KEY-1…`). */
export async function decryptWith(identities: readonly string[], armored: string): Promise<Uint8Array> {
  const decrypter = new Decrypter();
  for (const identity of identities) decrypter.addIdentity(identity);
  return decrypter.decrypt(armor.decode(armored));
}

/** The recipients an armored file's label stanzas name (public: no key needed); undefined when unreadable. */
export function labelledRecipients(armored: string): string[] | undefined {
  let header: string;
  try {
    const bytes = armor.decode(armored);
    const end = Buffer.from(bytes).indexOf('\n---');
    if (end < 0) return undefined;
    header = Buffer.from(bytes.subarray(0, end)).toString('latin1');
  } catch {
    return undefined;
  }
  const recipients: string[] = [];
  for (const line of header.split('\n')) {
    const [arrow, type, recipient] = line.split(' ');
    if (arrow === '->' && type === RECIPIENT_LABEL && recipient !== undefined) recipients.push(recipient);
  }
  return recipients.sort();
}

/**
 * The identities in a file: an age identity file (`AGE-SECRET-KEY-1…` lines, `#` comments, as
 * `age-keygen` writes it) or an unencrypted OpenSSH ed25519 private key (converted as ssh-to-age does).
 */
export function parseIdentities(text: string, file: string): string[] {
  if (text.includes('-----BEGIN OPENSSH PRIVATE KEY-----')) return [ageIdentityOfSshKey(text)];
  const identities = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('AGE-SECRET-KEY-'));
  if (identities.length === 0)
    throw new BorgopsError(
      'E_USAGE',
      `${file}: no identity (expected AGE-SECRET-KEY-1… lines from age-keygen, or an OpenSSH ed25519 private key)`,
    );
  return identities;
}

export async function readIdentities(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error: unknown) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
    throw new BorgopsError('E_USAGE', `cannot read the identity file ${file} (${code})`, { cause: error });
  }
  return parseIdentities(text, file);
}
