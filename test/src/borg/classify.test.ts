import { describe, expect, it } from 'vitest';
import { diagnose, exitKind } from '../../../src/borg/classify.js';
import type { LogMessage } from '../../../src/borg/log-json.js';
import { parseStderrLine } from '../../../src/borg/log-json.js';

/*
 * Table of stderr lines recorded from borg 1.2.4 --log-json (and a few written as borg 1.4 prints
 * them) → failure. The integration tests produce most of these with real borg; this table pins
 * the cases that need an sshd or another borg version.
 */

function messages(...lines: string[]): LogMessage[] {
  return lines.flatMap((line) => {
    const parsed = parseStderrLine(line);
    return parsed.kind === 'log' ? [parsed.message] : [];
  });
}

function log(message: string, msgid?: string, levelname = 'ERROR'): string {
  return JSON.stringify({ type: 'log_message', time: 1, message, levelname, name: 'borg.archiver', msgid });
}

describe('diagnose', () => {
  it.each([
    ['missing', 2, [log('Repository /x does not exist.', 'Repository.DoesNotExist')]],
    [
      'not-a-repository',
      2,
      [log('/x is not a valid repository. Check repo config.', 'Repository.InvalidRepository')],
    ],
    // A server-side error arrives with the bare class name (RemoteRepository.RPCError).
    [
      'not-a-repository',
      2,
      [log('Remote Exception (see remote log for the traceback)', 'InvalidRepository')],
    ],
    ['passphrase', 2, [log('passphrase supplied in BORG_PASSPHRASE ... is incorrect.', 'PassphraseWrong')]],
    ['passphrase', 2, [log('passcommand supplied in BORG_PASSCOMMAND failed: ...', 'PasscommandFailure')]],
    ['locked', 2, [log('Failed to create/acquire the lock /x/lock.exclusive (timeout).', 'LockTimeout')]],
    [
      'unreachable',
      2,
      [
        log('Remote: ssh: connect to host 127.0.0.1 port 1: Connection refused', undefined, 'WARNING'),
        log('Connection closed by remote host. Is borg working on the server?', 'ConnectionClosedWithHint'),
      ],
    ],
    // ssh refusing our key is still ssh failing; borg relays the reason only sometimes.
    [
      'unreachable',
      2,
      [
        log('Remote: borg@host: Permission denied (publickey).', undefined, 'WARNING'),
        log('Connection closed by remote host. Is borg working on the server?', 'ConnectionClosedWithHint'),
      ],
    ],
    ['permission', 2, [log("Repository path not allowed: ('/srv',)", 'PathNotAllowed')]],
    [
      'permission',
      2,
      [
        log(
          "Failed to create/acquire the lock /x/lock.exclusive ([Errno 13] Permission denied: '/x/l.tmp').",
          'LockFailed',
        ),
      ],
    ],
    [
      'permission',
      2,
      [
        log('Local Exception', 'Exception'),
        log(
          "Traceback (most recent call last):\n  File ...\nPermissionError: [Errno 13] Permission denied: '/x/config'",
        ),
      ],
    ],
    ['other', 2, [log('Archive a already exists', 'Archive.AlreadyExists')]],
    // borg ≥ 1.4 with BORG_EXIT_CODES=modern, when no msgid could be read.
    ['missing', 13, []],
    ['passphrase', 52, []],
    ['locked', 73, []],
    ['unreachable', 80, []],
    ['other', 2, []],
  ] as const)('%s (exit code %i)', (failure, exitCode, lines) => {
    expect(diagnose(exitCode, messages(...lines), []).failure).toBe(failure);
  });

  it("keeps borg's message, the exception line of a traceback, and ssh's reason", () => {
    const locked = diagnose(
      2,
      messages(log('Failed to create/acquire the lock /x (timeout).', 'LockTimeout')),
      [],
    );
    expect(locked).toMatchObject({
      msgid: 'LockTimeout',
      message: 'Failed to create/acquire the lock /x (timeout).',
    });
    const crashed = diagnose(
      2,
      messages(
        log('Local Exception', 'Exception'),
        log('Traceback (most recent call last):\nOSError: [Errno 28] No space left'),
      ),
      [],
    );
    expect(crashed.message).toBe('OSError: [Errno 28] No space left');
    // ssh gave up on a silent server while borg was writing to it (seen with borg 1.2.4)
    const broken = diagnose(
      2,
      messages(
        log('Local Exception', 'Exception'),
        log(
          'Traceback (most recent call last):\n  File "/usr/lib/python3/dist-packages/borg/remote.py", line 417, in write\n    written = os.write(fd, to_send)\nBrokenPipeError: [Errno 32] Broken pipe\n',
        ),
      ),
      [],
    );
    expect(broken).toMatchObject({
      failure: 'unreachable',
      message: 'the SSH connection broke (BrokenPipeError: [Errno 32] Broken pipe)',
    });
    // the same error elsewhere (a local pipe) is not a network failure
    const local = diagnose(
      2,
      messages(
        log('Local Exception', 'Exception'),
        log('Traceback (most recent call last):\n  File "x.py"\nBrokenPipeError: [Errno 32] Broken pipe\n'),
      ),
      [],
    );
    expect(local.failure).toBe('other');
    const remote = diagnose(
      2,
      messages(
        log(
          'Remote: ssh: Could not resolve hostname nowhere: Name or service not known',
          undefined,
          'WARNING',
        ),
        log('Connection closed by remote host. Is borg working on the server?', 'ConnectionClosedWithHint'),
      ),
      [],
    );
    expect(remote.details).toEqual([
      'Remote: ssh: Could not resolve hostname nowhere: Name or service not known',
    ]);
  });

  it('removes passwords from URLs in messages', () => {
    const result = diagnose(
      2,
      messages(log('Repository ssh://u:hunter2@h/x does not exist.', 'Repository.DoesNotExist')),
      [],
    );
    expect(result.message).not.toContain('hunter2');
  });
});

describe('exitKind', () => {
  it.each([
    [0, 'success'],
    [1, 'warning'],
    [100, 'warning'],
    [107, 'warning'],
    [2, 'error'],
    [13, 'error'],
    [73, 'error'],
    [130, 'error'],
  ] as const)('%i is %s', (code, kind) => {
    expect(exitKind(code)).toBe(kind);
  });
});
