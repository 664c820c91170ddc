// `npm run bench`: every case side by side with its baseline on this machine; prints a table of
// medians and ratios and writes test/bench/results.json. Pass case names to run only some.
import { writeFile } from 'node:fs/promises';
import { execa } from 'execa';
import { machineInfo, speedProbe } from './lib.mjs';

const all = [
  'plan-noop',
  'hooks-apply',
  'backups-create',
  'borgmatic',
  'preview',
  'retention',
  'watch-latency',
  'served-watch',
];
const only = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
const runs = Number(process.env.BENCH_RUNS ?? 5);

async function version(command, args) {
  try {
    return (await execa(command, args)).stdout.trim().split('\n')[0];
  } catch {
    return 'not installed';
  }
}

function format(value, digits = 0) {
  return value === undefined ? '' : typeof value === 'number' ? value.toFixed(digits) : String(value);
}

const results = [];
const started = Date.now();
for (const id of all) {
  if (only.length > 0 && !only.includes(id)) continue;
  let module;
  try {
    module = await import(`./cases/${id}.mjs`);
  } catch (error) {
    if (error?.code === 'ERR_MODULE_NOT_FOUND') continue;
    throw error;
  }
  const probe = await speedProbe();
  process.stderr.write(`bench: ${module.name} … (node -e 0: ${probe.nodeStartMs} ms)\n`);
  const caseStarted = Date.now();
  try {
    const { rows } = await module.run({ runs });
    for (const row of rows) results.push({ id, name: module.name, target: module.target, probe, ...row });
  } catch (error) {
    results.push({
      id,
      name: module.name,
      target: module.target,
      probe,
      case: 'failed',
      error: String(error?.stack ?? error),
      met: false,
    });
  }
  process.stderr.write(`bench: ${id} took ${((Date.now() - caseStarted) / 1000).toFixed(1)} s\n`);
}

// `node -e 0`: the speed probe taken before the case (read absolute milliseconds next to it)
const header = ['case', 'measured', 'ms', 'baseline ms', 'ratio', 'node -e 0', 'extra', 'target', 'met'];
const lines = results.map((r) => [
  r.name,
  r.case,
  format(r.ms),
  format(r.baselineMs),
  format(r.ratio, 2),
  format(r.probe?.nodeStartMs),
  [
    r.borgProcesses === undefined ? '' : `${r.borgProcesses} borg proc`,
    r.rssMb === undefined ? '' : `${format(r.rssMb)} MB RSS`,
    r.note ?? '',
    r.error ? r.error.split('\n')[0] : '',
  ]
    .filter(Boolean)
    .join(', '),
  r.target,
  r.met ? 'yes' : 'NO',
]);
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
const row = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
process.stdout.write(
  `${[row(header), row(widths.map((w) => '-'.repeat(w))), ...lines.map(row)].join('\n')}\n`,
);

const report = {
  date: new Date().toISOString(),
  machine: {
    ...machineInfo(),
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    node: process.version,
    borg: await version('borg', ['--version']),
    borgmatic: await version('borgmatic', ['--version']),
  },
  runs,
  durationSeconds: Math.round((Date.now() - started) / 1000),
  results,
};
// a run of some cases never replaces the numbers of the last full run (RESULTS.md quotes those)
const out = only.length === 0 ? 'results.json' : 'results.partial.json';
await writeFile(new URL(`./${out}`, import.meta.url), `${JSON.stringify(report, null, 2)}\n`);
process.stderr.write(`bench: wrote test/bench/${out} (${report.durationSeconds} s)\n`);
