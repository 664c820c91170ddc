import { mkdir, rename, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { borgops } from '../helpers/cli.js';
import { localConfig } from '../helpers/fleet.js';
import { gitRepo, type TestRepo } from '../helpers/git.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';
import { type Agent, startAgent } from '../helpers/watch-agent.js';

interface Condition {
  type: string;
  status: boolean;
  reason: string;
  message: string;
}
interface Status {
  appliedCommit?: string;
  failedCommit?: { commit: string; reason: string; message: string };
  conditions: Condition[];
}

async function status(agent: Agent): Promise<Status> {
  return (await (await fetch(`${agent.url}/status`)).json()) as Status;
}

function stalled(report: Status): Condition | undefined {
  return report.conditions.find((c) => c.type === 'Stalled' && c.status);
}

async function head(repo: TestRepo): Promise<string> {
  return (await repo.git.revparse(['HEAD'])).trim();
}

describe('borgops watch: a failure before apply is Stalled, naming the commit (built CLI, real git)', () => {
  it('a fetch that fails: Stalled in /status, /metrics and `borgops status`; Ready again once it works', async () => {
    const base = await tempDir('borgops-stalled-');
    await mkdir(join(base, 'repos'));
    const work = await gitRepo(localConfig({ local: join(base, 'repos', 'local') }));
    const bare = join(base, 'config.git');
    await execa('git', ['clone', '--quiet', '--bare', work.dir, bare]);
    const root = join(base, 'root');
    const args = ['--machine', 'jon', '--root', root];
    const agent = await startAgent([
      '--source',
      `file://${bare}`,
      '--ref',
      'main',
      ...args,
      '--scheduler',
      'embedded',
      '--interval',
      '1',
    ]);
    const first = await head(work);
    await waitFor('the first commit to apply', async () =>
      (await status(agent)).appliedCommit === first ? true : undefined,
    );

    await rename(bare, `${bare}.away`);
    const condition = await waitFor('the fetch failure to show', async () => stalled(await status(agent)));
    expect(condition.reason).toBe('FetchFailed');
    expect(condition.message).toMatch(new RegExp(`^commit ${first.slice(0, 12)}: cannot fetch file://`));
    const report = await status(agent);
    expect(report.conditions.find((c) => c.type === 'Ready')?.status).toBe(false);
    const metrics = await (await fetch(`${agent.url}/metrics`)).text();
    expect(metrics).toMatch(/^borgops_stalled\{machine="jon",reason="FetchFailed"\} 1$/m);
    expect(metrics).toMatch(/^borgops_ready\{machine="jon",reason="FetchFailed"\} 0$/m);
    const cli = await borgops(['status', ...args, '--json']);
    expect((JSON.parse(cli.stdout) as Status).conditions.find((c) => c.type === 'Stalled')?.message).toBe(
      condition.message,
    );

    await rename(`${bare}.away`, bare);
    await waitFor('Ready again once the fetch works', async () =>
      stalled(await status(agent)) === undefined ? true : undefined,
    );
    agent.process.kill('SIGTERM');
    expect((await agent.process).exitCode).toBe(0);
  });

  it('a commit borgops cannot read (a symlinked state file): Stalled naming that commit and the file', async () => {
    const base = await tempDir('borgops-stalled-');
    await mkdir(join(base, 'repos'));
    const repo = await gitRepo(localConfig({ local: join(base, 'repos', 'local') }));
    const root = join(base, 'root');
    const agent = await startAgent([
      '--source',
      repo.dir,
      '--machine',
      'jon',
      '--root',
      root,
      '--scheduler',
      'embedded',
      '--interval',
      '1',
    ]);
    const first = await head(repo);
    await waitFor('the first commit to apply', async () =>
      (await status(agent)).appliedCommit === first ? true : undefined,
    );
    await repo.git.rm(['--quiet', 'machines/jon/state.yaml']);
    await mkdir(join(repo.dir, 'machines/jon'), { recursive: true });
    await symlink('/etc/hostname', join(repo.dir, 'machines/jon/state.yaml'));
    await repo.git.add(['machines/jon/state.yaml']);
    await repo.git.commit('state file as a link', ['--no-gpg-sign']);
    const bad = await head(repo);
    const report = await waitFor('the unreadable commit to show', async () => {
      const current = await status(agent);
      return current.failedCommit?.commit === bad ? current : undefined;
    });
    expect(stalled(report)?.message).toMatch(
      new RegExp(`^commit ${bad.slice(0, 12)}: .*machines/jon/state\\.yaml: is a symbolic link`),
    );
    // the applied declarations stay in force
    expect(report.appliedCommit).toBe(first);
    agent.process.kill('SIGTERM');
    expect((await agent.process).exitCode).toBe(0);
  });
});
