import type { ResolvedReceiver } from '../config/notify.js';
import { loadExeca } from '../util/execa.js';
import { shlexSplit } from '../util/shlex.js';
import type { ReceiverSecrets } from './requests.js';

/** A receiver whose secrets could not be had; the message names the setting, never its output. */
export class SecretsError extends Error {
  override readonly name = 'SecretsError';
}

const COMMAND_TIMEOUT_MS = 10_000;

/** Runs a declared command (argv, never a shell) and returns its first line of output. */
async function printed(setting: string, command: string, signal: AbortSignal | undefined): Promise<string> {
  let argv: string[];
  try {
    argv = shlexSplit(command);
  } catch {
    throw new SecretsError(`${setting} is not a command line`);
  }
  if (argv.length === 0) throw new SecretsError(`${setting} is not a command line`);
  const [file, ...args] = argv as [string, ...string[]];
  const execa = await loadExeca();
  const result = await execa(file, args, {
    reject: false,
    timeout: COMMAND_TIMEOUT_MS,
    stdin: 'ignore',
    stripFinalNewline: true,
    ...(signal === undefined ? {} : { cancelSignal: signal }),
  });
  if (result.failed) {
    const why =
      result.exitCode !== undefined
        ? `exit code ${result.exitCode}`
        : result.timedOut
          ? 'timed out'
          : result.isCanceled
            ? 'cancelled'
            : 'could not run';
    throw new SecretsError(`${setting} failed (${why})`);
  }
  const value = String(result.stdout).split('\n')[0]?.trim() ?? '';
  if (value === '') throw new SecretsError(`${setting} printed nothing`);
  return value;
}

/** The receiver's URL, secret and token: declared, or printed by their commands. */
export async function receiverSecrets(
  receiver: ResolvedReceiver,
  signal?: AbortSignal,
): Promise<ReceiverSecrets> {
  const url = receiver.url ?? (await printed('urlCommand', receiver.urlCommand ?? '', signal));
  let parsed: URL;
  try {
    parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new SecretsError('urlCommand did not print an http:// or https:// URL');
  }
  // fetch refuses such a URL, with an error that quotes it whole
  if (parsed.username !== '' || parsed.password !== '') {
    const setting = receiver.url === undefined ? 'urlCommand printed' : 'url is';
    throw new SecretsError(`${setting} a URL with a user name or password (fetch refuses them)`);
  }
  return {
    url,
    ...(receiver.secretCommand === undefined
      ? {}
      : { secret: await printed('secretCommand', receiver.secretCommand, signal) }),
    ...(receiver.tokenCommand === undefined
      ? {}
      : { token: await printed('tokenCommand', receiver.tokenCommand, signal) }),
  };
}
