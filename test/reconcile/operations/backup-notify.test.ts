import { describe, expect, it, onTestFinished } from 'vitest';
import { countingNotifier } from '../../../reconcile/operations/backup-notify.js';
import { notifyVerification } from '../../../reconcile/operations/notify-verification.js';
import type { ResolvedReceiver } from '../../../src/config/notify.js';
import { readNotifyFailures } from '../../../src/host/notify-failures.js';
import { hostPaths } from '../../../src/host/paths.js';
import { silentLogger } from '../../../src/log.js';
import { closedPort, startReceivers } from '../../helpers/receivers.js';
import { tempDir } from '../../helpers/temp.js';

describe('the failure counter of a run', () => {
  it('counts every failure when several receivers fail at once (no lost update)', async () => {
    const paths = hostPaths(await tempDir(), undefined);
    const port = await closedPort();
    const receivers: ResolvedReceiver[] = ['a', 'b', 'c', 'd'].map((name) => ({
      name,
      kind: 'webhook',
      url: `http://127.0.0.1:${port}/${name}`,
      failOnWarning: false,
      on: ['start', 'fail'],
      timeoutSeconds: 2,
    }));
    const notifier = countingNotifier(paths, receivers, silentLogger(), []);
    const message = {
      result: 'failure' as const,
      machine: 'jon',
      destination: 'local',
      warnings: [],
      summary: 'x',
      log: '',
      at: new Date().toISOString(),
    };
    notifier.send({ ...message, event: 'start' });
    notifier.send({ ...message, event: 'fail' });
    const reports = await notifier.settle();
    expect(reports.filter((r) => !r.ok)).toHaveLength(8);
    const counted = await readNotifyFailures(paths.notify);
    expect(Object.fromEntries(Object.entries(counted.failures).map(([k, v]) => [k, v.count]))).toEqual({
      a: 2,
      b: 2,
      c: 2,
      d: 2,
    });
  });
});

describe('the verification hook point', () => {
  it('sends check and drill results to the receivers that want `verification` (healthchecks /fail on failure)', async () => {
    const server = await startReceivers();
    onTestFinished(() => server.close());
    const paths = hostPaths(await tempDir(), undefined);
    const receivers: ResolvedReceiver[] = [
      {
        name: 'hc',
        kind: 'healthchecks',
        url: `${server.base}/hc/v`,
        failOnWarning: false,
        on: ['verification'],
        timeoutSeconds: 5,
      },
      {
        name: 'ops',
        kind: 'webhook',
        url: `${server.base}/hook/v`,
        failOnWarning: false,
        on: ['fail'],
        timeoutSeconds: 5,
      },
    ];
    const desired = { machine: 'jon', receivers };
    await notifyVerification(paths, desired, silentLogger(), {
      what: 'check',
      destination: 'local',
      ok: true,
      summary: 'local: check passed',
    });
    const reports = await notifyVerification(paths, desired, silentLogger(), {
      what: 'drill',
      destination: 'local',
      ok: false,
      summary: 'local: drill failed: 2 files differ',
      log: 'srv/app/db: differs\n',
    });
    expect(reports).toMatchObject([{ receiver: 'hc', event: 'verification', ok: true }]);
    expect(server.at('/hc/v').map((r) => r.path)).toEqual(['/hc/v', '/hc/v/fail']);
    expect(server.at('/hc/v')[1]?.body).toContain('srv/app/db: differs');
    // `ops` wants failures of backups only
    expect(server.at('/hook')).toEqual([]);
  });
});
