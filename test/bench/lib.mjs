// Shared helpers of the benchmarks: real processes, real git, real borg; medians of repeated runs.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const projectDir = fileURLToPath(new URL('../..', import.meta.url));
// BORGOPS_BENCH_CLI: another build's launcher, to compare two builds case by case
export const cli = process.env.BORGOPS_BENCH_CLI ?? join(projectDir, 'dist/borgops.cjs');

export async function tempDir(prefix) {
  return mkdtemp(join(tmpdir(), `borgops-bench-${prefix}-`));
}

export async function cleanup(dir) {
  await rm(dir, { recursive: true, force: true });
}

export async function writeFiles(dir, files) {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

export async function git(dir, args) {
  return execa('git', args, {
    cwd: dir,
    env: {
      GIT_AUTHOR_NAME: 'bench',
      GIT_AUTHOR_EMAIL: 'bench@borgops.invalid',
      GIT_COMMITTER_NAME: 'bench',
      GIT_COMMITTER_EMAIL: 'bench@borgops.invalid',
    },
  });
}

/** A config repository with these files committed. */
export async function configRepo(dir, files) {
  await mkdir(dir, { recursive: true });
  await git(dir, ['init', '-q', '--initial-branch=main']);
  await git(dir, ['config', 'gc.auto', '0']);
  await commit(dir, files, 'initial');
}

export async function commit(dir, files, message = 'change') {
  await writeFiles(dir, files);
  await git(dir, ['add', '-A']);
  await git(dir, ['commit', '-q', '--no-gpg-sign', '-m', message]);
  return (await git(dir, ['rev-parse', 'HEAD'])).stdout.trim();
}

/** The CLI as a user runs it; returns wall time in ms and the parsed result. */
export async function borgops(args, options = {}) {
  const started = performance.now();
  const result = await execa('node', [cli, ...args], {
    reject: false,
    env: { BORGOPS_LOG_LEVEL: 'warn', ...options.env },
    ...options,
  });
  return {
    ms: performance.now() - started,
    exitCode: result.exitCode,
    stdout: String(result.stdout),
    stderr: String(result.stderr),
  };
}

export async function timed(fn) {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Runs `ours` and `baseline` alternately (same load for both), after `warmup` rounds, and
 * returns the samples in ms.
 */
export async function sideBySide({ ours, baseline, runs = 5, warmup = 1, before }) {
  const samples = { ours: [], baseline: [] };
  for (let round = 0; round < warmup + runs; round++) {
    if (before) await before(round);
    const a = await ours(round);
    const b = baseline ? await baseline(round) : undefined;
    if (round >= warmup) {
      samples.ours.push(a);
      if (b !== undefined) samples.baseline.push(b);
    }
  }
  return samples;
}

/** Local config: `machine` backs up `states` states to local repositories named `destinations`. */
export function localFleetConfig({ machine = 'jon', reposDir, destinations, states = 2, extra = {} }) {
  const dests = Object.fromEntries(destinations.map((d) => [d, { repo: join(reposDir, d) }]));
  const inventory = {
    instances: {
      borgbackup: {
        module: { name: 'borgbackup' },
        roles: { client: { machines: { [machine]: { settings: { destinations: dests, ...extra } } } } },
      },
    },
  };
  const stateLines = ['state:'];
  for (let i = 0; i < states; i++) {
    stateLines.push(
      `  s${i}:`,
      `    folders: [/srv/s${i}]`,
      `    preBackupScript: echo pre ${i}`,
      `    postBackupScript: echo post ${i}`,
    );
  }
  return {
    'inventory.json': `${JSON.stringify(inventory, null, 2)}\n`,
    [`machines/${machine}/state.yaml`]: `${stateLines.join('\n')}\n`,
  };
}

export function machineInfo() {
  return { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown' };
}

/**
 * How fast the machine is right now: the median wall time of `node -e 0` (7 runs). This VM's
 * speed moves by up to 1.6× within an hour, so a case's absolute milliseconds are read next to
 * the probe taken just before it (ratios measured side by side need none).
 */
export async function speedProbe(samples = 7) {
  const times = [];
  for (let i = 0; i < samples; i++) times.push((await timed(() => execa(process.execPath, ['-e', '0']))).ms);
  return { nodeStartMs: Math.round(median(times)) };
}

/** A tree of `megabytes` MB: 60% incompressible, 40% text-like, in files of 1 MB under `dir`. */
export async function dataTree(dir, megabytes) {
  const { randomBytes } = await import('node:crypto');
  await mkdir(dir, { recursive: true });
  const line = 'borgops benchmark line of fairly compressible text, repeated with a counter: ';
  for (let i = 0; i < megabytes; i++) {
    const sub = join(dir, `d${Math.floor(i / 20)}`);
    await mkdir(sub, { recursive: true });
    let content;
    if (i % 5 < 3) content = randomBytes(1024 * 1024);
    else {
      const parts = [];
      let size = 0;
      for (let n = 0; size < 1024 * 1024; n++) {
        const text = `${line}${i}-${n}\n`;
        parts.push(text);
        size += text.length;
      }
      content = parts.join('').slice(0, 1024 * 1024);
    }
    await writeFile(join(sub, `f${i}.bin`), content);
  }
}

/** Raw borg for baselines (same environment rules as borgops: no prompts). */
export async function borg(args, env = {}, cwd = undefined) {
  const started = performance.now();
  await execa('borg', args, {
    env: { BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes', ...env },
    stdin: 'ignore',
    ...(cwd ? { cwd } : {}),
  });
  return performance.now() - started;
}

/**
 * A config repository for machine jon in `dir/config`, local repositories in `dir/repos` (made),
 * a root in `dir/root`, and the options every borgops call of a case passes.
 */
export async function benchWorld(dir, { destinations, states = 2, extra = {}, stateYaml } = {}) {
  const config = join(dir, 'config');
  const repos = join(dir, 'repos');
  const root = join(dir, 'root');
  await mkdir(repos, { recursive: true });
  const files = localFleetConfig({ reposDir: repos, destinations, states, extra });
  if (stateYaml !== undefined) files['machines/jon/state.yaml'] = stateYaml;
  await configRepo(config, files);
  return {
    config,
    repos,
    root,
    files,
    common: ['--source', config, '--machine', 'jon', '--root', root, '--scheduler', 'embedded'],
  };
}
