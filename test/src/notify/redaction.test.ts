import { describe, expect, it } from 'vitest';
import type { ResolvedReceiver } from '../../../src/config/notify.js';
import { rememberSecretText } from '../../../src/log.js';
import type { NotifyMessage } from '../../../src/notify/message.js';
import { requestFor } from '../../../src/notify/requests.js';

const TOKEN = 'hvs.NOTIFY-TOKEN-77';
const passCommand = `vault read -token=${TOKEN} secret/borg`;

describe('a notification never carries a passCommand or a URL credential', () => {
  it.each(['webhook', 'healthchecks', 'ntfy'] as const)('%s', (kind) => {
    rememberSecretText(passCommand);
    const receiver: ResolvedReceiver = {
      name: kind,
      kind,
      failOnWarning: false,
      on: ['fail'],
      timeoutSeconds: 10,
    };
    const message: NotifyMessage = {
      event: 'fail',
      result: 'failure',
      machine: 'jon',
      destination: 'local',
      warnings: [`ran ${passCommand}`],
      summary: `jon/local: ${passCommand} failed`,
      log: `borg: ${passCommand}\nhttps://u:pw-SECRET@mirror.invalid/x\n`,
      at: '2026-01-01T00:00:00.000Z',
    };
    const request = requestFor(receiver, { url: 'https://receiver.invalid/x', secret: 's' }, message);
    const sent = `${request.url}\n${JSON.stringify(request.headers)}\n${request.body}`;
    expect(sent).not.toContain(TOKEN);
    expect(sent).not.toContain('pw-SECRET');
    expect(request.body).toContain('[redacted]');
  });
});
