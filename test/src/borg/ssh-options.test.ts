import { describe, expect, it } from 'vitest';
import { sshTimeoutSeconds } from '../../../reconcile/cli/context.js';
import { batchRsh, borgEnvironment, sshTimeouts } from '../../../src/borg/env.js';
import { sshReason } from '../../../src/borg/ssh-log.js';

describe('ssh never prompts and never hangs', () => {
  it('defaults to a dead link failing within a minute, and scales with BORGOPS_SSH_TIMEOUT', () => {
    expect(sshTimeouts()).toEqual({ serverAliveInterval: 15, serverAliveCountMax: 4, connectTimeout: 20 });
    expect(sshTimeouts(5)).toEqual({ serverAliveInterval: 1, serverAliveCountMax: 5, connectTimeout: 2 });
    expect(sshTimeouts(1)).toEqual({ serverAliveInterval: 1, serverAliveCountMax: 1, connectTimeout: 1 });
    expect(sshTimeoutSeconds(undefined)).toBe(60);
    expect(sshTimeoutSeconds('5')).toBe(5);
    for (const bad of ['0', '-1', '1.5', 'soon', '100000'])
      expect(() => sshTimeoutSeconds(bad)).toThrow(/BORGOPS_SSH_TIMEOUT must be a number of seconds/);
  });

  it('adds BatchMode, keepalives, a connect timeout and the log file after any declared rsh', () => {
    expect(batchRsh('ssh -oPort=23 -o ServerAliveInterval=60', sshTimeouts(), '/tmp/x y/ssh.log')).toBe(
      "ssh -oPort=23 -o ServerAliveInterval=60 -o BatchMode=yes -o ServerAliveInterval=15 -o ServerAliveCountMax=4 -o ConnectTimeout=20 -E '/tmp/x y/ssh.log'",
    );
    const env = borgEnvironment(
      {},
      { destination: 'd', repo: 'u@h:.', passphrase: { kind: 'none' }, lockWait: 1 },
    );
    expect(env.BORG_RSH).toBe(
      'ssh -o BatchMode=yes -o ServerAliveInterval=15 -o ServerAliveCountMax=4 -o ConnectTimeout=20',
    );
  });

  it("takes ssh's reason from its log, without the accept-new notice", () => {
    expect(sshReason([])).toBeUndefined();
    expect(
      sshReason(["Warning: Permanently added '[h]:2' (ED25519) to the list of known hosts."]),
    ).toBeUndefined();
    expect(
      sshReason([
        "Warning: Permanently added '[h]:2' (ED25519) to the list of known hosts.",
        'Timeout, server 127.0.0.1 not responding.',
      ]),
    ).toBe('Timeout, server 127.0.0.1 not responding.');
    expect(
      sshReason([
        'No ED25519 host key is known for [h]:2 and you have requested strict checking.',
        'Host key verification failed.',
      ]),
    ).toBe(
      'No ED25519 host key is known for [h]:2 and you have requested strict checking. Host key verification failed.',
    );
  });
});
