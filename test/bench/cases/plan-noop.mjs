// No-op plan on 20 converged local repositories vs 20 sequential `borg list --json`.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { benchWorld, borgops, cleanup, median, sideBySide, tempDir } from '../lib.mjs';

export const name = 'no-op plan, 20 converged local repositories';
export const target = 'ratio ≤ 0.6 vs 20 sequential borg list --json';

export async function run({ runs }) {
  const dir = await tempDir('plan');
  try {
    const destinations = Array.from({ length: 20 }, (_, i) => `d${String(i).padStart(2, '0')}`);
    const { common } = await benchWorld(dir, { destinations });
    const applied = await borgops(['apply', ...common]);
    if (applied.exitCode !== 0) throw new Error(`apply failed: ${applied.stderr}`);
    const secrets = join(dir, 'root/var/lib/borgops/secrets');
    const env = {
      BORG_BASE_DIR: join(dir, 'root/var/lib/borgops/borg'),
      BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes',
    };
    const passphrases = Object.fromEntries(
      await Promise.all(
        destinations.map(async (d) => [d, (await readFile(join(secrets, `${d}.passphrase`), 'utf8')).trim()]),
      ),
    );
    const baseline = async () => {
      const started = performance.now();
      for (const d of destinations) {
        await execa('borg', ['list', '--json', join(dir, 'repos', d)], {
          env: { ...env, BORG_PASSPHRASE: passphrases[d] },
        });
      }
      return performance.now() - started;
    };
    const borgProcesses = { plan: -1, refresh: -1 };
    const planOnce = async (refresh) => {
      const result = await borgops(['plan', ...common, '--json', ...(refresh ? ['--refresh'] : [])]);
      if (result.exitCode !== 0)
        throw new Error(`plan exit ${result.exitCode}: ${result.stderr}${result.stdout.slice(0, 500)}`);
      borgProcesses[refresh ? 'refresh' : 'plan'] = JSON.parse(result.stdout).borgProcesses;
      return result.ms;
    };
    const plain = await sideBySide({ ours: () => planOnce(false), baseline, runs });
    const refreshed = await sideBySide({ ours: () => planOnce(true), runs });
    const base = median(plain.baseline);
    return {
      rows: [
        {
          case: 'plan (ledger: nothing changed)',
          ms: median(plain.ours),
          baselineMs: base,
          ratio: median(plain.ours) / base,
          met: median(plain.ours) / base <= 0.6,
          borgProcesses: borgProcesses.plan,
        },
        {
          case: 'plan --refresh (asks borg about all 20)',
          ms: median(refreshed.ours),
          baselineMs: base,
          ratio: median(refreshed.ours) / base,
          met: median(refreshed.ours) / base <= 0.6,
          borgProcesses: borgProcesses.refresh,
        },
      ],
    };
  } finally {
    await cleanup(dir);
  }
}
