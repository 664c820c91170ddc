import { BorgopsError } from '../../src/errors.js';
import { DURATION_RULE, durationHint, parseDuration } from '../../src/util/duration.js';

/** A duration flag (`--interval 30s`, `--lock-timeout 5m`); a plain number is seconds, as before. */
export function durationFlag(value: string, flag: string, options: { positive?: boolean } = {}): number {
  const seconds = parseDuration(value, { plainSeconds: true });
  if (seconds === undefined || (options.positive && seconds === 0)) {
    const hint = durationHint(value);
    throw new BorgopsError(
      'E_USAGE',
      `${flag} must be ${options.positive ? `a positive ${DURATION_RULE.replace(/^a /, '')}` : DURATION_RULE} or a number of seconds, not "${value}"${hint ? `; ${hint}` : ''}`,
    );
  }
  return seconds;
}
