// The `borgops` bin (dist/borgops.cjs): the launcher as a CommonJS file, because Node starts a
// CommonJS entry ~20 ms sooner than an ES module (it skips setting up the ES module loader), and
// every command pays that. dist/borgops.mjs (reconcile/cli/main.ts) is the same launcher as an
// ES module, kept for what already calls it by that path. esbuild bundles this file as CommonJS,
// where __filename is this file.
import { pathToFileURL } from 'node:url';
import { launch } from './launch.js';

launch(pathToFileURL(__filename).href).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // launch reports its own failures; this is the last resort, as an unhandled rejection would be
    process.exitCode = 1;
    throw error;
  },
);
