import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { armor } from 'age-encryption';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { passphraseInput } from '../../../src/borg/passphrase-input.js';
import type { Passphrase } from '../../../src/borg/types.js';
import { encryptTo } from '../../../src/secrets/age.js';
import { tempDir } from '../../helpers/temp.js';

const FILE = 'machines/jon/secrets/local.passphrase.age';

async function committed(): Promise<Extract<Passphrase, { kind: 'age' }>> {
  const dir = await tempDir();
  const identity = join(dir, 'admin.key');
  await execa('age-keygen', ['-o', identity]);
  const recipient = (await execa('age-keygen', ['-y', identity])).stdout.trim();
  return { kind: 'age', file: FILE, armored: await encryptTo([recipient], 'the passphrase\n'), identity };
}

/** The armored file with one byte of its binary form changed (or the binary cut short). */
function tampered(armored: string, change: (bytes: Uint8Array) => Uint8Array): string {
  return armor.encode(change(new Uint8Array(armor.decode(armored))));
}

describe('passphraseInput', () => {
  it('decrypts a committed passphrase', async () => {
    const passphrase = await committed();
    const input = await passphraseInput(passphrase, 'local', 'list');
    expect(Buffer.from(input ?? []).toString()).toBe('the passphrase\n');
  });

  it.each([
    ['a changed payload byte', (b: Uint8Array) => b.map((x, i) => (i === b.length - 1 ? x ^ 1 : x))],
    ['a changed header byte', (b: Uint8Array) => b.map((x, i) => (i === 30 ? x ^ 1 : x))],
    ['a payload cut short', (b: Uint8Array) => b.subarray(0, b.length - 10)],
    ['the header alone', (b: Uint8Array) => b.subarray(0, Buffer.from(b).indexOf('\n---') + 50)],
  ])('%s: a passphrase failure naming the file, borg never started', async (_, change) => {
    const good = await committed();
    const passphrase = { ...good, armored: tampered(good.armored, change) };
    const error = await passphraseInput(passphrase, 'local', 'create').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_BORG', failure: 'passphrase', destination: 'local' });
    expect((error as Error).message).toMatch(
      new RegExp(`^local: cannot decrypt ${FILE} with .*admin\\.key \\(.+\\);.* nothing was created`),
    );
  });

  it('an armored file cut in half is a passphrase failure naming the file', async () => {
    const good = await committed();
    const passphrase = { ...good, armored: good.armored.slice(0, good.armored.length / 2) };
    await expect(passphraseInput(passphrase, 'local', 'create')).rejects.toMatchObject({
      failure: 'passphrase',
      message: expect.stringContaining(`cannot decrypt ${FILE}`),
    });
  });

  it('runs a passCommand once per target, also for processes at once; a failure is tried again', async () => {
    const dir = await tempDir();
    const runs = join(dir, 'runs');
    const script = join(dir, 'pass.sh');
    await writeFile(script, `#!/bin/sh\necho run >> '${runs}'\ntest -e '${dir}/ok' || exit 3\necho pass\n`, {
      mode: 0o755,
    });
    const count = async () => (await readFile(runs, 'utf8')).split('\n').filter(Boolean).length;
    const target: Passphrase = { kind: 'command', command: script };
    await expect(passphraseInput(target, 'local', 'list')).rejects.toMatchObject({
      failure: 'passphrase',
      message: 'local: encryption.passCommand failed (exit 3); nothing was created (borg was not started)',
    });
    await writeFile(join(dir, 'ok'), '');
    const inputs = await Promise.all([1, 2, 3].map(() => passphraseInput(target, 'local', 'create')));
    expect(inputs.map((input) => Buffer.from(input ?? []).toString())).toEqual(['pass', 'pass', 'pass']);
    await passphraseInput(target, 'local', 'rename');
    expect(await count()).toBe(2);
    // another target (another command) runs it again
    await passphraseInput({ ...target }, 'local', 'list');
    expect(await count()).toBe(3);
  });
});
