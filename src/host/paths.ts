import { join, posix, resolve } from 'node:path';

/**
 * Every host path borgops manages, under `--root` (design.md: like a chroot prefix) and the
 * state directory (default `<root>/var/lib/borgops`). One place, so no module invents its own.
 */
export interface HostPaths {
  root: string;
  stateDir: string;
  /** `pre-backup-<state>` … scripts, mode 0700. */
  hooksDir: string;
  /** Generated passphrases (`<destination>.passphrase`) and exported keys (`<destination>.key`), 0600. */
  secretsDir: string;
  /** The machine's own SSH key for server destinations (ed25519, 0600) and its `.pub`. */
  sshKey: string;
  /** known_hosts borgops passes to ssh (pinned keys, and accept-new learned ones). */
  knownHosts: string;
  /** What borgops created, so it deletes only that (Flux's inventory). */
  ledger: string;
  /** One apply at a time per state directory. */
  lock: string;
  /** One backup or restore run at a time per state directory (scripts of two runs never overlap). */
  backupLock: string;
  /** One `watch` agent per state directory (two would run every scheduled backup twice). */
  agentLock: string;
  /** The last applied declarations, so scheduled backups work while git is unreachable. */
  applied: string;
  /** Per destination backup runs (last attempt, last success, …). */
  runs: string;
  /** The scripts bash accepted on this host (`bash -n` is asked only about new ones). */
  bashSyntax: string;
  /** Reconcile status (applied commit, conditions), read by `status` and `/status`. */
  status: string;
  /** Notifications receivers did not take, counted per receiver (`borgops_notify_failures_total`). */
  notify: string;
  /** Which overdue checks and drills were notified, so each overdue spell is told once. */
  overdueNotices: string;
  /** The embedded scheduler's table. */
  schedule: string;
  /** On a server: the last observations of each served repository (growth, shrinks). */
  served: string;
  /** Mirror clones of remote config repositories. */
  mirrors: string;
  /** systemd units (`<root>/etc/systemd/system`). */
  unitsDir: string;
}

export function hostPaths(root: string, stateDir?: string): HostPaths {
  const absoluteRoot = resolve(root);
  const state = stateDir === undefined ? join(absoluteRoot, 'var/lib/borgops') : resolve(stateDir);
  return {
    root: absoluteRoot,
    stateDir: state,
    hooksDir: join(state, 'hooks'),
    secretsDir: join(state, 'secrets'),
    sshKey: join(state, 'ssh', 'borgbackup.ssh'),
    knownHosts: join(state, 'ssh', 'known_hosts'),
    ledger: join(state, 'ledger.json'),
    lock: join(state, 'apply.lock'),
    backupLock: join(state, 'backups.lock'),
    agentLock: join(state, 'watch.lock'),
    applied: join(state, 'applied'),
    runs: join(state, 'runs.json'),
    bashSyntax: join(state, 'bash-syntax.json'),
    status: join(state, 'status.json'),
    notify: join(state, 'notify.json'),
    overdueNotices: join(state, 'overdue-notices.json'),
    schedule: join(state, 'schedule.json'),
    served: join(state, 'served.json'),
    mirrors: join(state, 'mirrors'),
    unitsDir: join(absoluteRoot, 'etc/systemd/system'),
  };
}

/** A declared absolute path (a state folder, a server directory) as seen under `--root`. */
export function underRoot(root: string, declared: string): string {
  return join(resolve(root), declared);
}

/**
 * A declared absolute folder as borg stores it when run with cwd `<root>`: `/srv/app` → `srv/app`
 * (what a backup at `/` stores too), `/` → `.`.
 */
export function archivePath(declared: string): string {
  return posix.relative('/', posix.resolve('/', declared)) || '.';
}
