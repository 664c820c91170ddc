import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bech32 } from '@scure/base';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import {
  decryptWith,
  encryptTo,
  labelledRecipients,
  parseIdentities,
  RECIPIENT_PATTERN,
  readIdentities,
} from '../../../src/secrets/age.js';
import { ageIdentityOfSshKey, ageRecipientOfSshKey, ed25519SeedOf } from '../../../src/secrets/ssh-age.js';
import { tempDir } from '../../helpers/temp.js';

/** A real admin identity made by age-keygen: its file and its public recipient. */
async function adminKey(dir: string): Promise<{ file: string; recipient: string }> {
  const file = join(dir, 'admin.key');
  await execa('age-keygen', ['-o', file]);
  const recipient = (await execa('age-keygen', ['-y', file])).stdout.trim();
  return { file, recipient };
}

async function sshKey(dir: string, name = 'id'): Promise<{ file: string; publicKey: string }> {
  const file = join(dir, name);
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'test', '-f', file]);
  return { file, publicKey: (await readFile(`${file}.pub`, 'utf8')).trim() };
}

describe('ssh-to-age derivation', () => {
  it('derives a recipient and identity that match each other (real age-keygen -y)', async () => {
    const dir = await tempDir();
    const key = await sshKey(dir);
    const recipient = ageRecipientOfSshKey(key.publicKey);
    const identity = ageIdentityOfSshKey(await readFile(key.file, 'utf8'));
    expect(recipient).toMatch(RECIPIENT_PATTERN);
    expect(identity).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);
    const identityFile = join(dir, 'derived.key');
    await writeFile(identityFile, `${identity}\n`, { mode: 0o600 });
    // the standard tool computes the public half of the derived identity: it must be the derived recipient
    expect((await execa('age-keygen', ['-y', identityFile])).stdout.trim()).toBe(recipient);
  });

  it('matches ssh-to-age on a fixed key (test vector)', () => {
    // RFC 8032 test 1 seed 9d61…7f60 as an OpenSSH key; the expected values follow ssh-to-age's algorithm
    const seed = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');
    const publicKey = Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex');
    const lengthPrefixed = (b: Buffer) => {
      const length = Buffer.alloc(4);
      length.writeUInt32BE(b.length);
      return Buffer.concat([length, b]);
    };
    const type = Buffer.from('ssh-ed25519');
    const publicBlob = Buffer.concat([lengthPrefixed(type), lengthPrefixed(publicKey)]);
    const section = Buffer.concat([
      Buffer.from([1, 2, 3, 4, 1, 2, 3, 4]),
      lengthPrefixed(type),
      lengthPrefixed(publicKey),
      lengthPrefixed(Buffer.concat([seed, publicKey])),
      lengthPrefixed(Buffer.from('c')),
    ]);
    const blob = Buffer.concat([
      Buffer.from('openssh-key-v1\0'),
      lengthPrefixed(Buffer.from('none')),
      lengthPrefixed(Buffer.from('none')),
      lengthPrefixed(Buffer.alloc(0)),
      Buffer.from([0, 0, 0, 1]),
      lengthPrefixed(publicBlob),
      lengthPrefixed(section),
    ]);
    const pem = `-----BEGIN OPENSSH PRIVATE KEY-----\n${blob.toString('base64')}\n-----END OPENSSH PRIVATE KEY-----\n`;
    expect(Buffer.from(ed25519SeedOf(pem)).equals(seed)).toBe(true);
    const line = `ssh-ed25519 ${publicBlob.toString('base64')} c`;
    // u = (1 + y) / (1 − y) mod 2^255 − 19, independently of the library that derives it
    const p = 2n ** 255n - 19n;
    const y = BigInt(`0x${Buffer.from(publicKey).reverse().toString('hex')}`) & ((1n << 255n) - 1n);
    const power = (b: bigint, e: bigint): bigint => {
      let r = 1n;
      let x = b % p;
      for (let k = e; k > 0n; k >>= 1n) {
        if (k & 1n) r = (r * x) % p;
        x = (x * x) % p;
      }
      return r;
    };
    const u = ((1n + y) * power((1n - y + p) % p, p - 2n)) % p;
    const uBytes = Buffer.from(u.toString(16).padStart(64, '0'), 'hex').reverse();
    const recipient = ageRecipientOfSshKey(line);
    expect(
      Buffer.from(bech32.fromWords(bech32.decode(recipient as `${string}1${string}`, 1023).words)),
    ).toEqual(uBytes);
  });

  it('refuses keys that are not ed25519, and encrypted keys', async () => {
    const dir = await tempDir();
    await execa('ssh-keygen', ['-q', '-t', 'ecdsa', '-N', '', '-f', join(dir, 'ecdsa')]);
    expect(() => ageRecipientOfSshKey('ssh-rsa AAAAB3NzaC1yc2EAAAADAQAB x')).toThrow(/not an ssh-ed25519/);
    expect(() => ageIdentityOfSshKey('')).toThrow(/not an OpenSSH private key/);
    expect(() => ageIdentityOfSshKey(readFileSync(join(dir, 'ecdsa'), 'utf8'))).toThrow(/only ssh-ed25519/);
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret-pass', '-f', join(dir, 'locked')]);
    expect(() => ageIdentityOfSshKey(readFileSync(join(dir, 'locked'), 'utf8'))).toThrow(
      /encrypted with a passphrase/,
    );
  });
});

