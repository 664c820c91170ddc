import { constants } from 'node:fs';
import { access, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { writeJsonAtomic } from '../host/atomic.js';
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

/**
 * The executable a command name runs: the first `name` on PATH that is an executable file (as
 * execvp finds it), or `name` itself when it holds a slash.
 */
async function resolveExecutable(name: string, path: string | undefined): Promise<string | undefined> {
  if (name.includes('/')) return name;
  for (const dir of (path ?? '').split(':')) {
    const candidate = join(dir === '' ? '.' : dir, name);
    try {
      await access(candidate, constants.X_OK);
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * What identifies the installed borg without starting it: the executable's real path, inode,
 * size and change time. Installing another borg (apt, pip, a new binary) writes a new
 * executable, so any of these changes and `borg --version` is asked again.
 */
export async function executableFingerprint(
  command: string,
  path: string | undefined,
): Promise<string | undefined> {
  const found = await resolveExecutable(command, path);
  if (found === undefined) return undefined;
  try {
    const real = await realpath(found);
    const info = await stat(real);
    return `${real}:${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`;
  } catch {
    return undefined;
  }
}

const VersionCache = z.object({
  fingerprint: z.string(),
  version: z.object({
    major: z.number().int(),
    minor: z.number().int(),
    patch: z.number().int(),
    text: z.string(),
  }),
});

/** The borg version remembered for this fingerprint (`<state>/borg-version.json`), if it is still the one installed. */
export async function readVersionCache(file: string, fingerprint: string): Promise<BorgVersion | undefined> {
  try {
    const parsed = VersionCache.safeParse(JSON.parse(await readFile(file, 'utf8')));
    return parsed.success && parsed.data.fingerprint === fingerprint ? parsed.data.version : undefined;
  } catch {
    return undefined;
  }
}

/** Remembers the version; a cache that cannot be written only costs the next run one `borg --version`. */
export async function writeVersionCache(
  file: string,
  fingerprint: string,
  version: BorgVersion,
): Promise<void> {
  try {
    // never the first file of a state directory: a command that writes nothing else creates none
    if (!(await stat(dirname(file))).isDirectory()) return;
    await writeJsonAtomic(file, { fingerprint, version });
  } catch {
    // the state directory may be read-only (a dry run, a rescue system): ask borg next time
  }
}
