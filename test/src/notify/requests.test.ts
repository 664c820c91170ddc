import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ResolvedReceiver } from '../../../src/config/notify.js';
import { LOG_TAIL_BYTES, logTail } from '../../../src/notify/log-tail.js';
import { type NotifyMessage, wants } from '../../../src/notify/message.js';
import { requestFor } from '../../../src/notify/requests.js';

function receiver(kind: ResolvedReceiver['kind'], extra: Partial<ResolvedReceiver> = {}): ResolvedReceiver {
  return { name: kind, kind, failOnWarning: false, on: ['fail'], timeoutSeconds: 10, ...extra };
}

function message(event: NotifyMessage['event'], extra: Partial<NotifyMessage> = {}): NotifyMessage {
  return {
    event,
    result: event === 'fail' ? 'failure' : event === 'warn' ? 'warning' : 'success',
    machine: 'jon',
    destination: 'storagebox',
    warnings: [],
    summary: `jon/storagebox: ${event}`,
    log: 'line 1\nline 2\n',
    at: '2026-01-01T00:00:00.000Z',
    ...extra,
  };
}

const hcUrl = 'https://hc-ping.com/uuid-1/';

describe('requests per receiver kind', () => {
  it.each([
    ['start', false, '/start'],
    ['success', false, ''],
    ['warn', false, ''],
    ['warn', true, '/fail'],
    ['fail', false, '/fail'],
    ['stalled', false, '/fail'],
    ['ready', false, ''],
    ['test', false, '/log'],
  ] as const)('healthchecks: %s (failOnWarning %s) pings <url>%s', (event, failOnWarning, suffix) => {
    const request = requestFor(
      receiver('healthchecks', { failOnWarning }),
      { url: hcUrl },
      message(event),
      'rid-1',
    );
    expect(request.url).toBe(`https://hc-ping.com/uuid-1${suffix}?rid=rid-1`);
    expect(request.body).toContain('line 2');
  });

  it('webhook: the JSON body, signed with HMAC-SHA256 of the raw body', () => {
    const request = requestFor(
      receiver('webhook'),
      { url: 'https://hooks.example/b', secret: 's3' },
      message('fail', { failure: 'unreachable' }),
    );
    const expected = createHmac('sha256', 's3').update(request.body).digest('hex');
    expect(request.headers['X-Borgops-Signature-256']).toBe(`sha256=${expected}`);
    expect(JSON.parse(request.body)).toMatchObject({ version: 1, event: 'fail', failure: 'unreachable' });
    const unsigned = requestFor(receiver('webhook'), { url: 'https://hooks.example/b' }, message('fail'));
    expect(unsigned.headers['X-Borgops-Signature-256']).toBeUndefined();
  });

  it('ntfy: title and priority by event, the bearer token', () => {
    const request = requestFor(
      receiver('ntfy'),
      { url: 'https://ntfy.sh/t', token: 'tk' },
      message('warn', { warnings: ['a file changed while read'] }),
    );
    expect(request.headers).toMatchObject({
      Title: 'borgops jon/storagebox: backup succeeded with warnings',
      Priority: '3',
      Authorization: 'Bearer tk',
    });
    expect(request.body).toContain('warning: a file changed while read');
  });

  it('bounds the log to its last lines within 10 kB', () => {
    const log = Array.from({ length: 2000 }, (_, i) => `borg: line ${i} é`).join('\n');
    const tail = logTail(log);
    expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(LOG_TAIL_BYTES);
    expect(tail.startsWith('…\n')).toBe(true);
    expect(tail.endsWith('borg: line 1999 é')).toBe(true);
    const body = requestFor(receiver('healthchecks'), { url: hcUrl }, message('fail', { log })).body;
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(LOG_TAIL_BYTES);
  });
});

describe('which receiver hears what', () => {
  it.each([
    [{ on: ['fail'] }, 'warn', false],
    [{ on: ['warn'] }, 'warn', true],
    // a healthchecks check that wants successes hears a warning as one (a dead man's switch)
    [{ kind: 'healthchecks', on: ['success'] }, 'warn', true],
    [{ kind: 'healthchecks', on: ['fail'], failOnWarning: true }, 'warn', true],
    [{ kind: 'webhook', on: ['success'] }, 'warn', false],
    [{ on: ['stalled'] }, 'ready', true],
    [{ on: ['fail'] }, 'ready', false],
    [{ on: ['fail'], destinations: ['usb'] }, 'fail', false],
    [{ on: ['fail'], destinations: ['storagebox'] }, 'fail', true],
    [{ on: ['fail'], destinations: ['usb'] }, 'test', false],
    [{ on: ['fail'] }, 'test', true],
  ] as const)('%o hears %s: %s', (extra, event, expected) => {
    const r = receiver('kind' in extra ? extra.kind : 'ntfy', {
      ...extra,
      on: [...extra.on],
    } as Partial<ResolvedReceiver>);
    expect(wants(r, message(event))).toBe(expected);
  });
});
