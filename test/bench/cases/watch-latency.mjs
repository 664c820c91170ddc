// Commit → converged in `watch` with a local source.
import { execa } from 'execa';
import { benchWorld, cleanup, cli, commit, median, tempDir } from '../lib.mjs';

export const name = 'commit → converged in watch, local source';
export const target = 'median < 500 ms';

async function waitFor(probe, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export async function run({ runs }) {
  const dir = await tempDir('watch');
  const { config, files, common } = await benchWorld(dir, { destinations: ['local'], states: 3 });
  const agent = execa(
    'node',
    [cli, 'watch', ...common, '--listen', '127.0.0.1:0', '--drift-interval', '0', '--interval', '3600'],
    { reject: false },
  );
  let stderr = '';
  agent.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  try {
    const url = await waitFor(async () => /listening on (http:\/\/[\d.]+:\d+)/.exec(stderr)?.[1]);
    const applied = async () => (await (await fetch(`${url}/status`)).json()).appliedCommit;
    await waitFor(async () => (await applied()) !== undefined);
    const samples = [];
    for (let round = 0; round < runs + 1; round++) {
      const state = files['machines/jon/state.yaml'].replace('echo pre 1', `echo pre 1 round ${round}`);
      const head = await commit(config, { 'machines/jon/state.yaml': state });
      const committed = performance.now();
      await waitFor(async () => (await applied()) === head);
      // the time from the commit landing in git to the machine being converged
      if (round > 0) samples.push(performance.now() - committed);
    }
    const ms = median(samples);
    return { rows: [{ case: 'git commit → hook rewritten and status applied', ms, met: ms < 500 }] };
  } finally {
    agent.kill('SIGTERM');
    await agent;
    await cleanup(dir);
  }
}
