import { createHmac } from 'node:crypto';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parseListen, startHttp, webhookAuthentic } from '../../../reconcile/agent/http.js';
import type { HealthReport } from '../../../reconcile/operations/health.js';
import { createLogger, rememberSecretText } from '../../../src/log.js';

const report: HealthReport = {
  machine: 'jon',
  appliedCommit: 'a'.repeat(40),
  conditions: [
    { type: 'Ready', status: true, reason: 'Fresh', message: 'fresh' },
    { type: 'Stalled', status: false, reason: 'Reconciled', message: 'ok' },
  ],
  destinations: [],
};

async function agent(webhookSecret?: string, served: HealthReport = report) {
  const pushes: number[] = [];
  const http = await startHttp({
    listen: '127.0.0.1:0',
    report: async () => served,
    counters: () => ({ reconciles: { applied: 2 } }),
    onPush: () => pushes.push(Date.now()),
    ...(webhookSecret === undefined ? {} : { webhookSecret }),
    logger: createLogger({ level: 'silent' }),
  });
  onTestFinished(() => http.close());
  const url = `http://${http.address.host}:${http.address.port}`;
  return { url, pushes };
}

const sign = (secret: string, body: string) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe('parseListen', () => {
  it.each([
    ['127.0.0.1:9797', { host: '127.0.0.1', port: 9797 }],
    ['[::1]:0', { host: '::1', port: 0 }],
    ['localhost:65535', { host: 'localhost', port: 65_535 }],
    // a bare port is loopback's
    ['9797', { host: '127.0.0.1', port: 9797 }],
  ])('reads %s', (listen, expected) => {
    expect(parseListen(listen)).toEqual(expected);
  });

  it.each(['127.0.0.1', '127.0.0.1:65536', '127.0.0.1:-1', ':80', '[::1]'])('refuses %s', (listen) => {
    expect(() => parseListen(listen)).toThrow(
      `--listen must be host:port or a port (e.g. 127.0.0.1:9797 or 9797), not "${listen}"`,
    );
  });
});

describe('webhookAuthentic', () => {
  const body = Buffer.from('{"ref":"refs/heads/main"}');
  const digest = createHmac('sha256', 's3cret').update(body).digest('hex');
  it.each([
    ['GitHub', { 'x-hub-signature-256': `sha256=${digest}` }, true],
    ['GitHub, wrong secret', { 'x-hub-signature-256': sign('other', body.toString()) }, false],
    ['Gitea', { 'x-gitea-signature': digest }, true],
    ['Forgejo', { 'x-forgejo-signature': digest }, true],
    ['GitLab token', { 'x-gitlab-token': 's3cret' }, true],
    ['GitLab, wrong token', { 'x-gitlab-token': 's3cret!' }, false],
    ['no signature', {}, false],
  ])('%s', (_, headers, ok) => {
    expect(webhookAuthentic('s3cret', body, headers)).toBe(ok);
  });
});

describe('the agent HTTP listener', () => {
  it('serves /healthz, /status and /metrics, and 404 elsewhere', async () => {
    const { url } = await agent();
    const healthz = await fetch(`${url}/healthz`);
    expect([healthz.status, await healthz.text()]).toEqual([200, 'ok\n']);
    const status = await fetch(`${url}/status`);
    expect(status.headers.get('cache-control')).toBe('no-store');
    expect(await status.json()).toEqual(report);
    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await metrics.text()).toMatch(/^borgops_reconcile_total\{machine="jon",result="applied"\} 2$/m);
    const missing = await fetch(`${url}/nope`);
    expect([missing.status, await missing.text()]).toEqual([
      404,
      'not found: /, /healthz, /status, /metrics, POST /hooks/push\n',
    ]);
  });

  it('never serves a credential: a repository URL with a password, a secret text in an error', async () => {
    // a passCommand the agent loaded: redactText replaces it wherever it appears
    rememberSecretText('cat /run/keys/borg-token-7f3a');
    const leaky: HealthReport = {
      ...report,
      failedCommit: {
        commit: 'b'.repeat(40),
        reason: 'invalid',
        message: 'inventory.json: repo "ssh://jon:hunter2@box/./repo" is not allowed',
      },
      lastAttempt: {
        at: '2026-11-30T00:00:00.000Z',
        result: 'failed',
        actions: 1,
        errors: ['passCommand `cat /run/keys/borg-token-7f3a` failed: exit 1'],
        durationMs: 5,
      },
      destinations: [
        {
          name: 'box',
          repo: 'ssh://jon:hunter2@box/./repo',
          lastError: 'Repository ssh://jon:hunter2@box/./repo does not exist.',
          stale: true,
        },
      ],
    };
    const { url } = await agent(undefined, leaky);
    for (const path of ['/status', '/', '/metrics']) {
      const body = await (await fetch(`${url}${path}`)).text();
      expect(body, path).not.toContain('hunter2');
      expect(body, path).not.toContain('borg-token-7f3a');
    }
    const status = (await (await fetch(`${url}/status`)).json()) as HealthReport;
    expect(status.destinations[0]?.repo).toBe('ssh://jon:***@box/./repo');
    expect(status.lastAttempt?.errors).toEqual(['passCommand `[redacted]` failed: exit 1']);
    expect(status.destinations[0]?.stale).toBe(true);
  });

  it('refuses webhooks without a secret, unsigned or badly signed ones, GETs and huge bodies', async () => {
    const off = await agent();
    expect((await fetch(`${off.url}/hooks/push`, { method: 'POST', body: '{}' })).status).toBe(403);

    const { url, pushes } = await agent('s3cret');
    expect((await fetch(`${url}/hooks/push`)).status).toBe(405);
    expect((await fetch(`${url}/hooks/push`, { method: 'POST', body: '{}' })).status).toBe(401);
    const forged = { 'x-hub-signature-256': sign('guess', '{}') };
    expect((await fetch(`${url}/hooks/push`, { method: 'POST', body: '{}', headers: forged })).status).toBe(
      401,
    );
    const huge = 'x'.repeat(1024 * 1024 + 1);
    const tooLarge = await fetch(`${url}/hooks/push`, {
      method: 'POST',
      body: huge,
      headers: { 'x-hub-signature-256': sign('s3cret', huge) },
    });
    expect(tooLarge.status).toBe(413);
    expect(pushes).toEqual([]);
  });

  it('schedules a fetch for a signed push', async () => {
    const { url, pushes } = await agent('s3cret');
    const body = '{"ref":"refs/heads/main"}';
    const response = await fetch(`${url}/hooks/push`, {
      method: 'POST',
      body,
      headers: { 'x-hub-signature-256': sign('s3cret', body) },
    });
    expect([response.status, await response.text()]).toEqual([202, 'fetch scheduled\n']);
    expect(pushes).toHaveLength(1);
  });

  it('names an address it cannot listen on', async () => {
    const { url } = await agent();
    const taken = new URL(url);
    await expect(
      startHttp({
        listen: `127.0.0.1:${taken.port}`,
        report: async () => report,
        counters: () => ({ reconciles: {} }),
        onPush: () => undefined,
        logger: createLogger({ level: 'silent' }),
      }),
    ).rejects.toThrow(`cannot listen on 127.0.0.1:${taken.port}`);
  });
});
