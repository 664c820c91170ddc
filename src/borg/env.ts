import { shellQuote } from '../util/shell-quote.js';
import type { BorgTarget } from './types.js';

/** The fd borg reads a passphrase file from (BORG_PASSPHRASE_FD), the 4th entry of `stdio`. */
export const PASSPHRASE_FD = 3;

// Inherited variables that would override what the target declares or leak a secret into borg.
const INHERITED_BLOCKLIST = new Set([
  'BORG_PASSPHRASE',
  'BORG_PASSCOMMAND',
  'BORG_PASSPHRASE_FD',
  'BORG_NEW_PASSPHRASE',
  'BORG_RSH',
  'BORG_REPO',
  'BORG_REMOTE_PATH',
  // borg would read (or, at init, write) the key there instead of where the target says
  'BORG_KEY_FILE',
]);

/*
 * No prompt may ever wait for an answer. A relocated repository is accepted: its location is
 * declared in reviewed git commits, the authority a person would otherwise confirm. Deleting
 * or repairing a whole repository is refused. An unknown unencrypted repository is accepted
 * only where no passphrase is declared (see borgEnvironment). stdin is closed as well, so
 * anything else that asks gets EOF.
 */
const FIXED = {
  BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'no',
  BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes',
  BORG_CHECK_I_KNOW_WHAT_I_AM_DOING: 'NO',
  BORG_DELETE_I_KNOW_WHAT_I_AM_DOING: 'NO',
  BORG_DISPLAY_PASSPHRASE: 'no',
  BORG_EXIT_CODES: 'modern',
} as const;

/** How long ssh may wait: a silent link and a connection attempt fail instead of hanging a run. */
export interface SshTimeouts {
  serverAliveInterval: number;
  serverAliveCountMax: number;
  connectTimeout: number;
}

/** borgops's default: a dead link fails within about a minute (ServerAliveInterval=15 × 4). */
export const DEFAULT_SSH_TIMEOUT_SECONDS = 60;

/** Timeouts from one number of seconds: keepalives every quarter of it, connecting within a third. */
export function sshTimeouts(seconds: number = DEFAULT_SSH_TIMEOUT_SECONDS): SshTimeouts {
  const interval = Math.max(1, Math.floor(seconds / 4));
  return {
    serverAliveInterval: interval,
    serverAliveCountMax: Math.max(1, Math.floor(seconds / interval)),
    connectTimeout: Math.max(1, Math.ceil(seconds / 3)),
  };
}

/**
 * A BORG_RSH that can never prompt nor hang on a dead link. ssh options are first-wins, so what a
 * declared rsh sets itself (BatchMode=no, its own ServerAliveInterval) still wins.
 */
export function batchRsh(
  rsh: string | undefined,
  timeouts: SshTimeouts = sshTimeouts(),
  logFile?: string,
): string {
  return [
    rsh ?? 'ssh',
    '-o BatchMode=yes',
    `-o ServerAliveInterval=${timeouts.serverAliveInterval}`,
    `-o ServerAliveCountMax=${timeouts.serverAliveCountMax}`,
    `-o ConnectTimeout=${timeouts.connectTimeout}`,
    ...(logFile === undefined ? [] : [`-E ${shellQuote(logFile)}`]),
  ].join(' ');
}

export function borgEnvironment(
  base: Readonly<Record<string, string | undefined>>,
  target: BorgTarget | undefined,
  timeouts?: SshTimeouts,
  sshLogFile?: string,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value !== undefined && !INHERITED_BLOCKLIST.has(key)) env[key] = value;
  }
  Object.assign(env, FIXED);
  if (target === undefined) return env;
  env.BORG_RSH = batchRsh(target.rsh, timeouts, sshLogFile);
  const passphrase = target.passphrase;
  // every passphrase goes through the pipe, a passCommand's output too (run once, not per process)
  if (passphrase.kind !== 'none') env.BORG_PASSPHRASE_FD = String(PASSPHRASE_FD);
  else {
    // An empty passphrase instead of none: borg then fails with PassphraseWrong on an encrypted
    // repository instead of asking on the terminal.
    env.BORG_PASSPHRASE = '';
    // Unencrypted is what was declared. With a passphrase declared, a repository that turns out
    // unencrypted (swapped before first contact) is refused instead of silently written in clear.
    env.BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK = 'yes';
  }
  return env;
}
