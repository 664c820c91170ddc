import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { authorizedKeyLine } from '../../src/desired/authorized-keys.js';
import type { AuthorizedKey, DesiredState, Resource } from '../../src/desired/types.js';
import { type HostPaths, underRoot } from '../../src/host/paths.js';
import type { JobFile, ScheduledJob } from '../../src/host/schedulers/types.js';
import { authorizedKeysPath } from '../../src/host/served.js';
import { compareStrings } from '../../src/util/compare.js';
import { article } from '../../src/util/words.js';
import { unifiedDiff } from './diff.js';
import type { ChangeType, FilePatch, PreviewKind, ResourceChange, SettingChange } from './model.js';
import { redactValue } from './redact.js';
import {
  keepSettings,
  keepText,
  keepTightened,
  repositorySettings,
  scheduleSettings,
  servedSettings,
  stateSettings,
} from './settings.js';

/** A compiled resource, or a state (its folders; its scripts are hooks). */
export type Item = Resource | { kind: 'state'; id: string; state: DesiredState };

export interface ItemContext {
  machine: string;
  paths: HostPaths;
  scheduler: string;
  renderSchedule(job: ScheduledJob): JobFile[];
  jobCommand(machine: string, destination: string): string[];
}

const labels = { before: 'base', after: 'head' };

function unified(path: string, before: string, after: string): Omit<FilePatch, 'path'> {
  const diff = redactValue(unifiedDiff({ path, before, after }, labels));
  let added = 0;
  let removed = 0;
  for (const line of diff.split('\n')) {
    if (line.startsWith('+') && !line.startsWith('+++ ')) added += 1;
    else if (line.startsWith('-') && !line.startsWith('--- ')) removed += 1;
  }
  return { diff, added, removed };
}

/**
 * A unified diff of one file between base and head, with secrets in it redacted. Computed when
 * first read: a fleet-wide change has thousands, and a PR comment shows a few dozen. The fields
 * are enumerable getters, so JSON and the text renderer still see plain data.
 */
export function patchOf(path: string, before: string, after: string): FilePatch {
  let computed: Omit<FilePatch, 'path'> | undefined;
  const get = () => {
    computed ??= unified(path, before, after);
    return computed;
  };
  const patch = { path };
  return Object.defineProperties(patch, {
    diff: { enumerable: true, get: () => get().diff },
    added: { enumerable: true, get: () => get().added },
    removed: { enumerable: true, get: () => get().removed },
  }) as typeof patch & Omit<FilePatch, 'path'>;
}

function patches(before: readonly JobFile[], after: readonly JobFile[]): FilePatch[] {
  const paths = [...new Set([...before.map((f) => f.path), ...after.map((f) => f.path)])].sort(
    compareStrings,
  );
  return paths.flatMap((path) => {
    const old = before.find((f) => f.path === path)?.content ?? '';
    const now = after.find((f) => f.path === path)?.content ?? '';
    return old === now ? [] : [patchOf(path, old, now)];
  });
}

function jobFiles(item: Item | undefined, context: ItemContext): JobFile[] {
  if (item?.kind !== 'schedule') return [];
  return context.renderSchedule({
    machine: context.machine,
    destination: item.destination,
    startAt: item.startAt,
    staggerSeconds: item.staggerSeconds,
    command: context.jobCommand(context.machine, item.destination),
  });
}

function keyLine(item: Item | undefined, context: ItemContext): string | undefined {
  if (item?.kind !== 'authorized-key') return undefined;
  return authorizedKeyLine(item.key, underRoot(context.paths.root, item.key.repository));
}

function lineOf(item: Item | undefined, context: ItemContext): string {
  const line = keyLine(item, context);
  return line === undefined ? '' : `${line}\n`;
}

function keysFile(key: AuthorizedKey, context: ItemContext): string {
  return authorizedKeysPath(context.paths.root, key.home);
}

interface Described {
  summary: string;
  settings?: SettingChange[];
  files?: FilePatch[];
  destructive?: boolean;
}

function added(item: Item, context: ItemContext): Described {
  switch (item.kind) {
    case 'state':
      return {
        summary: `back up state ${item.state.name}: ${item.state.folders.join(', ') || 'no folders'}`,
      };
    case 'ssh-key':
      return {
        summary: `generate this machine's ssh key (commit its .pub as machines/${context.machine}/borgbackup.ssh.pub)`,
      };
    case 'secret':
      return { summary: `generate the passphrase of ${item.destination} when its repository is created` };
    case 'repository':
      return {
        summary: `back up to ${item.destination.name} at ${redactValue(item.destination.repo)} (borg init --encryption ${item.destination.encryption.mode} when it does not exist)`,
      };
    case 'key-export':
      return {
        summary: `export the key of ${item.destination} once its repository exists (borg key export)`,
      };
    case 'retention':
      return {
        summary: `prune ${item.archivePrefix}* archives on ${item.destination}: keep ${keepText(item.keep)}`,
      };
    case 'hook': {
      const path = join(context.paths.hooksDir, item.hook.name);
      return { summary: `install ${path}`, files: [patchOf(path, '', item.hook.content)] };
    }
    case 'schedule':
      return {
        summary: `install ${article(context.scheduler)} job for ${item.destination} (${item.startAt.join(', ')})`,
        files: patches([], jobFiles(item, context)),
      };
    case 'served-repository':
      return { summary: `create ${item.served.path} for client ${item.served.client}` };
    case 'authorized-key': {
      const path = keysFile(item.key, context);
      return keyLine(item, context) === undefined
        ? { summary: `authorize ${item.key.client} once ${item.key.keyFile} is committed` }
        : {
            summary: `authorize ${item.key.client}'s key in ${path}`,
            files: [patchOf(path, '', lineOf(item, context))],
          };
    }
    case 'server-user':
      return {
        summary: `serve as user ${item.user.name} (home ${item.user.home}; created when borgops runs as root on /)`,
      };
  }
}

