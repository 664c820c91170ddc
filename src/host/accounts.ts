import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BorgopsError } from '../errors.js';
import { loadExeca } from '../util/execa.js';
import { orAbsent } from './fs-error.js';

/** A passwd entry. */
export interface SystemUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

/** sshd runs a forced command with the user's shell (`shell -c command`): nologin would refuse it. */
export const SERVER_SHELL = '/bin/sh';

/**
 * borgops creates users and changes owners only as root on the machine itself (`--root /`):
 * anywhere else (a test root, an unprivileged run) it never touches /etc or ownership.
 */
export function managesAccounts(root: string): boolean {
  return resolve(root) === '/' && process.getuid?.() === 0;
}

function parsePasswd(line: string): SystemUser | undefined {
  const [name, , uid, gid, , home, shell] = line.split(':');
  if (name === undefined || uid === undefined || gid === undefined || home === undefined) return undefined;
  return { name, uid: Number(uid), gid: Number(gid), home, shell: shell ?? '' };
}

/**
 * The user's passwd entry, or undefined. On `/` through getent (NSS: LDAP users count too);
 * under another prefix (tests) from `<prefix>/etc/passwd`, as `useradd --prefix` writes it.
 */
export async function lookupUser(name: string, prefix = '/'): Promise<SystemUser | undefined> {
  if (resolve(prefix) === '/') {
    const execa = await loadExeca();
    const result = await execa('getent', ['passwd', name], { reject: false, stdin: 'ignore' });
    // getent: 2 means "no such key"
    if (result.exitCode === 2) return undefined;
    if (result.exitCode !== 0) {
      throw new BorgopsError('E_HOST', `cannot look up user ${name}: getent exited ${result.exitCode}`);
    }
    return parsePasswd(String(result.stdout).split('\n')[0] ?? '');
  }
  const passwd = join(prefix, 'etc/passwd');
  const text = (await orAbsent(readFile(passwd, 'utf8'), 'read', passwd)) ?? '';
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}:`)) return parsePasswd(line);
  }
  return undefined;
}

/**
 * `useradd --system` with the server directory as home and a shell that can run the forced
 * command, and a group of its own. Never called for a user that exists: borgops does not
 * change users it did not create.
 */
export async function createSystemUser(
  user: { name: string; home: string },
  prefix = '/',
): Promise<SystemUser> {
  const args = [
    '--system',
    '--home-dir',
    user.home,
    '--no-create-home',
    '--shell',
    SERVER_SHELL,
    '--user-group',
    '--comment',
    'borg repositories served by borgops',
    ...(resolve(prefix) === '/' ? [] : ['--prefix', resolve(prefix)]),
    user.name,
  ];
  const execa = await loadExeca();
  const result = await execa('useradd', args, { reject: false, stdin: 'ignore', all: true });
  if (result.exitCode !== 0) {
    throw new BorgopsError(
      'E_HOST',
      `cannot create the system user ${user.name}: useradd exited ${result.exitCode}`,
      {
        details: String(result.all ?? '')
          .split('\n')
          .filter(Boolean)
          .slice(0, 5),
      },
    );
  }
  const created = await lookupUser(user.name, prefix);
  if (!created) throw new BorgopsError('E_HOST', `useradd did not create ${user.name}`);
  return created;
}
