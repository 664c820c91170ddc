import { resolve } from 'node:path';

// borg 1.2's scp-style location (helpers/parseformat.py): [user@]host:path, where host has no
// ":" or "/" (or is a bracketed IPv6 address) and the path does not start with ":", "//" or "ssh://".
const scpStyle = /^(?:[^@:/]+@)?(?:\[[0-9a-fA-F:.]+\]|(?!\[)[^:/]+(?<!\])):(?!:|\/\/|ssh:\/\/)./;

/**
 * The local directory of a repository, or undefined when borg reaches it over ssh. Mirrors
 * how borg 1.2 parses locations, so `/srv/a:b` is local and `host:backups` is remote.
 */
export function localRepositoryPath(repo: string, cwd: string = process.cwd()): string | undefined {
  if (repo.startsWith('ssh://')) return undefined;
  if (repo.startsWith('file://')) return resolve(cwd, repo.slice('file://'.length));
  if (scpStyle.test(repo)) return undefined;
  return resolve(cwd, repo);
}
