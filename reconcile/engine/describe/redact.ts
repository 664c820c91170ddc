import { redactUrl } from '../../../src/log.js';

// `sshpass -p PW`, `--password PW` / `--password=PW`, `BORG_PASSPHRASE=PW` and the like in a command line
const passwordFlag = /(\bsshpass\s+-p\s*|--pass(?:word|phrase)?[=\s]+)("[^"]*"|'[^']*'|\S+)/gi;
const secretAssignment =
  /(\b[A-Z0-9_]*(?:PASS|PASSWORD|PASSPHRASE|SECRET|TOKEN)[A-Z0-9_]*=)("[^"]*"|'[^']*'|\S+)/g;

/**
 * A declared value as a preview may show it: credentials in URLs and password arguments of a
 * command line (an `rsh` may carry `sshpass -p …`) replaced by `***`.
 */
export function redactValue(text: string): string {
  let shown = redacted.get(text);
  if (shown === undefined) {
    shown = redactUrl(text).replace(passwordFlag, '$1***').replace(secretAssignment, '$1***');
    if (redacted.size >= REDACTED_KEPT) redacted.clear();
    redacted.set(text, shown);
  }
  return shown;
}

/**
 * Values already redacted: a fleet-wide change shows the same few values (`daily 7`, a calendar,
 * a repository URL) on thousands of machines, each through three regular expressions. Bounded;
 * it holds nothing the loaded declarations do not hold already.
 */
const redacted = new Map<string, string>();
const REDACTED_KEPT = 10_000;
