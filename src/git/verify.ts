import { loadExeca } from '../util/execa.js';
import { type GitSource, gitEnv } from './source.js';

export interface VerifyOptions {
  /** git's SSH signing: an allowed_signers file (`gpg.ssh.allowedSignersFile`). */
  allowedSigners?: string;
  /** A GnuPG home whose keyring holds the allowed keys (GNUPGHOME). */
  gpgHome?: string;
}

export interface Verification {
  ok: boolean;
  /** git's own words: `Good "git" signature for alice@example.com with ED25519 key SHA256:…`, or why not. */
  message: string;
}

/** Whether a commit is signed by an allowed key (git verify-commit), like Flux's verification. */
export async function verifyCommit(
  source: GitSource,
  commit: string,
  options: VerifyOptions,
): Promise<Verification> {
  const config: string[] = [];
  if (options.allowedSigners !== undefined)
    config.push('-c', `gpg.ssh.allowedSignersFile=${options.allowedSigners}`);
  const env: Record<string, string> = { ...gitEnv() };
  if (options.gpgHome !== undefined) env.GNUPGHOME = options.gpgHome;
  const execa = await loadExeca();
  const result = await execa('git', [...config, 'verify-commit', '--', commit], {
    cwd: source.dir,
    env,
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  });
  const output = `${result.stderr}`
    .trim()
    .split('\n')
    .filter((line) => line !== '');
  if (result.exitCode === 0)
    return { ok: true, message: output.find((line) => /Good/.test(line)) ?? 'good signature' };
  const reason = output.at(-1) ?? 'no signature';
  return {
    ok: false,
    message: /no signature/i.test(reason) || output.length === 0 ? 'the commit is not signed' : reason,
  };
}
