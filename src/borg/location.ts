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

/** Why borgops refuses a repository location, or undefined: a relative local path means another directory to every caller. */
export function repositoryProblem(repo: string): string | undefined {
  if (repo.startsWith('ssh://') || scpStyle.test(repo)) return undefined;
  const path = repo.startsWith('file://') ? repo.slice('file://'.length) : repo;
  if (path.startsWith('/')) return undefined;
  return `must be an absolute path, user@host:path or ssh://user@host:port/path; "${repo}" is a relative path, which init and backups would read against different directories`;
}
