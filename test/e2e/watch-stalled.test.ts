import { mkdir, rename, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { borgops } from '../helpers/cli.js';
import { headOf } from '../helpers/git.js';
import { jonAt, localWorld } from '../helpers/local-world.js';
import { waitFor } from '../helpers/wait.js';
import {
  type AgentCondition,
  type AgentStatus,
  agentStatus,
  startAgent,
  waitForApplied,
} from '../helpers/watch-agent.js';

function stalled(report: AgentStatus): AgentCondition | undefined {
  return report.conditions.find((c) => c.type === 'Stalled' && c.status);
}

describe('borgops watch: a failure before apply is Stalled, naming the commit (built CLI, real git)', () => {
  it('a fetch that fails: Stalled in /status, /metrics and `borgops status`; Ready again once it works', async () => {
    const { base, repo: work, root } = await localWorld('borgops-stalled-');
    const bare = join(base, 'config.git');
    await execa('git', ['clone', '--quiet', '--bare', work.dir, bare]);
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
    const first = await headOf(work);
    await waitForApplied(agent, first, 'the first commit to apply');

    await rename(bare, `${bare}.away`);
    const condition = await waitFor('the fetch failure to show', async () =>
      stalled(await agentStatus(agent)),
    );
    expect(condition.reason).toBe('FetchFailed');
    expect(condition.message).toMatch(new RegExp(`^commit ${first.slice(0, 12)}: cannot fetch file://`));
    const report = await agentStatus(agent);
    expect(report.conditions.find((c) => c.type === 'Ready')?.status).toBe(false);
    const metrics = await (await fetch(`${agent.url}/metrics`)).text();
    expect(metrics).toMatch(/^borgops_stalled\{machine="jon",reason="FetchFailed"\} 1$/m);
    expect(metrics).toMatch(/^borgops_ready\{machine="jon",reason="FetchFailed"\} 0$/m);
    const cli = await borgops(['status', ...args, '--json']);
    expect(
      (JSON.parse(cli.stdout) as AgentStatus).conditions.find((c) => c.type === 'Stalled')?.message,
    ).toBe(condition.message);

    await rename(`${bare}.away`, bare);
    await waitFor('Ready again once the fetch works', async () =>
      stalled(await agentStatus(agent)) === undefined ? true : undefined,
    );
    agent.process.kill('SIGTERM');
    expect((await agent.process).exitCode).toBe(0);
  });

  it('a commit borgops cannot read (a symlinked state file): Stalled naming that commit and the file', async () => {
    const { repo, root } = await localWorld('borgops-stalled-');
    const agent = await startAgent([...jonAt(repo.dir, root), '--interval', '1']);
    const first = await headOf(repo);
    await waitForApplied(agent, first, 'the first commit to apply');
    await repo.git.rm(['--quiet', 'machines/jon/state.yaml']);
    await mkdir(join(repo.dir, 'machines/jon'), { recursive: true });
    await symlink('/etc/hostname', join(repo.dir, 'machines/jon/state.yaml'));
    await repo.git.add(['machines/jon/state.yaml']);
    await repo.git.commit('state file as a link', ['--no-gpg-sign']);
    const bad = await headOf(repo);
    const report = await waitFor('the unreadable commit to show', async () => {
      const current = await agentStatus(agent);
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
