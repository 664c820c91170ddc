import { pino } from 'pino';
import pretty from 'pino-pretty';

export type Logger = pino.Logger;

/** Keys that may hold secrets anywhere in a log object; pino replaces their values. */
const redactPaths = [
  'passphrase',
  '*.passphrase',
  'password',
  '*.password',
  'env.BORG_PASSPHRASE',
  '*.env.BORG_PASSPHRASE',
  'secret',
  '*.secret',
  'token',
  '*.token',
];

const credentialInUrl = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]+):[^@/\s]+@/gi;

/** Removes a password from `scheme://user:password@host` forms. */
export function redactUrl(text: string): string {
  return text.replace(credentialInUrl, '$1:***@');
}

// Declared texts that may carry a credential (a passCommand with a token): never printed, never stored.
const secretTexts = new Set<string>();

/** Marks a declared text (a passCommand) as secret for this process: redactText replaces it everywhere. */
export function rememberSecretText(text: string): void {
  if (text.trim().length >= 4) secretTexts.add(text);
}

/** redactUrl, and every remembered secret text replaced by `[redacted]`. */
export function redactText(text: string): string {
  let out = redactUrl(text);
  for (const secret of secretTexts) out = out.split(secret).join('[redacted]');
  return out;
}

/**
 * A copy of a value with every nested string redacted (Error message and stack included), at any
 * depth: a depth limit would hand deeper strings on as they are. A cycle ends in `[circular]`;
 * the same object reached twice without a cycle is copied twice.
 */
export function redactDeep(value: unknown, ancestors: Set<object> = new Set()): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (ancestors.has(value)) return '[circular]';
  ancestors.add(value);
  try {
    const inner = (item: unknown) => redactDeep(item, ancestors);
    if (Array.isArray(value)) return value.map(inner);
    if (value instanceof Error) {
      const out: Record<string, unknown> = {
        type: value.name,
        message: redactText(value.message),
        ...(value.stack === undefined ? {} : { stack: redactText(value.stack) }),
      };
      for (const [key, item] of Object.entries(value)) out[key] = inner(item);
      if (value.cause !== undefined) out.cause = inner(value.cause);
      return out;
    }
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, inner(item)]));
  } finally {
    ancestors.delete(value);
  }
}

export interface LoggerOptions {
  level?: string;
  pretty?: boolean;
  /** Where JSON lines go (default: stderr); tests pass a stream. */
  destination?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.BORGOPS_LOG_LEVEL ?? 'info';
  const base = {
    level,
    redact: { paths: redactPaths, censor: '[redacted]' },
    formatters: {
      // nested too: err.message, err.stack, a cause, a borg line inside an object
      log(object: Record<string, unknown>) {
        return redactDeep(object) as Record<string, unknown>;
      },
    },
    hooks: {
      logMethod(args: unknown[], method: (...rest: unknown[]) => void) {
        const [first, ...rest] = args;
        // pino takes an Error's message as the line's msg, past the formatter: give it a redacted one
        const shaped =
          first instanceof Error
            ? [{ err: first }, typeof rest[0] === 'string' ? rest[0] : first.message, ...rest.slice(1)]
            : args;
        method.apply(
          this,
          shaped.map((arg) => (typeof arg === 'string' ? redactText(arg) : arg)),
        );
      },
    },
  };
  if (options.pretty) {
    // a stream, not a transport: transports load modules by name in a worker, which a bundle cannot
    return pino(base, pretty({ destination: 2, colorize: true, sync: true }));
  }
  return pino(base, options.destination ?? pino.destination({ dest: 2, sync: true }));
}

/** A logger that drops everything, for pure code paths and tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
