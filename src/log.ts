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

export interface LoggerOptions {
  level?: string;
  pretty?: boolean;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.BORGOPS_LOG_LEVEL ?? 'info';
  const base = {
    level,
    redact: { paths: redactPaths, censor: '[redacted]' },
    formatters: {
      log(object: Record<string, unknown>) {
        for (const [key, value] of Object.entries(object)) {
          if (typeof value === 'string') object[key] = redactUrl(value);
        }
        return object;
      },
    },
  };
  if (options.pretty) {
    // a stream, not a transport: transports load modules by name in a worker, which a bundle cannot
    return pino(base, pretty({ destination: 2, colorize: true, sync: true }));
  }
  return pino(base, pino.destination({ dest: 2, sync: true }));
}

/** A logger that drops everything, for pure code paths and tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
