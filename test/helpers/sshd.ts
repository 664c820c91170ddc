import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { onTestFinished } from 'vitest';
import { tempDir } from './temp.js';

export const SSHD = '/usr/sbin/sshd';
export const hasSshd = existsSync(SSHD);

export interface SshServer {
  port: number;
  /** `user@127.0.0.1`, the user running the tests. */
  login: string;
  /** A BORG_RSH for a key (no BatchMode: the adapter adds it). */
  rsh(key: string): string;
  /** The key the server accepts, forced to `cd <dir> && borg serve --restrict-to-repository .`. */
  clientKey: string;
  /** A key the server does not know. */
  strangerKey: string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function keygen(path: string): Promise<void> {
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path]);
}

/**
 * A real sshd on 127.0.0.1 (machine-notes.md) whose one authorized key may only run
 * `borg serve --restrict-to-repository .` in `servedDir`, as clan's server role sets it up.
 * Stopped when the test ends.
 */
export async function sshServer(servedDir: string): Promise<SshServer> {
  const dir = await tempDir('borgops-sshd-');
  const port = await freePort();
  const [hostKey, clientKey, strangerKey] = ['host', 'client', 'stranger'].map((name) => join(dir, name));
  for (const key of [hostKey, clientKey, strangerKey]) await keygen(key ?? '');
  const publicKey = (await readFile(`${clientKey}.pub`, 'utf8')).trim();
  await writeFile(
    join(dir, 'authorized_keys'),
    `command="cd ${servedDir} && borg serve --restrict-to-repository .",restrict ${publicKey}\n`,
  );
  const config = join(dir, 'sshd_config');
  await writeFile(
    config,
    [
      'ListenAddress 127.0.0.1',
      `Port ${port}`,
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'UsePAM no',
      'StrictModes no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      `PidFile ${join(dir, 'sshd.pid')}`,
      // sessions must not read the login user's shell startup files: on a developer machine they
      // may run slow or locking tools (pyenv rehash) that make a borg serve wait or hang
      `SetEnv HOME=${dir}`,
      '',
    ].join('\n'),
  );
  await mkdir('/run/sshd', { recursive: true }).catch(() => undefined);
  const daemon = execa(SSHD, ['-D', '-e', '-f', config], { reject: false, stdin: 'ignore' });
  onTestFinished(async () => {
    daemon.kill('SIGTERM');
    await daemon;
  });
  for (let attempt = 0; attempt < 200 && !(await listening(port)); attempt += 1) {
    if (daemon.exitCode !== null) throw new Error(`sshd ended: ${(await daemon).stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const known = join(dir, 'known_hosts');
  return {
    port,
    login: `${userInfo().username}@127.0.0.1`,
    rsh: (key) =>
      `ssh -p ${port} -i ${key} -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=${known} -o LogLevel=ERROR`,
    clientKey: clientKey ?? '',
    strangerKey: strangerKey ?? '',
  };
}
