import { redactText } from '../log.js';
import type { BorgFailure } from './errors.js';
import type { LogMessage } from './log-json.js';
import { sshReason } from './ssh-log.js';

/*
 * borg 1.2.4 names every error it reports with --log-json (`msgid` = the exception's qualified
 * class name, archiver.py main()); a server-side error arrives as the bare class name
 * (RemoteRepository.RPCError.exception_class). borg ≥ 1.4 with BORG_EXIT_CODES=modern also
 * encodes the error in the exit code, our fallback when no msgid was printed.
 */
const BY_MSGID: Readonly<Record<string, BorgFailure>> = {
  'Repository.DoesNotExist': 'missing',
  DoesNotExist: 'missing',
  'Repository.InvalidRepository': 'not-a-repository',
  InvalidRepository: 'not-a-repository',
  'Repository.InvalidRepositoryConfig': 'not-a-repository',
  InvalidRepositoryConfig: 'not-a-repository',
  'Repository.AtticRepository': 'not-a-repository',
  AtticRepository: 'not-a-repository',
  'Repository.PathAlreadyExists': 'not-a-repository',
  PathAlreadyExists: 'not-a-repository',
  PassphraseWrong: 'passphrase',
  NoPassphraseFailure: 'passphrase',
  PasscommandFailure: 'passphrase',
  PasswordRetriesExceeded: 'passphrase',
  KeyfileNotFoundError: 'passphrase',
  KeyfileInvalidError: 'passphrase',
  KeyfileMismatchError: 'passphrase',
  RepoKeyNotFoundError: 'passphrase',
  LockTimeout: 'locked',
  LockError: 'locked',
  ConnectionClosed: 'unreachable',
  ConnectionClosedWithHint: 'unreachable',
  ConnectionBrokenWithHint: 'unreachable',
  UnexpectedRPCDataFormatFromServer: 'unreachable',
  PathNotAllowed: 'permission',
  'Repository.PathPermissionDenied': 'permission',
  PermissionError: 'permission',
};

/** borg ≥ 1.4 modern exit codes (docs: internals/frontends, "message IDs and related error RCs"). */
const BY_EXIT_CODE: Readonly<Record<number, BorgFailure>> = {
  13: 'missing',
  15: 'not-a-repository',
  16: 'not-a-repository',
  19: 'not-a-repository',
  21: 'permission',
  40: 'passphrase',
  41: 'passphrase',
  42: 'passphrase',
  44: 'passphrase',
  50: 'passphrase',
  51: 'passphrase',
  52: 'passphrase',
  53: 'passphrase',
  70: 'locked',
  73: 'locked',
  80: 'unreachable',
  81: 'unreachable',
  83: 'permission',
  87: 'unreachable',
};

// errno 1 EPERM, 13 EACCES, 30 EROFS, as Python prints them inside LockFailed and tracebacks.
const PERMISSION_TEXT = /PermissionError|\[Errno (?:1|13|30)\]/;

// ssh died under borg (a dead link its keepalive gave up on, a killed server): borg 1.2 may hit
// the broken pipe in its remote transport (borg/remote.py) before it sees the connection close.
const BROKEN_LINK_TEXT = /(?:BrokenPipeError|ConnectionResetError)\b/;
const REMOTE_TRANSPORT = /borg\/remote\.py/;

export type ExitKind = 'success' | 'warning' | 'error';

/** 0 ok; 1 (and 100–127 with modern exit codes) warning: the operation reached its end; else error. */
export function exitKind(exitCode: number): ExitKind {
  if (exitCode === 0) return 'success';
  if (exitCode === 1 || (exitCode >= 100 && exitCode <= 127)) return 'warning';
  return 'error';
}

export interface Diagnosis {
  failure: BorgFailure;
  msgid?: string;
  /** borg's own one-line message, credentials in URLs removed. */
  message: string;
  /** Other lines worth showing (ssh's reason, "Remote:" lines), redacted. */
  details: string[];
}

function isError(message: LogMessage): boolean {
  return message.levelname === 'ERROR' || message.levelname === 'CRITICAL';
}

/** The exception line of a Python traceback ("PermissionError: [Errno 13] …"). */
function exceptionLine(traceback: string): string | undefined {
  const lines = traceback.split('\n').filter((line) => /^[A-Za-z_][\w.]*(?:Error|Exception)\b.*:/.test(line));
  return lines.at(-1);
}

function failureOf(msgid: string | undefined, exitCode: number, errorTexts: readonly string[]): BorgFailure {
  const byMsgid = msgid === undefined ? undefined : BY_MSGID[msgid];
  if (byMsgid !== undefined) return byMsgid;
  if ((msgid === 'LockFailed' || msgid === 'Exception') && errorTexts.some((t) => PERMISSION_TEXT.test(t))) {
    return 'permission';
  }
  if (msgid === 'Exception' && errorTexts.some((t) => BROKEN_LINK_TEXT.test(t) && REMOTE_TRANSPORT.test(t))) {
    return 'unreachable';
  }
  return BY_EXIT_CODE[exitCode] ?? 'other';
}

/** Classifies a failed borg process from its --log-json messages, stderr text and exit code. */
export function diagnose(
  exitCode: number,
  messages: readonly LogMessage[],
  text: readonly string[],
  ssh: readonly string[] = [],
): Diagnosis {
  const errors = messages.filter(isError);
  const main = errors.find((m) => typeof m.msgid === 'string') ?? errors[0];
  const msgid = typeof main?.msgid === 'string' ? main.msgid : undefined;
  const remote = messages.filter((m) => m.message.startsWith('Remote: ')).map((m) => m.message);
  const texts = [...messages.map((m) => m.message), ...text];
  const failure = failureOf(msgid, exitCode, texts);

  let message = main?.message.trim() ?? text.find((line) => line.trim() !== '')?.trim() ?? '';
  if (msgid === 'Exception' || main === undefined) {
    const traceback = errors.map((m) => m.message).find((m) => m.includes('Traceback'));
    message = (traceback === undefined ? undefined : exceptionLine(traceback)) ?? message;
    if (failure === 'unreachable') message = `the SSH connection broke (${message})`;
  }
  if (message === '') message = `exit code ${exitCode}`;
  // ssh's reason (refused key, unknown host, connection refused), when borg relayed it in time:
  // borg reads ssh's stderr and the closed connection in one select loop, so it may not have.
  // The failure stays `unreachable` either way, so it does not flap between runs.
  // ssh's own words from its -E log are the best reason: they exist whatever borg read in time
  const sshSaid = sshReason(ssh);
  const reason = remote[0]?.slice('Remote: '.length);
  if (failure === 'unreachable' && sshSaid !== undefined)
    message = sshSaid.startsWith('ssh: ') ? sshSaid : `ssh: ${sshSaid}`;
  else if (failure === 'unreachable' && reason !== undefined) message = `${message} (${reason})`;
  // "Cache initialization aborted" says little; the prompt borg answered "no" to says why.
  const prompt = text.find((line) => line.startsWith('Warning: '));
  if (msgid?.startsWith('Cache.') && prompt !== undefined) message = `${message}: ${prompt}`;
  const details = [...remote, ...text.filter((line) => line.trim() !== ''), ...ssh].map((line) =>
    redactText(line.trim()),
  );
  return {
    failure,
    ...(msgid === undefined ? {} : { msgid }),
    message: redactText(message.split('\n')[0] ?? message),
    details: [...new Set(details)].slice(0, 10),
  };
}
