#!/usr/bin/env node
// Benchmark of `borgops preview` on a generated fleet (issue 7, issue 9's table):
// 1000 machines × 3 destinations × 10 states in a real git repository, timed end to end as a
// CI job runs it (node start-up included), with the peak RSS of the preview process.
//
//   npm run build && node test/bench/preview.mjs [--machines N] [--destinations N] [--states N] [--runs N]
//     [--state-formats yaml,json] [--heads base,script,fleet]
//
// Three heads against one base: no change, one script of one machine, and a fleet-wide change
// (retention and start time of every machine). State files are YAML (as the guide writes them)
// and, for comparison, JSON. The repository is packed, as a CI clone is. Prints one JSON object
// on stdout, with the load average: the machine is shared. Not a test: nothing asserts a time.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fleetFiles, writeFleet } from './preview-fleet.mjs';

const cli = new URL('../../dist/borgops.cjs', import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    machines: { type: 'string', default: '1000' },
    destinations: { type: 'string', default: '3' },
    states: { type: 'string', default: '10' },
    runs: { type: 'string', default: '5' },
    'state-formats': { type: 'string', default: 'yaml,json' },
    heads: { type: 'string', default: 'base,script,fleet' },
    format: { type: 'string', default: 'markdown' },
    keep: { type: 'boolean', default: false },
  },
});
const fleet = {
  machines: Number(values.machines),
  destinations: Number(values.destinations),
  states: Number(values.states),
};
const runs = Number(values.runs);

const git = (dir, ...args) =>
  execFileSync('git', args, { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' }).trim();

async function repository(dir, stateFormat) {
  const size = { ...fleet, stateFormat };
  git(dir, 'init', '-q', '--initial-branch=main');
  for (const [key, value] of [
    ['gc.auto', '0'],
    ['user.email', 'bench@borgops.invalid'],
    ['user.name', 'borgops bench'],
    ['commit.gpgsign', 'false'],
  ])
    git(dir, 'config', key, value);
  await writeFleet(dir, fleetFiles(size, 'none'));
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'base');
  git(dir, 'tag', 'base');
  for (const change of values.heads.split(',').filter((head) => head !== 'base')) {
    git(dir, 'checkout', '-q', '-b', change, 'base');
    await writeFleet(dir, fleetFiles(size, change));
    git(dir, 'commit', '-q', '-a', '-m', change);
  }
  git(dir, 'checkout', '-q', 'main');
  git(dir, 'repack', '-adq');
}

/** Runs the built CLI once; a preload reports the process's peak RSS when it exits. */
function runOnce(preload, args) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--require', preload, cli, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = 0;
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk.length;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (exitCode) => {
      const ms = performance.now() - started;
      const match = /@@bench (\{.*\})/.exec(stderr);
      if (!match) return reject(new Error(`no measurement (exit ${exitCode}): ${stderr}`));
      resolve({ ms, exitCode, outputBytes: stdout, ...JSON.parse(match[1]) });
    });
  });
}

const median = (numbers) => {
  const sorted = [...numbers].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

const dir = await mkdtemp(join(tmpdir(), 'borgops-bench-preview-'));
try {
  const preload = join(dir, 'measure.cjs');
  await writeFile(
    preload,
    "process.on('exit', () => { const u = process.resourceUsage(); require('node:fs').writeSync(2, '\\n@@bench ' + JSON.stringify({ maxRssKb: u.maxRSS, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000 }) + '\\n'); });\n",
  );
  // node start-up and module loading alone, the floor of any command
  const version = [];
  for (let i = 0; i < runs; i += 1) version.push(await runOnce(preload, ['--version']));
  const startup = {
    medianMs: Math.round(median(version.map((s) => s.ms))),
    medianCpuMs: Math.round(median(version.map((s) => s.cpuMs))),
    peakRssMb: Math.round(Math.max(...version.map((s) => s.maxRssKb)) / 1024),
  };

  const scenarios = [];
  let setupMs = 0;
  for (const stateFormat of values['state-formats'].split(',')) {
    const repo = join(dir, `config-${stateFormat}`);
    execFileSync('mkdir', ['-p', repo]);
    const generated = performance.now();
    await repository(repo, stateFormat);
    setupMs += performance.now() - generated;
    for (const head of values.heads.split(',')) {
      const args = ['preview', '--source', repo, '--base', 'base', '--head', head, '--format', values.format];
      await runOnce(preload, args); // warm the page cache
      const samples = [];
      for (let i = 0; i < runs; i += 1) samples.push(await runOnce(preload, args));
      scenarios.push({
        stateFormat,
        change: head === 'base' ? 'none' : head,
        exitCode: samples[0].exitCode,
        outputBytes: samples[0].outputBytes,
        medianMs: Math.round(median(samples.map((s) => s.ms))),
        minMs: Math.round(Math.min(...samples.map((s) => s.ms))),
        // user + system CPU of the process: less sensitive than wall time to other load on the machine
        medianCpuMs: Math.round(median(samples.map((s) => s.cpuMs))),
        peakRssMb: Math.round(Math.max(...samples.map((s) => s.maxRssKb)) / 1024),
      });
    }
  }
  const result = {
    benchmark: 'preview',
    fleet,
    runs,
    format: values.format,
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    loadAverage: loadavg().map((n) => Math.round(n * 100) / 100),
    setupMs: Math.round(setupMs),
    targets: { ms: 1000, peakRssMb: 200 },
    startup,
    scenarios,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  if (values.keep) process.stderr.write(`kept ${dir}\n`);
  else await rm(dir, { recursive: true, force: true });
}
