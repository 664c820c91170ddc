import { describe, expect, it, onTestFinished } from 'vitest';
import type { ResolvedReceiver } from '../../../src/config/notify.js';
import { silentLogger } from '../../../src/log.js';
import type { NotifyMessage } from '../../../src/notify/message.js';
import { createNotifier, type DeliveryReport } from '../../../src/notify/notifier.js';
import { closedPort, startReceivers } from '../../helpers/receivers.js';

function receiver(name: string, extra: Partial<ResolvedReceiver>): ResolvedReceiver {
  return { name, kind: 'webhook', failOnWarning: false, on: ['fail'], timeoutSeconds: 2, ...extra };
}

const fail: NotifyMessage = {
  event: 'fail',
  result: 'failure',
  machine: 'jon',
  destination: 'local',
  warnings: [],
  summary: 'jon/local: backup failed',
  log: 'borg: Connection refused\n',
  at: '2026-01-01T00:00:00.000Z',
};

async function receivers() {
  const server = await startReceivers();
  onTestFinished(() => server.close());
  return server;
}

describe('the notifier (real HTTP on 127.0.0.1)', () => {
  it('retries a receiver that answers 503 and succeeds on the third attempt', async () => {
    const server = await receivers();
    const notifier = createNotifier({
      receivers: [receiver('flaky', { url: `${server.base}/flaky` })],
      logger: silentLogger(),
      retryDelaysMs: [10, 10],
    });
    notifier.send(fail);
    const [report] = await notifier.settle();
    expect(report).toMatchObject({ receiver: 'flaky', ok: true, attempts: 3, status: 200 });
    expect(server.at('/flaky')).toHaveLength(3);
  });

  it('gives up on a down receiver, counts it once, and never names its URL', async () => {
    const port = await closedPort();
    const counted: DeliveryReport[] = [];
    const notifier = createNotifier({
      receivers: [receiver('down', { url: `http://127.0.0.1:${port}/secret-path-7f3a` })],
      logger: silentLogger(),
      retryDelaysMs: [10, 10],
      onFailure: (report) => {
        counted.push(report);
      },
    });
    notifier.send(fail);
    const reports = await notifier.settle();
    expect(reports).toMatchObject([{ ok: false, attempts: 3, error: 'connection refused' }]);
    expect(counted).toHaveLength(1);
    expect(JSON.stringify(reports)).not.toContain('secret-path-7f3a');
  });

  it('a hanging receiver: settle gives up after its timeout and the request is abandoned', async () => {
    const server = await receivers();
    const notifier = createNotifier({
      receivers: [receiver('slow', { url: `${server.base}/hang`, timeoutSeconds: 1 })],
      logger: silentLogger(),
    });
    notifier.send(fail);
    notifier.send({ ...fail, event: 'fail', destination: 'other' });
    const reports = await notifier.settle();
    expect(reports.map((r) => r.ok)).toEqual([false, false]);
    expect(reports[0]?.error).toMatch(/timed out after 1s|gave up: the run ended/);
    expect(reports[1]).toMatchObject({ attempts: 0, error: 'gave up: the run ended' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.abandoned()).toBe(server.at('/hang').length);
  });

  it('a urlCommand that fails is reported by setting, without its output', async () => {
    const notifier = createNotifier({
      receivers: [receiver('cmd', { urlCommand: 'sh -c "echo https://hidden.example/abc; exit 4"' })],
      logger: silentLogger(),
    });
    notifier.send(fail);
    expect(await notifier.settle()).toMatchObject([{ ok: false, error: 'urlCommand failed (exit code 4)' }]);
  });

  it('hides a receiver URL that a script printed into the log it sends', async () => {
    const server = await receivers();
    const url = `${server.base}/hook/token-5e1d`;
    const notifier = createNotifier({ receivers: [receiver('hook', { url })], logger: silentLogger() });
    notifier.send({ ...fail, log: `curl ${url} failed\n` });
    await notifier.settle();
    const body = JSON.parse(server.at('/hook')[0]?.body ?? '{}') as { log: string };
    expect(body.log).toBe('curl (hidden) failed\n');
  });
});
