import { randomBytes } from 'node:crypto';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.js';

export function passphrasePath(secretsDir: string, destination: string): string {
  return join(secretsDir, `${destination}.passphrase`);
}

export function exportedKeyPath(secretsDir: string, destination: string): string {
  return join(secretsDir, `${destination}.key`);
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

export interface ObservedSecret {
  passphrase: boolean;
  key: boolean;
}

export async function observeSecret(secretsDir: string, destination: string): Promise<ObservedSecret> {
  const [passphrase, key] = await Promise.all([
    exists(passphrasePath(secretsDir, destination)),
    exists(exportedKeyPath(secretsDir, destination)),
  ]);
  return { passphrase, key };
}

/** 256 random bits; written once, 0600, and never shown anywhere. */
export async function generatePassphrase(secretsDir: string, destination: string): Promise<string> {
  const path = passphrasePath(secretsDir, destination);
  if (await exists(path)) return path;
  await writeFileAtomic(path, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
  return path;
}
