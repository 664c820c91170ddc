import { BorgopsError } from '../errors.js';
import type { RepositoryFailure } from './types.js';

/** Why a borg command failed: a repository failure, `missing`, or our own abort. */
export type BorgFailure = RepositoryFailure | 'missing' | 'aborted';

export type BorgCommand =
  | 'version'
  | 'list'
  | 'init'
  | 'create'
  | 'rename'
  | 'delete'
  | 'compact'
  | 'extract'
  | 'key export'
  | 'check'
  | 'info';

export interface BorgErrorOptions {
  command: BorgCommand;
  failure: BorgFailure;
  destination?: string;
  /** borg's exit code; undefined when the process could not start or was killed by a signal. */
  exitCode?: number;
  /** borg's message id from --log-json (`Repository.DoesNotExist`, `PassphraseWrong`, …). */
  msgid?: string;
  details?: readonly string[];
  cause?: unknown;
}

/** A failed borg process: E_BORG with the classified failure, never a secret in any field. */
export class BorgError extends BorgopsError {
  override readonly name = 'BorgError';
  readonly command: BorgCommand;
  readonly failure: BorgFailure;
  readonly destination: string | undefined;
  readonly exitCode: number | undefined;
  readonly msgid: string | undefined;

  constructor(shortMessage: string, options: BorgErrorOptions) {
    super('E_BORG', shortMessage, {
      ...(options.details === undefined ? {} : { details: options.details }),
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.command = options.command;
    this.failure = options.failure;
    this.destination = options.destination;
    this.exitCode = options.exitCode;
    this.msgid = options.msgid;
  }
}

export function isBorgError(error: unknown): error is BorgError {
  return error instanceof BorgError;
}

/** Short phrases for people, one per failure. */
export const FAILURE_TEXT = {
  missing: 'repository does not exist',
  passphrase: 'wrong or missing passphrase or key',
  locked: 'repository is locked',
  unreachable: 'repository unreachable',
  'not-a-repository': 'not a borg repository',
  permission: 'permission denied',
  aborted: 'aborted',
  other: 'borg failed',
} as const satisfies Record<BorgFailure, string>;
