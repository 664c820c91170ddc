import { createHash } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bech32 } from '@scure/base';
import { BorgopsError } from '../errors.js';

/*
 * An age X25519 recipient and identity derived from an ed25519 SSH key exactly as `ssh-to-age`
 * does (what sops-nix users already use): the public key through the birational map from
 * edwards25519 to curve25519, the private key as the clamped first half of SHA-512(seed) — the
 * scalar ed25519 itself uses. So the key a machine commits as `borgbackup.ssh.pub` also names
 * the recipient its secrets are encrypted to. These are X25519 recipients (`-> X25519` stanzas),
 * not age's native `ssh-ed25519` ones.
 */

// bech32 strings longer than BIP 173's 90 characters (age's identities are 74, recipients 62)
const BECH32_LIMIT = 1023;

function bech32Encode(prefix: string, bytes: Uint8Array): string {
  return bech32.encode(prefix, bech32.toWords(bytes), BECH32_LIMIT);
}

function readString(buffer: Buffer, offset: number): { value: Buffer; next: number } {
  if (offset + 4 > buffer.length) throw new Error('truncated');
  const length = buffer.readUInt32BE(offset);
  const end = offset + 4 + length;
  if (end > buffer.length) throw new Error('truncated');
  return { value: buffer.subarray(offset + 4, end), next: end };
}

/** The 32 raw bytes of an `ssh-ed25519 AAAA… [comment]` public key line. */
export function ed25519PublicKeyOf(line: string): Uint8Array {
  const [type, data] = line.trim().split(/\s+/);
  if (type !== 'ssh-ed25519' || data === undefined)
    throw new BorgopsError('E_USAGE', `not an ssh-ed25519 public key: "${type ?? ''}"`);
  try {
    const blob = Buffer.from(data, 'base64');
    const keyType = readString(blob, 0);
    const key = readString(blob, keyType.next);
    if (keyType.value.toString() !== 'ssh-ed25519' || key.value.length !== 32) throw new Error('bad blob');
    return new Uint8Array(key.value);
  } catch (error: unknown) {
    throw new BorgopsError('E_USAGE', 'malformed ssh-ed25519 public key', { cause: error });
  }
}

/** The age recipient (`age1…`) of an ed25519 SSH public key line, as `ssh-to-age` prints it. */
export function ageRecipientOfSshKey(line: string): string {
  const publicKey = ed25519PublicKeyOf(line);
  let montgomery: Uint8Array;
  try {
    // validates the point (ssh-to-age's edwards25519 SetBytes rejects what is not on the curve)
    montgomery = ed25519.utils.toMontgomery(publicKey);
  } catch (error: unknown) {
    throw new BorgopsError('E_USAGE', 'the ssh-ed25519 public key is not a point on the curve', {
      cause: error,
    });
  }
  return bech32Encode('age', montgomery);
}

/** The 32-byte seed of an unencrypted OpenSSH ed25519 private key file (`-----BEGIN OPENSSH PRIVATE KEY-----`). */
export function ed25519SeedOf(pem: string): Uint8Array {
  const match = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]+?)-----END OPENSSH PRIVATE KEY-----/.exec(pem);
  if (!match?.[1]) throw new BorgopsError('E_USAGE', 'not an OpenSSH private key');
  const blob = Buffer.from(match[1].replace(/\s+/g, ''), 'base64');
  const magic = Buffer.from('openssh-key-v1\0');
  try {
    if (!blob.subarray(0, magic.length).equals(magic)) throw new Error('bad magic');
    const cipher = readString(blob, magic.length);
    const kdf = readString(blob, cipher.next);
    const kdfOptions = readString(blob, kdf.next);
    if (cipher.value.toString() !== 'none')
      throw new BorgopsError(
        'E_USAGE',
        'the SSH private key is encrypted with a passphrase; borgops needs an unencrypted key',
      );
    const count = blob.readUInt32BE(kdfOptions.next);
    if (count !== 1) throw new Error(`${count} keys`);
    const publicBlob = readString(blob, kdfOptions.next + 4);
    const section = readString(blob, publicBlob.next).value;
    if (section.readUInt32BE(0) !== section.readUInt32BE(4)) throw new Error('check bytes differ');
    const keyType = readString(section, 8);
    if (keyType.value.toString() !== 'ssh-ed25519')
      throw new BorgopsError(
        'E_USAGE',
        `the SSH key is ${keyType.value.toString()}; only ssh-ed25519 keys convert to age`,
      );
    const publicKey = readString(section, keyType.next);
    const privateKey = readString(section, publicKey.next);
    if (privateKey.value.length !== 64) throw new Error('bad private key length');
    return new Uint8Array(privateKey.value.subarray(0, 32));
  } catch (error: unknown) {
    if (error instanceof BorgopsError) throw error;
    throw new BorgopsError('E_USAGE', 'malformed OpenSSH private key', { cause: error });
  }
}

/** The age identity (`AGE-SECRET-KEY-1…`) of an OpenSSH ed25519 private key, as `ssh-to-age -private-key` prints it. */
export function ageIdentityOfSshKey(pem: string): string {
  const digest = createHash('sha512').update(ed25519SeedOf(pem)).digest();
  const scalar = new Uint8Array(digest.subarray(0, 32));
  scalar[0] = scalar[0]! & 248;
  scalar[31] = (scalar[31]! & 127) | 64;
  digest.fill(0);
  return bech32Encode('age-secret-key-', scalar).toUpperCase();
}
