import { z } from 'zod';
import { readCache, writeCache } from '../host/cache-file.js';
import type { BorgVersion } from './types.js';

/** Parses `borg --version` output (`borg 1.2.4`, `borg 1.4.0b1`, `borg 2.0.0b14`). */
export function parseVersion(output: string): BorgVersion | undefined {
  const match = /\bborg\s+(\d+)\.(\d+)\.(\d+)(\S*)/.exec(output);
  if (match === null) return undefined;
  const [, major = '', minor = '', patch = '', suffix = ''] = match;
  return {
    major: Number(major),
    minor: Number(minor),
    patch: Number(patch),
    text: `${major}.${minor}.${patch}${suffix}`,
  };
}

/** Why borgops cannot drive this borg, or undefined for 1.2 to 1.4 (the versions it is tested with). */
export function unsupportedVersion(version: BorgVersion): string | undefined {
  const { major, minor } = version;
  if (major === 1 && minor >= 2 && minor <= 4) return undefined;
  const older = major < 1 || (major === 1 && minor < 2);
  return `borg ${version.text} is not supported${older ? '' : ' yet'}; borgops needs borg 1.2 to 1.4`;
}

const VersionCache = z.object({
  fingerprint: z.string(),
  version: z.object({
    major: z.number().int(),
    minor: z.number().int(),
    patch: z.number().int(),
    text: z.string(),
  }),
  /**
   * Whether starting borg without its wrapper (src/borg/direct-start.ts) printed the same
   * version, for the interpreter with this fingerprint.
   */
  direct: z.object({ interpreter: z.string(), ok: z.boolean() }).optional(),
});
export type VersionCacheEntry = z.infer<typeof VersionCache>;

/** What `<state>/borg-version.json` remembers for this fingerprint, if it is still the borg installed. */
export async function readVersionCache(
  file: string,
  fingerprint: string,
): Promise<VersionCacheEntry | undefined> {
  const cached = await readCache(file, VersionCache);
  return cached?.fingerprint === fingerprint ? cached : undefined;
}

/**
 * Remembers the version; a cache that cannot be written only costs the next run one `borg
 * --version`. False when it was not written.
 */
export async function writeVersionCache(file: string, entry: VersionCacheEntry): Promise<boolean> {
  return writeCache(file, entry);
}
