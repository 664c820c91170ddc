export type ErrorCode = 'E_CONFIG' | 'E_GIT' | 'E_BORG' | 'E_HOST' | 'E_GUARD' | 'E_USAGE' | 'E_LOCK';

/** Exit codes of the CLI, by error code (design.md: 1 error, 3 refused by a safety guard). */
export const exitCodeOf = {
  E_CONFIG: 1,
  E_GIT: 1,
  E_BORG: 1,
  E_HOST: 1,
  E_GUARD: 3,
  E_USAGE: 1,
  E_LOCK: 1,
} as const satisfies Record<ErrorCode, number>;

export interface BorgopsErrorOptions {
  cause?: unknown;
  /** Extra lines shown under the message (one per problem), never secrets. */
  details?: readonly string[];
}

/** The one error type of borgops: a code to branch on, a short message for people, details for logs. */
export class BorgopsError extends Error {
  // a string, not the literal: subclasses (BorgError) name themselves
  override readonly name: string = 'BorgopsError';
  readonly code: ErrorCode;
  readonly shortMessage: string;
  readonly details: readonly string[];

  constructor(code: ErrorCode, shortMessage: string, options: BorgopsErrorOptions = {}) {
    const details = options.details ?? [];
    super([shortMessage, ...details].join('\n'), options.cause === undefined ? {} : { cause: options.cause });
    this.code = code;
    this.shortMessage = shortMessage;
    this.details = details;
  }
}

export function isBorgopsError(error: unknown, code?: ErrorCode): error is BorgopsError {
  return error instanceof BorgopsError && (code === undefined || error.code === code);
}

export function errorMessage(error: unknown): string {
  if (error instanceof BorgopsError) return error.shortMessage;
  if (error instanceof Error) return error.message;
  return String(error);
}
