import { describe, expect, it } from 'vitest';
import { countingNotifier } from '../../../reconcile/operations/backup-notify.js';
import type { ResolvedReceiver } from '../../../src/config/notify.js';
import { readNotifyFailures } from '../../../src/host/notify-failures.js';
import { hostPaths } from '../../../src/host/paths.js';
import { silentLogger } from '../../../src/log.js';
import { closedPort } from '../../helpers/receivers.js';
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
