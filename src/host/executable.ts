import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The executable a command name runs: the first `name` on PATH that is an executable file (as
 * execvp finds it), or `name` itself when it holds a slash.
 */
export async function resolveExecutable(name: string, path: string | undefined): Promise<string | undefined> {
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
 * What identifies an installed program without starting it: the executable's real path, inode,
 * size and change time. Installing another version (apt, pip, a new binary) writes a new
 * executable, so any of these changes (borg's version and bash's verdicts are asked again).
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
