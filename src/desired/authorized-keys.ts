import { shellQuote } from '../util/shell-quote.js';
import type { AuthorizedKey } from './types.js';

/** `borg serve` confined to the client's repository, as clan and nixpkgs write it. */
export function forcedCommand(key: Pick<AuthorizedKey, 'appendOnly' | 'quota'>, repository: string): string {
  const options = ['--restrict-to-repository .'];
  if (key.appendOnly) options.push('--append-only');
  if (key.quota !== undefined) options.push(`--storage-quota ${key.quota}`);
  return `cd ${shellQuote(repository)} && borg serve ${options.join(' ')}`;
}

/**
 * The authorized_keys line of a client: `command="cd <repository> && borg serve
 * --restrict-to-repository .[ --append-only][ --storage-quota Q]",restrict <key>`, where
 * `repository` is the path sshd's shell will `cd` into on this host (the declared path under
 * --root). Undefined while the client's public key is not committed.
 */
export function authorizedKeyLine(key: AuthorizedKey, repository: string): string | undefined {
  if (key.publicKey === undefined) return undefined;
  // inside the quoted option sshd unescapes \" only
  const command = forcedCommand(key, repository).replaceAll('"', '\\"');
  return `command="${command}",restrict ${key.publicKey}`;
}
