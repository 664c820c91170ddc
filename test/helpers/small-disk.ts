import { execFileSync } from 'node:child_process';
import { onTestFinished } from 'vitest';
import { tempDir } from './temp.js';

/** Mounting needs root (CI runs the tests as root). */
export const canMount = process.getuid?.() === 0;

/** A 64 KiB tmpfs, unmounted when the test finishes: a full disk without filling the machine's. */
export async function smallDisk(): Promise<string> {
  const dir = await tempDir('borgops-full-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'ignore' });
  } catch (error: unknown) {
    throw new Error('mount -t tmpfs failed although running as root', { cause: error });
  }
  onTestFinished(() => {
    execFileSync('umount', [dir]);
  });
  return dir;
}
