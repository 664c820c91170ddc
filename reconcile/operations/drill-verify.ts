import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, lstat, open, realpath } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { ArchiveItem } from '../../src/borg/items.js';
import { inside } from './drill-scratch.js';

/** What the comparison of an extracted tree with borg's record of the archive found. */
export interface ExtractedCheck {
  /** Regular files whose size and sha256 matched. */
  files: number;
  bytes: number;
  /** One line per file that did not match (missing, wrong type, size, content). */
  mismatches: string[];
}

async function sha256Of(handle: FileHandle): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of handle.createReadStream({ autoClose: false })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Where a file borg recorded at `path` is, or why it is not read: a path leaving the scratch
 * directory, or one whose folder is reached through a symlink (an archived link the extract
 * re-created), would make the drill read, and pass on, a file outside what borg extracted.
 */
async function locate(
  dir: string,
  realDir: string,
  parents: Map<string, Promise<string | undefined>>,
  path: string,
): Promise<{ at: string } | { problem: string }> {
  const at = join(dir, path);
  if (!inside(dir, at) || at === dir) return { problem: 'outside the scratch directory' };
  const folder = dirname(relative(dir, at));
  let real = parents.get(folder);
  if (real === undefined) {
    real = realpath(join(dir, folder)).catch(() => undefined);
    parents.set(folder, real);
  }
  const resolved = await real;
  if (resolved !== undefined && resolved !== join(realDir, folder)) {
    return { problem: 'reached through a symbolic link; not read' };
  }
  return { at };
}

/**
 * Compares every regular file borg recorded (`-`, and hard links that carry content) with the
 * file extracted under `dir`: it must exist, be a regular file, have the recorded size and the
 * recorded sha256. Everything else (directories, links, devices) is left to borg extract, and
 * no link is followed: a file is read only where borg put it.
 */
export async function verifyExtracted(dir: string, items: readonly ArchiveItem[]): Promise<ExtractedCheck> {
  const result: ExtractedCheck = { files: 0, bytes: 0, mismatches: [] };
  const realDir = await realpath(dir);
  const parents = new Map<string, Promise<string | undefined>>();
  for (const item of items) {
    const regular = item.type === '-' || (item.type === 'h' && item.sha256 !== '');
    if (!regular) continue;
    const located = await locate(dir, realDir, parents, item.path);
    if ('problem' in located) {
      result.mismatches.push(`${item.path}: ${located.problem}`);
      continue;
    }
    const stats = await lstat(located.at).catch(() => undefined);
    if (stats === undefined) {
      result.mismatches.push(`${item.path}: not extracted`);
      continue;
    }
    if (!stats.isFile()) {
      result.mismatches.push(`${item.path}: extracted as something other than a regular file`);
      continue;
    }
    if (stats.size !== item.size) {
      result.mismatches.push(`${item.path}: ${stats.size} bytes extracted, borg recorded ${item.size}`);
      continue;
    }
    if (item.sha256 === '') {
      result.mismatches.push(`${item.path}: borg recorded no content hash`);
      continue;
    }
    // O_NOFOLLOW: the file lstat saw, never a link swapped in since
    const handle = await open(located.at, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    let actual: string;
    try {
      actual = await sha256Of(handle);
    } finally {
      await handle.close();
    }
    if (actual !== item.sha256) {
      result.mismatches.push(`${item.path}: content differs from what borg recorded (sha256)`);
      continue;
    }
    result.files += 1;
    result.bytes += item.size;
  }
  return result;
}
