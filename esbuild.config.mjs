// Bundles the CLI into one file (dist/borgops.mjs, the `borgops` bin): loading ~300 modules one
// by one cost ~0.7 s of every run on a small machine; one bundled file loads in ~0.1 s. tsc still
// builds dist/ for type checking and for the tests that import modules directly.
import { build } from 'esbuild';

await build({
  entryPoints: ['reconcile/cli/main.ts'],
  outfile: 'dist/borgops.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  // CommonJS dependencies call require() for Node built-ins
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __borgopsRequire } from 'node:module';\nconst require = __borgopsRequire(import.meta.url);",
  },
});

// the bin runs directly from a checkout too (npm sets the mode only on install)
const { chmod } = await import('node:fs/promises');
await chmod('dist/borgops.mjs', 0o755);
