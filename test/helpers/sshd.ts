import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { onTestFinished } from 'vitest';
import { tempDir } from './temp.js';

export const SSHD = '/usr/sbin/sshd';
export const hasSshd = existsSync(SSHD);
/**
 * SSH tests skip only where sshd cannot be installed: never in CI nor as root (`.ci/run`
 * installs openssh-server), where a missing sshd is a failure instead.
 */
export const skipWithoutSshd = !hasSshd && process.env.CI === undefined && process.getuid?.() !== 0;
export const sshdSkipReason = 'skipped: no /usr/sbin/sshd here (`.ci/run` installs openssh-server)';

export async function freePort(): Promise<number> {
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

export async function keygen(path: string): Promise<string> {
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path]);
  return (await readFile(`${path}.pub`, 'utf8')).trim();
}

/** Every live process below `pid` (sshd's per-connection children call setsid: no process group holds them). */
async function descendants(pid: number): Promise<number[]> {
  const parents = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => undefined);
    // "pid (comm) state ppid …": comm may contain spaces and parentheses
    const ppid = stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
    if (ppid !== undefined) parents.set(Number(entry), Number(ppid));
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [child, ppid] of parents) {
      if (ppid === parent && !found.includes(child)) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

function signal(pids: readonly number[], name: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, name);
    } catch {
      // already gone
    }
  }
}

/** A real sshd on 127.0.0.1 (machine-notes.md): keys and port first, started once the keys file is known. */
export interface SshDaemon {
  dir: string;
  port: number;
  /** The user running the tests: the only one an sshd started by them can log in. */
  user: string;
  /** `ssh-ed25519 AAAA…`: what a server's `hostKey` setting pins. */
  hostPublicKey: string;
  /** Starts sshd reading exactly these authorized_keys files (AuthorizedKeysFile). */
  start(authorizedKeysFiles: readonly string[]): Promise<void>;
  /** SIGSTOP to sshd and everything it started (sessions, borg serve): a link that goes silent. */
  freeze(): Promise<void>;
  /**
   * Freezes sshd the moment a client's session runs `borg serve` (authenticated, borg started,
   * the client waiting for its answers): a server gone silent in the middle of a run.
   */
  freezeWhenServing(): Promise<void>;
  /** Ends sshd and everything it started (also when frozen), and removes its directory. */
  stop(): Promise<void>;
}

export async function sshDaemon(): Promise<SshDaemon> {
  if (!hasSshd) throw new Error(`${SSHD} is missing: apt-get install openssh-server (.ci/run does)`);
  const dir = await mkdtemp(join(tmpdir(), 'borgops-sshd-'));
  const port = await freePort();
  const hostKey = join(dir, 'host');
  const hostPublicKey = (await keygen(hostKey)).split(' ').slice(0, 2).join(' ');
  let daemon: ResultPromise | undefined;
  return {
    dir,
    port,
    user: userInfo().username,
    hostPublicKey,
    async start(authorizedKeysFiles) {
      const config = join(dir, 'sshd_config');
      await writeFile(
        config,
        [
          'ListenAddress 127.0.0.1',
          `Port ${port}`,
          `HostKey ${hostKey}`,
          `AuthorizedKeysFile ${authorizedKeysFiles.join(' ')}`,
          'UsePAM no',
          'StrictModes no',
          'PasswordAuthentication no',
          'KbdInteractiveAuthentication no',
          `PidFile ${join(dir, 'sshd.pid')}`,
          // sessions must not read the login user's shell startup files: on a developer machine
          // they may run locking tools (pyenv rehash) that a frozen or killed session leaves locked
          // and they find borg where the tests do (CI's second pass puts borg 1.4 first on PATH)
          `SetEnv HOME=${dir} "PATH=${process.env.PATH ?? '/usr/bin:/bin'}"`,
          '',
        ].join('\n'),
      );
      await mkdir('/run/sshd', { recursive: true }).catch(() => undefined);
      const started = execa(SSHD, ['-D', '-e', '-f', config], { reject: false, stdin: 'ignore' });
      daemon = started;
      for (let attempt = 0; attempt < 400 && !(await listening(port)); attempt += 1) {
        if (started.exitCode !== null) throw new Error(`sshd ended: ${(await started).stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async freeze() {
      if (daemon?.pid === undefined) throw new Error('sshd is not running');
      signal([daemon.pid, ...(await descendants(daemon.pid))], 'SIGSTOP');
    },
    async freezeWhenServing() {
      const pid = daemon?.pid;
      if (pid === undefined) throw new Error('sshd is not running');
      // sessions of earlier commands may still be ending: only a session started from now counts
      const earlier = new Set(await descendants(pid));
      for (let attempt = 0; attempt < 6000; attempt += 1) {
        const below = await descendants(pid);
        for (const child of below.filter((p) => !earlier.has(p))) {
          // borg itself (python3 /usr/bin/borg serve …), not the shell running the forced command
          const argv = (await readFile(`/proc/${child}/cmdline`, 'utf8').catch(() => '')).split('\0');
          if (!argv.some((word, i) => word.endsWith('borg') && argv[i + 1] === 'serve')) continue;
          signal([pid, ...below], 'SIGSTOP');
          // and whatever the session started since the scan
          signal(await descendants(pid), 'SIGSTOP');
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error('no client ran borg serve within 60 s');
    },
    async stop() {
      if (daemon?.pid !== undefined) {
        const pids = [daemon.pid, ...(await descendants(daemon.pid))];
        signal(pids, 'SIGKILL');
        signal(pids, 'SIGCONT');
        await daemon;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

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

/**
 * A real sshd whose one authorized key may only run `borg serve --restrict-to-repository .` in
 * `servedDir`, as clan's server role sets it up. Stopped when the test ends.
 */
export async function sshServer(servedDir: string): Promise<SshServer> {
  const dir = await tempDir('borgops-sshd-keys-');
  const daemon = await sshDaemon();
  onTestFinished(() => daemon.stop());
  const [clientKey, strangerKey] = ['client', 'stranger'].map((name) => join(dir, name)) as [string, string];
  const publicKey = await keygen(clientKey);
  await keygen(strangerKey);
  const authorizedKeys = join(dir, 'authorized_keys');
  await writeFile(
    authorizedKeys,
    `command="cd ${servedDir} && borg serve --restrict-to-repository .",restrict ${publicKey}\n`,
  );
  await daemon.start([authorizedKeys]);
  const known = join(dir, 'known_hosts');
  return {
    port: daemon.port,
    login: `${daemon.user}@127.0.0.1`,
    rsh: (key) =>
      `ssh -p ${daemon.port} -i ${key} -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=${known} -o LogLevel=ERROR`,
    clientKey,
    strangerKey,
  };
}
