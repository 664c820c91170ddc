// The `borgops` bin (dist/borgops.mjs): runs the bundled CLI (dist/borgops.core.js) from the V8
// code cache `npm run build` wrote beside it (dist/borgops.core.js.v8cache), so a command does
// not compile 2.9 MB of JavaScript first (~0.1 s of every run on a small machine). The cache is
// as trusted as the code (same directory, written by the same build); V8 rejects it when the
// source, Node's version or its flags differ, and the code is then compiled as usual.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import type { Io } from './io.js';

interface Core {
  run(argv: string[], io: Io): Promise<number>;
  processIo(): Io;
}

/** The file, its code cache, and how the launcher and the build compile it (they must agree). */
export function coreFiles(launcher: string): { core: string; cache: string } {
  const core = join(dirname(launcher), 'borgops.core.js');
  return { core, cache: `${core}.v8cache` };
}

function readCache(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    // no cache (a build without one, or removed): compile as usual
    return undefined;
  }
}

/**
 * Compiles dist/borgops.core.js (a function expression `(exports, require, module, __filename,
 * __dirname, moduleUrl) => …`, as esbuild's banner and footer wrap it) with the cache when
 * there is one, and evaluates its top level.
 */
export function loadCore(launcherUrl: string, cachedData?: Buffer): { core: Core; script: Script } {
  const launcher = fileURLToPath(launcherUrl);
  const { core } = coreFiles(launcher);
  const script = new Script(readFileSync(core, 'utf8'), {
    filename: core,
    ...(cachedData === undefined ? {} : { cachedData }),
  });
  const module = { exports: {} as Core };
  const factory = script.runInThisContext() as (...args: unknown[]) => void;
  // the bundle's import.meta.url is the launcher's: the package root and the job entry are found from it
  factory(module.exports, createRequire(core), module, core, dirname(core), launcherUrl);
  return { core: module.exports, script };
}

export async function launch(launcherUrl: string): Promise<number> {
  const { core } = loadCore(launcherUrl, readCache(coreFiles(fileURLToPath(launcherUrl)).cache));
  return core.run(process.argv.slice(2), core.processIo());
}
