import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { borgops, expectOk } from '../helpers/cli.js';
import { localConfig } from '../helpers/fleet.js';
import { gitRepo } from '../helpers/git.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';
import { startAgent } from '../helpers/watch-agent.js';

async function world() {
  const base = await tempDir('borgops-status-');
  await mkdir(join(base, 'repos'));
  const repo = await gitRepo(localConfig({ local: join(base, 'repos', 'local') }));
  const root = join(base, 'root');
  const args = ['--source', repo.dir, '--machine', 'jon', '--root', root, '--scheduler', 'embedded'];
  const status = join(root, 'var/lib/borgops/status.json');
  const commit = (await repo.git.revparse(['HEAD'])).trim();
  return { args, root, status, commit };
}

describe('a corrupt status.json is rewritten, not a failure for good (built CLI, real borg)', () => {
  it('apply rewrites it and `borgops status` reads it again', async () => {
    const w = await world();
    expectOk(await borgops(['apply', ...w.args]), 'first apply');
    await writeFile(w.status, '{"version": 1, "appliedCommit": "ab');
    expectOk(await borgops(['apply', ...w.args]), 'apply over a corrupt status.json');
    const written = JSON.parse(await readFile(w.status, 'utf8')) as { appliedCommit?: string };
    expect(written.appliedCommit).toBe(w.commit);
    const status = await borgops(['status', '--machine', 'jon', '--root', w.root, '--json']);
    expect((JSON.parse(status.stdout) as { appliedCommit?: string }).appliedCommit).toBe(w.commit);
  });

  it('watch rewrites it: /status and /metrics answer again', async () => {
    const w = await world();
    await mkdir(join(w.root, 'var/lib/borgops'), { recursive: true });
    await writeFile(w.status, 'not json at all');
    const agent = await startAgent([...w.args, '--interval', '1']);
    await waitFor('/status to answer with the applied commit', async () => {
      const response = await fetch(`${agent.url}/status`);
      if (response.status !== 200) return undefined;
      return ((await response.json()) as { appliedCommit?: string }).appliedCommit === w.commit
        ? true
        : undefined;
    });
    expect((await fetch(`${agent.url}/metrics`)).status).toBe(200);
    agent.process.kill('SIGTERM');
    expect((await agent.process).exitCode).toBe(0);
  });
});
