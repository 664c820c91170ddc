import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cliPath } from '../helpers/cli.js';
import { localConfig } from '../helpers/fleet.js';
import { gitRepo } from '../helpers/git.js';
import { type Received, signatureValid, startReceivers } from '../helpers/receivers.js';
import { tempDir } from '../helpers/temp.js';

async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const SECRET = 'agent-hook-secret-9f1e';

describe('the agent notifies (built CLI watch, real git, real HTTP receivers)', () => {
  it('sends `stalled` for an invalid commit, once, and the return to Ready after the fix', async () => {
    const receivers = await startReceivers();
    onTestFinished(() => receivers.close());
    const base = await tempDir('borgops-notify-agent-');
    await mkdir(join(base, 'repos'));
    const secretFile = join(base, 'hook.secret');
    await execa('sh', ['-c', `printf '%s\\n' "${SECRET}" > "${secretFile}"`]);
    const notify = {
      ops: {
        webhook: { url: `${receivers.base}/hook/agent`, secretCommand: `cat ${secretFile}` },
        on: ['stalled'],
      },
      phone: { ntfy: { url: `${receivers.base}/ntfy/agent` }, on: ['fail', 'stalled'] },
    };
    const config = localConfig({ local: join(base, 'repos', 'local') }, { notify });
    const repo = await gitRepo(config);
    const child = execa(
      'node',
      [
        cliPath,
        'watch',
        '--source',
        repo.dir,
        '--machine',
        'jon',
        '--root',
        join(base, 'root'),
        '--scheduler',
        'embedded',
        '--interval',
        '1',
        '--drift-interval',
        '1',
      ],
      { reject: false, env: { BORGOPS_LOG_LEVEL: 'warn' } },
    );
    onTestFinished(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await child;
    });
    const hook = () => receivers.at('/hook/agent');
    const ntfy = () => receivers.at('/ntfy/agent');
    const events = (list: Received[]) => list.map((r) => (JSON.parse(r.body) as { event: string }).event);

    // the first apply is no return to Ready: nothing was stalled
    const statePath = join(base, 'root/var/lib/borgops/status.json');
    const first = await repo.git.revparse(['HEAD']);
    await waitFor('the first apply', async () => {
      const text = await readFile(statePath, 'utf8').catch(() => '');
      return text.includes(first.trim()) ? true : undefined;
    });
    expect(hook()).toEqual([]);

    const bad = await repo.commit({
      'machines/jon/state.yaml': 'state:\n  linkding:\n    folder: [/var/backup/linkding]\n',
    });
    await waitFor('stalled', () => (hook().length > 0 && ntfy().length > 0 ? true : undefined));
    const stalled = JSON.parse(hook()[0]!.body) as Record<string, unknown>;
    expect(signatureValid(SECRET, hook()[0]!)).toBe(true);
    expect(stalled).toMatchObject({
      event: 'stalled',
      result: 'stalled',
      machine: 'jon',
      commit: bad,
      failure: 'invalid',
    });
    expect(String(stalled.log)).toContain('machines/jon/state.yaml');
    expect(String(stalled.log)).toContain('unknown key "folder"');
    expect(ntfy()[0]?.headers.title).toBe('borgops jon: commit not applied');

    const fixed = await repo.commit({ 'machines/jon/state.yaml': config['machines/jon/state.yaml']! });
    await waitFor('Ready again', () => (events(hook()).includes('ready') ? true : undefined));
    // drift passes over the bad commit in between were not sent again
    expect(events(hook())).toEqual(['stalled', 'ready']);
    expect(JSON.parse(hook()[1]!.body)).toMatchObject({ event: 'ready', result: 'ready', commit: fixed });
    await waitFor('ntfy Ready', () => (ntfy().length === 2 ? true : undefined));
    expect(ntfy().map((r) => r.headers.title)).toEqual([
      'borgops jon: commit not applied',
      'borgops jon: Ready again',
    ]);
    child.kill('SIGTERM');
    expect((await child).exitCode).toBe(0);
  }, 90_000);
});
