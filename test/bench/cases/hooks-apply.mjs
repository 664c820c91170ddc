// A hooks-only change converged by `apply`: no borg process, and fast.

import { benchWorld, borgops, cleanup, commit, median, tempDir } from '../lib.mjs';

export const name = 'hooks-only change converged by apply';
export const target = '0 borg processes, < 300 ms';

export async function run({ runs }) {
  const dir = await tempDir('hooks');
  try {
    const { config, files, common: base } = await benchWorld(dir, { destinations: ['local'], states: 5 });
    const common = [...base, '--json'];
    if ((await borgops(['apply', ...common])).exitCode !== 0) throw new Error('first apply failed');
    const samples = [];
    let processes = 0;
    for (let round = 0; round < runs + 1; round++) {
      const state = files['machines/jon/state.yaml'].replace('echo pre 0', `echo pre 0 round ${round}`);
      await commit(config, { 'machines/jon/state.yaml': state });
      const result = await borgops(['apply', ...common]);
      if (result.exitCode !== 0) throw new Error(`apply failed: ${result.stderr}`);
      const report = JSON.parse(result.stdout);
      if (report.applied.length !== 1)
        throw new Error(`expected one hook change, got ${report.applied.join(', ')}`);
      processes = Math.max(processes, report.borgProcesses + report.plan.borgProcesses);
      if (round > 0) samples.push(result.ms);
    }
    const ms = median(samples);
    return {
      rows: [
        {
          case: 'apply of one edited hook (CLI, whole process)',
          ms,
          borgProcesses: processes,
          met: processes === 0 && ms < 300,
        },
      ],
    };
  } finally {
    await cleanup(dir);
  }
}
