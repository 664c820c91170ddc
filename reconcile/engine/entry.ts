import { readFileSync, realpathSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The borgops package directory, found by walking up from this module (works bundled or not). */
export function packageRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'borgops') return dir;
    } catch {
      // no package.json here: keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export function packageVersion(): string {
  const root = packageRoot();
  if (root === undefined) return 'unknown';
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * The CLI file scheduled jobs run: `BORGOPS_CLI` when set, else the bundled CLI of this package
 * (`dist/borgops.cjs`, what `npm run build` makes and the `borgops` bin points at).
 */
export function cliEntry(): string {
  const override = process.env.BORGOPS_CLI;
  if (override !== undefined && override !== '') return override;
  const root = packageRoot();
  return root === undefined ? fileURLToPath(import.meta.url) : join(root, 'dist', 'borgops.cjs');
}

function realpath(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/**
 * The `borgops` on PATH that is this very CLI (the bin `npm install -g` links), so scheduled jobs
 * call the installed command and keep working when a checkout moves; undefined when not installed.
 */
export function installedCli(path = process.env.PATH ?? ''): string | undefined {
  const self = realpath(cliEntry());
  if (self === undefined) return undefined;
  for (const dir of path.split(delimiter)) {
    if (dir === '' || !isAbsolute(dir)) continue;
    const candidate = join(dir, 'borgops');
    if (realpath(candidate) === self) return candidate;
  }
  return undefined;
}

/** The executable and script a scheduled job runs: `BORGOPS_CLI`, else the installed bin, else this file. */
export function jobEntry(): string {
  const override = process.env.BORGOPS_CLI;
  if (override !== undefined && override !== '') return override;
  return installedCli() ?? cliEntry();
}