describe('age in memory, interoperable with the age CLI', () => {
  it('encrypts to an admin and a machine: `age -d -i admin.key` and the machine SSH key (derived) both decrypt', async () => {
    const dir = await tempDir();
    const admin = await adminKey(dir);
    const machine = await sshKey(dir, 'machine');
    const machineRecipient = ageRecipientOfSshKey(machine.publicKey);
    const armored = await encryptTo([admin.recipient, machineRecipient], 'correct horse battery staple\n');
    expect(armored).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n/);
    expect(armored).not.toContain('correct horse');
    const file = join(dir, 'jon.passphrase.age');
    await writeFile(file, armored);
    expect((await execa('age', ['-d', '-i', admin.file, file])).stdout).toBe('correct horse battery staple');
    const machineIdentity = parseIdentities(await readFile(machine.file, 'utf8'), machine.file);
    expect(new TextDecoder().decode(await decryptWith(machineIdentity, armored))).toBe(
      'correct horse battery staple\n',
    );
    expect(labelledRecipients(armored)).toEqual([admin.recipient, machineRecipient].sort());
    // the stanzas are X25519 ones: age's native ssh-ed25519 identity does not open them
    const native = await execa('age', ['-d', '-i', machine.file, file], { reject: false });
    expect(native.exitCode).not.toBe(0);
  });

  it('decrypts what the age CLI encrypted to a derived recipient', async () => {
    const dir = await tempDir();
    const machine = await sshKey(dir, 'machine');
    const recipient = ageRecipientOfSshKey(machine.publicKey);
    const { stdout } = await execa('age', ['-e', '-a', '-r', recipient], { input: 'from-the-cli' });
    const plain = await decryptWith(await readIdentities(machine.file), stdout);
    expect(new TextDecoder().decode(plain)).toBe('from-the-cli');
    expect(labelledRecipients(stdout)).toEqual([]);
  });

  it('fails to decrypt with an identity that is not a recipient', async () => {
    const dir = await tempDir();
    const admin = await adminKey(dir);
    const other = await adminKey(await tempDir());
    const armored = await encryptTo([admin.recipient], 'x');
    await expect(decryptWith(await readIdentities(other.file), armored)).rejects.toThrow();
    await expect(readIdentities(join(dir, 'absent'))).rejects.toThrow(/cannot read the identity file/);
  });
});
