import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redactDeep, redactText, rememberSecretText } from '../../src/log.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', destination }) };
}

const TOKEN = 'hvs.TOKEN-in-a-passcommand';
const passCommand = `vault kv get -field=pw --token=${TOKEN} secret/borg`;

describe('log redaction reaches nested fields', () => {
  it('a URL credential and a remembered passCommand are redacted in err.message, err.stack, a cause and nested objects', () => {
    rememberSecretText(passCommand);
    const { lines, logger } = capture();
    const cause = new Error(`spawn failed: ${passCommand}`);
    const error = new Error('push to https://deploy:ghp_SECRETPW@example.invalid/x.git failed', { cause });
    logger.error({ err: error, details: { command: passCommand, lines: [`ran ${passCommand}`] } }, 'failed');
    logger.warn(error);
    logger.info(`running ${passCommand}`);
    expect(lines).toHaveLength(3);
    const text = lines.join('\n');
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain('ghp_SECRETPW');
    const first = JSON.parse(lines[0] ?? '{}');
    expect(first.err.message).toMatch(/^push to https:\/\/deploy:\*\*\*@example\.invalid\/x\.git failed/);
    expect(first.err.stack).toContain('https://deploy:***@example.invalid');
    expect(first.err.message).toContain('spawn failed: [redacted]');
    expect(first.details).toEqual({ command: '[redacted]', lines: ['ran [redacted]'] });
    expect(JSON.parse(lines[1] ?? '{}').msg).toBe('push to https://deploy:***@example.invalid/x.git failed');
    expect(JSON.parse(lines[2] ?? '{}').msg).toBe('running [redacted]');
  });

  it('redactDeep reaches a string at any depth, keeps shared objects, and ends a cycle', () => {
    let deep: unknown = { repo: 'ssh://jon:hunter2@box/./repo' };
    for (let level = 0; level < 20; level++) deep = level % 2 ? { inner: deep } : [deep];
    expect(JSON.stringify(redactDeep(deep))).not.toContain('hunter2');
    expect(JSON.stringify(redactDeep(deep))).toContain('ssh://jon:***@box/./repo');
    // the same object twice is data, not a cycle
    const shared = { url: 'https://a:pw@example.invalid' };
    expect(redactDeep({ a: shared, b: [shared] })).toEqual({
      a: { url: 'https://a:***@example.invalid' },
      b: [{ url: 'https://a:***@example.invalid' }],
    });
    const cyclic: Record<string, unknown> = { url: 'https://a:pw@example.invalid' };
    cyclic.self = cyclic;
    expect(redactDeep(cyclic)).toEqual({ url: 'https://a:***@example.invalid', self: '[circular]' });
  });

  it('redactText leaves other text alone', () => {
    rememberSecretText(passCommand);
    expect(redactText('local: encryption.passCommand failed (exit 7)')).toBe(
      'local: encryption.passCommand failed (exit 7)',
    );
  });
});
