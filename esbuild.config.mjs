// Bundles the CLI (loading ~300 modules one by one cost ~0.7 s of every run on a small machine;
// one bundled file loads in ~0.1 s) and writes V8's code cache for it. tsc still builds dist/ for
// type checking and for the tests that import modules directly.
//
//   dist/borgops.cjs            the `borgops` bin: a small launcher (reconcile/cli/launch.ts, bin.ts)
//   dist/borgops.mjs            the same launcher as an ES module (reconcile/cli/main.ts)
//   dist/borgops.core.js        the CLI (reconcile/cli/core.ts), one function expression
//   dist/borgops.core.js.v8cache  its compiled code: the launcher skips compiling 2.9 MB (~0.1 s)
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { resolve } from 'node:path';
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
};

// the CLI as one function expression: the launcher compiles it with vm.Script (the code cache
// is a vm.Script's) and hands it CommonJS's arguments plus the launcher's URL as import.meta.url
await build({
  ...common,
  entryPoints: ['reconcile/cli/core.ts'],
  outfile: 'dist/borgops.core.js',
  format: 'cjs',
  sourcemap: 'linked',
  define: { 'import.meta.url': '__borgopsModuleUrl' },
  banner: { js: '(function (exports, require, module, __filename, __dirname, __borgopsModuleUrl) {' },
  footer: { js: '\n})' },
});

// A module reached by import() is bundled too and initialised when first imported (a lazy
// `init_…` function), so a command does not run the top level of what it never uses. An import()
// esbuild left as is (a Node built-in, an external) cannot run: vm.Script, which the launcher
// compiles the bundle with, has no loader for it. Such a module is imported statically instead.
const unbundled = readFileSync('dist/borgops.core.js', 'utf8')
  .split('\n')
  .find((line) => /\bimport\(\s*["'`]/.test(line));
if (unbundled !== undefined)
  throw new Error(`an import() esbuild did not bundle is in the bundle: ${unbundled.trim().slice(0, 120)}`);

// esbuild escapes non-ASCII characters in code (charset ascii) but keeps comments as written: a
// few "—" and "→" in comments made V8 hold the whole 2.9 MB bundle as a two-byte string and
// decode it the slow way on every start (~6 ms). They become "?" in comments only.
const bundle = readFileSync('dist/borgops.core.js', 'utf8');
if (/[^\0-\x7f]/u.test(bundle)) {
  // a guard on that reading of esbuild: each such character follows a comment's start on its line
  // (or is on a line inside a block comment)
  const inComment = (line) => {
    const first = line.search(/[^\0-\x7f]/u);
    const opens = [line.indexOf('//'), line.indexOf('/*')].filter((at) => at !== -1);
    return /^\s*\*/.test(line) || opens.some((at) => at < first);
  };
  const code = bundle.split('\n').filter((line) => /[^\0-\x7f]/u.test(line) && !inComment(line));
  if (code.length > 0)
    throw new Error(`non-ASCII outside a comment in the bundle: ${code[0].trim().slice(0, 120)}`);
  writeFileSync('dist/borgops.core.js', bundle.replace(/[^\0-\x7f]/gu, '?'));
}

// the `borgops` bin, and the same launcher as an ES module for paths that already name it
// (CommonJS starts ~20 ms sooner: no ES module loader); both run from a checkout too (npm sets
// the mode only on install)
for (const [entry, outfile, format] of [
  ['reconcile/cli/bin.ts', 'dist/borgops.cjs', 'cjs'],
  ['reconcile/cli/main.ts', 'dist/borgops.mjs', 'esm'],
]) {
  await build({ ...common, entryPoints: [entry], outfile, format, banner: { js: '#!/usr/bin/env node' } });
  await chmod(outfile, 0o755);
}

// V8's code cache of the CLI: after its top level (every module's initialisation), the
// functions the common commands run, warmed on a throwaway copy of the example in a process of
// its own (reconcile/cli/warm-cache.ts; tsc built it first), written atomically. If warming
// fails, the cache of the top level alone, compiled exactly as the launcher compiles it.
const warm = spawnSync(process.execPath, ['dist/reconcile/cli/warm-cache.js', 'dist/borgops.cjs'], {
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'pipe'],
  env: Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('BORGOPS_'))),
  timeout: 120_000,
});
if (warm.status === 0) {
  process.stdout.write(`code cache warmed by: ${JSON.parse(warm.stdout).join(', ')}\n`);
} else {
  process.stderr.write(
    `code cache not warmed (${warm.error?.message ?? `exit ${warm.status}`}): ${warm.stderr.trim()}\n`,
  );
  const { writeCodeCache } = await import('./dist/reconcile/cli/warm-cache.js');
  writeCodeCache(resolve('dist/borgops.cjs'));
}
