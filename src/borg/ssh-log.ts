import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { orAbsent } from '../host/fs-error.js';
import { localRepositoryPath } from './location.js';
import type { BorgTarget } from './types.js';

/**
 * ssh's own messages (`Host key verification failed.`, `Permission denied (publickey).`,
 * `Timeout, server … not responding.`) written to a file of their own with `ssh -E`: borg reads
 * ssh's stderr and the closed connection in one loop and often reports only "Connection closed
 * by remote host", so the reason is read from here instead.
 */
export interface SshLog {
  path: string;
  /** The lines ssh wrote, then the file is gone. */
  collect(): Promise<string[]>;
}

/** A private log file for a remote target's ssh; none for a local one or an rsh that sets its own -E. */
export async function sshLog(target: BorgTarget | undefined): Promise<SshLog | undefined> {
  if (target === undefined || localRepositoryPath(target.repo) !== undefined) return undefined;
  if (target.rsh !== undefined && /(?:^|\s)-E/.test(target.rsh)) return undefined;
  const dir = await mkdtemp(join(tmpdir(), 'borgops-ssh-'));
  const path = join(dir, 'ssh.log');
  return {
    path,
    async collect() {
      // no log when ssh never started
      const text = (await orAbsent(readFile(path, 'utf8'), 'read', path)) ?? '';
      await rm(dir, { recursive: true, force: true });
      return text.split('\n').filter((line) => line.trim() !== '');
    },
  };
}

// chatter, not a reason: the accept-new notice and -v debug lines
const NOISE = /^(?:Warning: Permanently added |debug\d: |OpenSSH_)/;

/** Why ssh gave up, in its words: its last two meaningful lines ("No … host key is known … Host key verification failed."). */
export function sshReason(lines: readonly string[]): string | undefined {
  const meaningful = lines
    .map((line) => line.trim())
    .filter((line) => !NOISE.test(line) && !/^@+$/.test(line));
  const last = [...new Set(meaningful)].slice(-2);
  return last.length === 0 ? undefined : last.join(' ');
}
