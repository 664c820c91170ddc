import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { generateSshKey, observeSshKey } from '../../../src/host/ssh-key.js';
import { tempDir } from '../../helpers/temp.js';

async function derived(path: string): Promise<string> {
  return (await execa('ssh-keygen', ['-y', '-f', path])).stdout.split(' ').slice(0, 2).join(' ');
}

describe("the machine's SSH key", () => {
  it('is generated once, 0600, and racing callers all get the one key both halves belong to', async () => {
    const dir = await tempDir('borgops-key-');
    const path = join(dir, 'ssh', 'borgbackup.ssh');
    const keys = await Promise.all([1, 2, 3, 4].map(() => generateSshKey(path, 'borgops@jon')));
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^ssh-ed25519 \S+ borgops@jon$/);
    expect(keys[0]!.startsWith(await derived(path))).toBe(true);
    expect((await readFile(`${path}.pub`, 'utf8')).trim()).toBe(keys[0]);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    // no staging directories left behind
    expect((await readdir(join(dir, 'ssh'))).sort()).toEqual(['borgbackup.ssh', 'borgbackup.ssh.pub']);
    expect(await generateSshKey(path, 'borgops@jon')).toBe(keys[0]);
  });

  it('derives a lost public half from the private key instead of making a new key', async () => {
    const dir = await tempDir('borgops-key-');
    const path = join(dir, 'borgbackup.ssh');
    const first = await generateSshKey(path, 'borgops@jon');
    await rm(`${path}.pub`);
    expect(await observeSshKey(path)).toEqual({ exists: true });
    expect(await generateSshKey(path, 'borgops@jon')).toBe(first);
  });
});
