import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';

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

/** An executable as a command name finds it. */
export interface Executable {
  /** The path execvp runs (what a script's interpreter gets as the script's name). */
  path: string;
  /** That path with every link resolved. */
  real: string;
  /**
   * What identifies the installed program without starting it: its real path, inode, size and
   * change time. Installing another version (apt, pip, a new binary) writes a new executable, so
   * any of these changes (borg's version and bash's verdicts are asked again).
   */
  fingerprint: string;
}

/** The executable `command` runs (looked up on `path` unless it holds a slash), or undefined. */
export async function locateExecutable(
  command: string,
  path: string | undefined,
): Promise<Executable | undefined> {
  const found = await resolveExecutable(command, path);
  if (found === undefined) return undefined;
  try {
    const real = await realpath(found);
    const info = await stat(real);
    return {
      path: found,
      real,
      fingerprint: `${real}:${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`,
    };
  } catch {
    return undefined;
  }
}

/** locateExecutable's fingerprint. */
export async function executableFingerprint(
  command: string,
  path: string | undefined,
): Promise<string | undefined> {
  return (await locateExecutable(command, path))?.fingerprint;
}