function removed(item: Item, context: ItemContext): Described {
  switch (item.kind) {
    case 'state':
      return {
        summary: `stop backing up state ${item.state.name} (${item.state.folders.join(', ') || 'no folders'}); existing archives keep it`,
        destructive: true,
      };
    case 'ssh-key':
      return { summary: "no destination needs this machine's ssh key any more (the key stays)" };
    case 'secret':
      return { summary: `${item.destination} no longer uses a generated passphrase (the file stays)` };
    case 'repository':
      return {
        summary: `stop backing up to ${item.destination.name}; ${redactValue(item.destination.repo)} and its archives stay (borgops never deletes a repository)`,
      };
    case 'key-export':
      return { summary: `${item.destination} no longer has a key to export (the exported key stays)` };
    case 'retention':
      return { summary: `stop pruning ${item.archivePrefix}* archives on ${item.destination} (they stay)` };
    case 'hook': {
      const path = join(context.paths.hooksDir, item.hook.name);
      return { summary: `remove ${path}`, files: [patchOf(path, item.hook.content, '')], destructive: true };
    }
    case 'schedule':
      return {
        summary: `remove the ${context.scheduler} job of ${item.destination}`,
        files: patches(jobFiles(item, context), []),
        destructive: true,
      };
    case 'served-repository':
      return { summary: `stop serving ${item.served.client}; ${item.served.path} stays` };
    case 'authorized-key': {
      const path = keysFile(item.key, context);
      const line = keyLine(item, context);
      return {
        summary: `revoke ${item.key.client}'s key in ${path} (its repository stays)`,
        files: line === undefined ? [] : [patchOf(path, lineOf(item, context), '')],
        destructive: line !== undefined,
      };
    }
    case 'server-user':
      return { summary: `no longer serve as user ${item.user.name} (the user stays)` };
  }
}

/** What changed between two versions of one item; undefined when nothing did. */
function changed(before: Item, after: Item, context: ItemContext): Described | undefined {
  if (before.kind === 'state' && after.kind === 'state') {
    const settings = stateSettings(before.state, after.state);
    if (settings.length === 0) return undefined;
    const dropped = settings.some((s) => s.after === undefined);
    return { summary: `change the folders of state ${after.state.name}`, settings, destructive: dropped };
  }
  if (before.kind === 'repository' && after.kind === 'repository') {
    const settings = repositorySettings(before.destination, after.destination);
    if (settings.length === 0) return undefined;
    return { summary: `change the repository settings of ${after.destination.name}`, settings };
  }
  if (before.kind === 'retention' && after.kind === 'retention') {
    if (isDeepStrictEqual(before.keep, after.keep) && before.archivePrefix === after.archivePrefix)
      return undefined;
    return {
      summary: `change the retention of ${after.destination}`,
      settings: keepSettings(after.destination, before.keep, after.keep),
      destructive: keepTightened(before.keep, after.keep),
    };
  }
  if (before.kind === 'hook' && after.kind === 'hook') {
    if (before.hook.content === after.hook.content) return undefined;
    const path = join(context.paths.hooksDir, after.hook.name);
    return { summary: `update ${path}`, files: [patchOf(path, before.hook.content, after.hook.content)] };
  }
  if (before.kind === 'schedule' && after.kind === 'schedule') {
    const settings = scheduleSettings(after.destination, before, after);
    const files = patches(jobFiles(before, context), jobFiles(after, context));
    if (settings.length === 0 && files.length === 0) return undefined;
    return { summary: `update the ${context.scheduler} job of ${after.destination}`, settings, files };
  }
  if (before.kind === 'served-repository' && after.kind === 'served-repository') {
    const settings = servedSettings(before.served, after.served);
    if (settings.length === 0) return undefined;
    return { summary: `change how ${after.served.client} is served`, settings };
  }
  if (before.kind === 'authorized-key' && after.kind === 'authorized-key') {
    const [from, to] = [keysFile(before.key, context), keysFile(after.key, context)];
    if (keyLine(before, context) === keyLine(after, context) && from === to) return undefined;
    return {
      summary: `update ${after.key.client}'s key in ${to}`,
      files:
        from === to
          ? [patchOf(to, lineOf(before, context), lineOf(after, context))]
          : [patchOf(from, lineOf(before, context), ''), patchOf(to, '', lineOf(after, context))],
    };
  }
  // ssh-key and secret resources carry nothing that can change
  return isDeepStrictEqual(before, after) ? undefined : { summary: `update ${after.id}` };
}

/** One item of a machine between base and head, in words and diffs; undefined when unchanged. */
export function itemChange(
  before: Item | undefined,
  after: Item | undefined,
  context: ItemContext,
): ResourceChange | undefined {
  const item = after ?? before;
  if (item === undefined) return undefined;
  let change: ChangeType;
  let described: Described | undefined;
  if (before === undefined) {
    change = 'added';
    described = added(item, context);
  } else if (after === undefined) {
    change = 'removed';
    described = removed(item, context);
  } else {
    change = 'changed';
    described = changed(before, after, context);
  }
  if (described === undefined) return undefined;
  return {
    id: item.id,
    kind: item.kind satisfies PreviewKind,
    change,
    destructive: described.destructive ?? false,
    summary: described.summary,
    settings: described.settings ?? [],
    files: described.files ?? [],
  };
}
