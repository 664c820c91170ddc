// `preview` of 1000 machines × 3 destinations × 10 states, and of 10,000 machines with one
// change (test/bench/preview.mjs does the work).
import { execa } from 'execa';

export const name = 'preview, 1000 (and 10,000) machines × 3 destinations × 10 states';
export const target = '1000: < 1 s, < 200 MB; 10,000 one change: < 3 s, < 1 GB (peak RSS)';

const label = { none: 'no change', script: 'one script changed', fleet: 'every machine changed' };

async function preview(args) {
  const script = new URL('../preview.mjs', import.meta.url).pathname;
  const { stdout } = await execa('node', [script, ...args], { stderr: 'inherit' });
  return JSON.parse(stdout);
}

export async function run({ runs }) {
  const rows = [];
  const fleet = await preview(['--runs', String(runs), '--state-formats', 'yaml,json']);
  for (const scenario of fleet.scenarios) {
    rows.push({
      case: `1000 machines, ${scenario.stateFormat} state files, ${label[scenario.change]}`,
      ms: scenario.medianMs,
      rssMb: scenario.peakRssMb,
      note: `exit ${scenario.exitCode}, ${scenario.outputBytes} B of Markdown, CPU ${scenario.medianCpuMs} ms`,
      met: scenario.medianMs < 1000 && scenario.peakRssMb < 200,
    });
  }
  const large = await preview([
    '--machines',
    '10000',
    '--runs',
    String(runs),
    '--state-formats',
    'yaml',
    '--heads',
    'script',
  ]);
  for (const scenario of large.scenarios) {
    rows.push({
      case: `10,000 machines, ${scenario.stateFormat} state files, ${label[scenario.change]}`,
      ms: scenario.medianMs,
      rssMb: scenario.peakRssMb,
      note: `exit ${scenario.exitCode}, ${scenario.outputBytes} B of Markdown, CPU ${scenario.medianCpuMs} ms`,
      met: scenario.medianMs < 3000 && scenario.peakRssMb < 1024,
    });
  }
  return { rows };
}
