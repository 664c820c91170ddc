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
  return redactUrl(text).replace(passwordFlag, '$1***').replace(secretAssignment, '$1***');
}
