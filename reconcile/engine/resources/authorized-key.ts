import { authorizedKeyLine } from '../../../src/desired/authorized-keys.js';
import { nameOf } from '../../../src/desired/ids.js';
import type { AuthorizedKey } from '../../../src/desired/types.js';
import { underRoot } from '../../../src/host/paths.js';
import { authorizedKeysPath, readAuthorizedKeys, updateAuthorizedKeys } from '../../../src/host/served.js';
import { patchOf } from '../describe/patch.js';
import type { BaseAction } from '../model.js';
import {
  type KindModule,
  ledgerIds,
  ofKind,
  type PlanInput,
  type PlanOutput,
  type PreviewContext,
  type ResourceOf,
} from './kind.js';
import { ownerOf } from './server-user.js';

/**
 * One restricted authorized_keys line per client with a committed key, in its server user's file.
 * Lines borgops did not write are never touched; a removed client's line is revoked.
 */

export type AuthorizedKeyAction = BaseAction & {
  op: 'authorized-key.set';
  kind: 'authorized-key';
  client: string;
  file: string;
  remove: string[];
  add: string[];
  /** The user to own the file, its `.ssh` and home: only when borgops manages accounts. */
  owner?: string;
};

/** authorized_keys files of this machine's server users: their lines, null when absent. */
type ObservedKeys = { authorizedKeys: Record<string, string[] | null> };

function planDeclared({ desired, actual, options: { paths } }: PlanInput, out: PlanOutput): void {
  for (const { id, key } of ofKind(desired, 'authorized-key')) {
    const repository = underRoot(paths.root, key.repository);
    const line = authorizedKeyLine(key, repository);
    if (line === undefined) continue;
    const file = authorizedKeysPath(paths.root, key.home);
    const lines = actual.authorizedKeys[file] ?? [];
    const previous = (actual.ledger.entries[id]?.lines ?? []).filter(
      (written) => written !== line && lines.includes(written),
    );
    if (lines.includes(line) && previous.length === 0) continue;
    out.actions.push({
      op: 'authorized-key.set',
      id,
      kind: 'authorized-key',
      client: key.client,
      file,
      remove: previous,
      add: [line],
      ...(actual.accounts.managed ? { owner: key.user } : {}),
      effect: previous.length > 0 ? 'mutating' : 'additive',
      summary: `${previous.length > 0 ? 'update' : 'authorize'} ${key.client}'s key in ${file} (restricted to ${repository}${key.appendOnly ? ', append-only' : ''})`,
    });
  }
}

function planRevoked({ actual, declared }: PlanInput, out: PlanOutput): void {
  for (const id of ledgerIds(actual, 'authorized-key')) {
    if (declared.has(id)) continue;
    const entry = actual.ledger.entries[id]!;
    for (const file of entry.paths ?? []) {
      const present = (entry.lines ?? []).filter((line) => actual.authorizedKeys[file]?.includes(line));
      if (present.length === 0) continue;
      const client = nameOf(id);
      out.actions.push({
        op: 'authorized-key.set',
        id,
        kind: 'authorized-key',
        client,
        file,
        remove: present,
        add: [],
        effect: 'destructive',
        summary: `revoke ${client}'s key in ${file} (its repository stays)`,
      });
    }
  }
}

function keyLine(key: AuthorizedKey, context: PreviewContext): string | undefined {
  return authorizedKeyLine(key, underRoot(context.paths.root, key.repository));
}

function lineOf(key: AuthorizedKey, context: PreviewContext): string {
  const line = keyLine(key, context);
  return line === undefined ? '' : `${line}\n`;
}

function keysFile(key: AuthorizedKey, context: PreviewContext): string {
  return authorizedKeysPath(context.paths.root, key.home);
}

export const authorizedKey: KindModule<AuthorizedKeyAction, ObservedKeys, ResourceOf<'authorized-key'>> = {
  kind: 'authorized-key',

  async observe({ context, desired, ledger }) {
    const files = new Set([
      ...desired.authorizedKeys.map((k) => authorizedKeysPath(context.paths.root, k.home)),
      ...Object.values(ledger.entries).flatMap((entry) =>
        entry.kind === 'authorized-key' ? (entry.paths ?? []) : [],
      ),
    ]);
    const authorizedKeys: ObservedKeys['authorizedKeys'] = {};
    for (const file of [...files].sort()) authorizedKeys[file] = (await readAuthorizedKeys(file)) ?? null;
    return { authorizedKeys };
  },

  plan(input, out) {
    planDeclared(input, out);
    planRevoked(input, out);
  },

  async apply(action, { record }) {
    await updateAuthorizedKeys(
      action.file,
      action.remove,
      action.add,
      action.owner === undefined ? undefined : await ownerOf(action.owner),
    );
    await record(
      action.id,
      action.add.length === 0
        ? undefined
        : { kind: 'authorized-key', paths: [action.file], lines: action.add },
    );
  },

  preview: {
    added({ key }, context) {
      const path = keysFile(key, context);
      return keyLine(key, context) === undefined
        ? { summary: `authorize ${key.client} once ${key.keyFile} is committed` }
        : {
            summary: `authorize ${key.client}'s key in ${path}`,
            files: [patchOf(path, '', lineOf(key, context))],
          };
    },
    removed({ key }, context) {
      const path = keysFile(key, context);
      const line = keyLine(key, context);
      return {
        summary: `revoke ${key.client}'s key in ${path} (its repository stays)`,
        files: line === undefined ? [] : [patchOf(path, lineOf(key, context), '')],
        destructive: line !== undefined,
      };
    },
    changed(before, after, context) {
      const [from, to] = [keysFile(before.key, context), keysFile(after.key, context)];
      if (keyLine(before.key, context) === keyLine(after.key, context) && from === to) return undefined;
      const [old, now] = [lineOf(before.key, context), lineOf(after.key, context)];
      return {
        summary: `update ${after.key.client}'s key in ${to}`,
        files: from === to ? [patchOf(to, old, now)] : [patchOf(from, old, ''), patchOf(to, '', now)],
      };
    },
  },
};
