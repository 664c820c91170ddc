import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArchiveItem } from '../../src/borg/items.js';

/** What the comparison of an extracted tree with borg's record of the archive found. */
export interface ExtractedCheck {
  /** Regular files whose size and sha256 matched. */
  files: number;
  bytes: number;
  /** One line per file that did not match (missing, wrong type, size, content). */
  mismatches: string[];
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Compares every regular file borg recorded (`-`, and hard links that carry content) with the
 * file extracted under `dir`: it must exist, be a regular file, have the recorded size and the
 * recorded sha256. Everything else (directories, links, devices) is left to borg extract.
 */
export async function verifyExtracted(dir: string, items: readonly ArchiveItem[]): Promise<ExtractedCheck> {
  const result: ExtractedCheck = { files: 0, bytes: 0, mismatches: [] };
  for (const item of items) {
    const regular = item.type === '-' || (item.type === 'h' && item.sha256 !== '');
    if (!regular) continue;
    const path = join(dir, item.path);
    const stats = await lstat(path).catch(() => undefined);
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
    const actual = await sha256Of(path);
    if (actual !== item.sha256) {
      result.mismatches.push(`${item.path}: content differs from what borg recorded (sha256)`);
      continue;
    }
    result.files += 1;
    result.bytes += item.size;
  }
  return result;
}
