import { randomBytes } from 'node:crypto';
import { access, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';

export async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Apparent size of every regular file under `dir` (what `du -sb` counts, without directories). */
export async function sizeOf(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await sizeOf(path);
    else if (entry.isFile()) total += (await stat(path)).size;
  }
  return total;
}

/** jon's state folders of the guide under a root, with content worth comparing byte for byte. */
export async function writeJonData(root: string, dbBytes: number): Promise<Record<string, Buffer>> {
  const files: Record<string, Buffer> = {
    'var/backup/linkding/db.sqlite3': randomBytes(dbBytes),
    'var/backup/linkding/notes/readme.txt': Buffer.from('linkding notes\n'),
    'var/lib/zerotier-one/identity.secret': randomBytes(512),
  };
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return files;
}

/** Every file of `files` under `base`, byte for byte. */
export async function expectFiles(base: string, files: Record<string, Buffer>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    expect((await readFile(join(base, path))).equals(content), path).toBe(true);
  }
}
