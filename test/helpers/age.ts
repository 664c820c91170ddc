import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

/** A real admin identity made by `age-keygen`: its file and its public recipient. */
export async function adminKey(
  dir: string,
  name = 'admin.key',
): Promise<{ file: string; recipient: string }> {
  const file = join(dir, name);
  await execa('age-keygen', ['-o', file]);
  const recipient = (await execa('age-keygen', ['-y', file])).stdout.trim();
  return { file, recipient };
}

/** `age -d -i identity file` with the standard tool: the plaintext. */
export async function ageDecrypt(identity: string, file: string): Promise<string> {
  return (await execa('age', ['-d', '-i', identity, file])).stdout;
}

/** localConfig's inventory with `secrets.recipients` declared. */
export function withRecipients(files: Record<string, string>, recipients: string[]): Record<string, string> {
  const inventory = JSON.parse(files['inventory.json'] ?? '{}') as Record<string, unknown>;
  return {
    ...files,
    'inventory.json': `${JSON.stringify({ ...inventory, secrets: { recipients } }, null, 2)}\n`,
  };
}

/** Every file under dir whose bytes contain needle (for "no plaintext on disk" scans). */
export async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const found: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const content = await readFile(path).catch(() => Buffer.alloc(0));
    if (content.includes(needle)) found.push(path);
  }
  return found;
}
