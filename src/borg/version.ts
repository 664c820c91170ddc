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
