import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hookContent } from '../../../src/desired/hooks.js';
import { writeHook } from '../../../src/host/hooks.js';
import { acquireLock, waitForLock } from '../../../src/host/lock.js';
import { hostPaths } from '../../../src/host/paths.js';
import { runHook } from '../../../src/host/run-hook.js';
import { silentLogger } from '../../../src/log.js';
import { exists } from '../../helpers/files.js';
import { tempDir } from '../../helpers/temp.js';
import { waitFor } from '../../helpers/wait.js';

async function installed(script: string) {
  const root = await tempDir();
  const paths = hostPaths(root);
  await writeHook(paths.hooksDir, 'pre-restore-app', hookContent('pre-restore', 'app', script, 'state.yaml'));
  return { paths, root, options: { paths, machine: 'jon', logger: silentLogger() } };
}

describe('runHook (installed scripts, real bash)', () => {
  it('runs the installed file in <root> with the borgops variables and clan restore variables', async () => {
    const { root, options } = await installed(
      'echo "$BORGOPS_ROOT|$BORGOPS_MACHINE|$BORGOPS_STATE|$NAME|$FOLDERS|$PWD"\n',
    );
    const run = await runHook(
      { name: 'pre-restore-app', state: 'app' },
      { ...options, env: { NAME: 'd::/r::jon-d-2026-01-01T01:00:00', FOLDERS: '/srv/a:/srv/b' } },
    );
    expect(run).toMatchObject({ name: 'pre-restore-app', state: 'app', ok: true, exitCode: 0 });
    expect(run.output).toBe(`${root}|jon|app|d::/r::jon-d-2026-01-01T01:00:00|/srv/a:/srv/b|${root}\n`);
  });

  it('reports a failure with its exit code and what it printed on both streams (set -eu -o pipefail)', async () => {
    const { options } = await installed('echo "stopping app"\nfalse | cat\necho "never printed"\n');
    const run = await runHook({ name: 'pre-restore-app', state: 'app' }, options);
    expect(run).toMatchObject({ ok: false, exitCode: 1, error: 'exit code 1', output: 'stopping app\n' });
    const unset = await installed('echo "$UNDEFINED_VARIABLE"\n');
    const failed = await runHook({ name: 'pre-restore-app', state: 'app' }, unset.options);
    expect(failed.ok).toBe(false);
    expect(failed.output).toContain('UNDEFINED_VARIABLE: unbound variable');
  });

  it('reports a hook that apply did not install instead of crashing', async () => {
    const { paths, options } = await installed('true\n');
    const run = await runHook({ name: 'post-restore-app', state: 'app' }, options);
    expect(run).toMatchObject({
      ok: false,
      error: `${join(paths.hooksDir, 'post-restore-app')} is not installed (or not executable); run \`borgops apply\``,
    });
  });

  it('does not wait for a daemon the script left running (its output is a file, not a pipe)', {
    timeout: 10_000,
  }, async () => {
    const { options, root } = await installed(
      'sleep 30 &\necho "$!" > "$BORGOPS_ROOT/daemon.pid"\necho started\n',
    );
    const run = await runHook({ name: 'pre-restore-app', state: 'app' }, options);
    process.kill(Number(await readFile(join(root, 'daemon.pid'), 'utf8')));
    expect(run).toMatchObject({ ok: true, output: 'started\n' });
  });

  it('stops a running script when the signal aborts', async () => {
    const { options, root } = await installed('touch "$BORGOPS_ROOT/started"\nsleep 30\n');
    const controller = new AbortController();
    const running = runHook(
      { name: 'pre-restore-app', state: 'app' },
      { ...options, signal: controller.signal },
    );
    await waitFor('the script to start', async () =>
      (await exists(join(root, 'started'))) ? true : undefined,
    );
    controller.abort();
    expect(await running).toMatchObject({ ok: false, error: 'interrupted' });
  });
});

describe('waitForLock', () => {
  it('waits while a live process holds the lock and takes it once released', async () => {
    const path = join(await tempDir(), 'backups.lock');
    const held = await acquireLock(path, 'backups create jon');
    const waits: string[] = [];
    const waiting = waitForLock(path, 'backups restore jon', { pollMs: 10, onWait: (m) => waits.push(m) });
    // release only once the waiter has seen the lock held (a fixed 50 ms raced a loaded machine)
    await waitFor('the waiter to see the lock held', () => (waits.length > 0 ? true : undefined));
    await held.release();
    const lock = await waiting;
    expect(lock.holder.command).toBe('backups restore jon');
    expect(waits).toEqual([expect.stringContaining('(backups create jon)')]);
    await lock.release();
  });

  it('gives up when the signal aborts', async () => {
    const path = join(await tempDir(), 'backups.lock');
    const held = await acquireLock(path, 'backups create jon');
    const controller = new AbortController();
    const waiting = waitForLock(path, 'other', { pollMs: 10, signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'E_LOCK' });
    await held.release();
  });
});
