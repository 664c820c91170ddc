// `preview` of 1000 machines × 3 destinations × 10 states (test/bench/preview.mjs does the work).
import { execa } from 'execa';

export const name = 'preview, 1000 machines × 3 destinations × 10 states';
export const target = '< 1 s, < 200 MB peak RSS';

export async function run({ runs }) {
  const script = new URL('../preview.mjs', import.meta.url).pathname;
  const { stdout } = await execa('node', [script, '--runs', String(runs), '--state-formats', 'yaml,json'], {
    stderr: 'inherit',
  });
  const result = JSON.parse(stdout);
  return {
    rows: result.scenarios.map((scenario) => ({
      case: `${scenario.stateFormat} state files, ${scenario.change === 'none' ? 'no change' : scenario.change === 'script' ? 'one script changed' : 'every machine changed'}`,
      ms: scenario.medianMs,
      rssMb: scenario.peakRssMb,
      note: `exit ${scenario.exitCode}, ${scenario.outputBytes} B of Markdown, CPU ${scenario.medianCpuMs} ms`,
      met: scenario.medianMs < 1000 && scenario.peakRssMb < 200,
    })),
  };
}
