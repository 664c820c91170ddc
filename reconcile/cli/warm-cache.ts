// Writes the launcher's V8 code cache (dist/borgops.core.js.v8cache) after running the commands
// people run most on a throwaway world: V8 then keeps the compiled functions those commands used,
// not only the modules' top level, and a command skips compiling them lazily (about 70 ms of a
// hooks-only apply on a small machine). Run by `npm run build` in its own process, so the cache
// is made with the flags a plain `node` runs the bin with:
//
//   node dist/reconcile/cli/warm-cache.js dist/borgops.cjs
//
// Best effort: a command that fails here (no borg on the build machine) warms what it reached;
// everything happens under a temporary directory, removed afterwards. What the commands print is
// dropped. The cache only changes how fast the CLI starts, never what it does (launch.test.ts).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { coreFiles, loadCore } from './launch.js';

/** The example the quick start runs (examples/clan-storagebox), with a local repository. */
function world(dir: string, example: string): { config: string; root: string } {
  const config = join(dir, 'config');
  const root = join(dir, 'root');
  cpSync(example, config, { recursive: true });
  const file = join(config, 'inventory.json');
  const inventory = readFileSync(file, 'utf8')
    .replace(/"repo": "[^"]*"/, `"repo": ${JSON.stringify(join(dir, 'repos', 'storagebox'))}`)
    .replace(/,\s*"rsh": "[^"]*"/, '');
  writeFileSync(file, inventory);
  for (const folder of ['var/backup/linkding', 'var/lib/zerotier-one']) {
    mkdirSync(join(root, folder), { recursive: true });
    writeFileSync(join(root, folder, 'data'), `${folder}\n`);
  }
  mkdirSync(join(dir, 'repos'));
  git(config, 'init', '-q', '--initial-branch=main');
  commitAll(config, 'example');
  return { config, root };
}

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', args, { cwd, stdio: 'ignore' });
}

function commitAll(config: string, message: string): void {
  git(config, 'add', '-A');
  git(
    config,
    '-c',
    'user.name=borgops build',
    '-c',
    'user.email=build@borgops.invalid',
    '-c',
    'commit.gpgsign=false',
    'commit',
    '-q',
    '-m',
    message,
  );
}

/**
 * Writes the launcher's code cache atomically (a half-written cache is never read): of `script`
 * as the commands left it, else of the top level alone, compiled as the launcher compiles it.
 */
export function writeCodeCache(
  launcher: string,
  script = loadCore(pathToFileURL(launcher).href).script,
): void {
  const { cache } = coreFiles(launcher);
  writeFileSync(`${cache}.tmp`, script.createCachedData());
  renameSync(`${cache}.tmp`, cache);
}

/** Runs the commands, then writes the cache; returns each command with its exit code. */
export async function writeWarmCache(launcher: string, example: string): Promise<string[]> {
  const { core, script } = loadCore(pathToFileURL(launcher).href);
  const dir = mkdtempSync(join(tmpdir(), 'borgops-warm-'));
  const ran: string[] = [];
  try {
    const { config, root } = world(dir, example);
    const io = { out() {}, err() {}, interactive: false };
    const on = ['--source', config, '--machine', 'jon', '--root', root, '--scheduler', 'embedded'];
    const run = async (...argv: string[]) => {
      const name = argv.filter((word, index) => index < 2 && !word.startsWith('-')).join(' ');
      try {
        ran.push(`${name}: exit ${await core.run(argv, io)}`);
      } catch {
        // warmed as far as it got
        ran.push(`${name}: failed`);
      }
    };
    await run('validate', ...on.slice(0, -2));
    await run('plan', ...on, '--json');
    await run('apply', ...on, '--json');
    // a hooks-only change, as a push that edits a script is applied
    const state = join(config, 'machines', 'jon', 'state.yaml');
    writeFileSync(state, readFileSync(state, 'utf8').replace('rsync -avH', 'rsync -aH'));
    commitAll(config, 'edit a hook');
    await run('preview', '--source', config, '--base', 'HEAD~1', '--head', 'HEAD');
    await run('apply', ...on, '--json');
    await run('backups', 'create', 'jon', '--root', root, '--json');
    await run('backups', 'list', 'jon', '--root', root);
    await run('status', '--root', root, '--json');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  writeCodeCache(launcher, script);
  return ran;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const launcher = resolve(process.argv[2] ?? 'dist/borgops.cjs');
  const example = resolve(process.argv[3] ?? 'examples/clan-storagebox');
  process.stdout.write(`${JSON.stringify(await writeWarmCache(launcher, example))}\n`);
  // a command may leave a timer or a handle behind; the cache is written
  process.exit(0);
}
