import type { ServedRepository } from '../../../src/desired/types.js';
import { underRoot } from '../../../src/host/paths.js';
import { createServed, type ObservedServed, observeServed } from '../../../src/host/served.js';
import { servedSettings } from '../describe/settings.js';
import type { BaseAction } from '../model.js';
import { type KindModule, ledgerIds, ofKind, type ResourceOf } from './kind.js';
import { ownerOf } from './server-user.js';

/** A server's repository directory for one client: created (0700), never deleted. */

export type ServedAction = BaseAction & {
  op: 'served.create';
  kind: 'served-repository';
  client: string;
  /** The declared path (created under --root). */
  path: string;
  /** The user to own it (and its server directory): only when borgops manages accounts. */
  owner?: string;
};

function traitsOf(served: ServedRepository): string {
  return [served.appendOnly ? 'append-only' : '', served.quota ? `quota ${served.quota}` : '']
    .filter(Boolean)
    .map((trait) => ` (${trait})`)
    .join('');
}

export const servedRepository: KindModule<
  ServedAction,
  { served: Record<string, ObservedServed> },
  ResourceOf<'served-repository'>
> = {
  kind: 'served-repository',

  async observe({ context, desired }) {
    const served: Record<string, ObservedServed> = {};
    for (const repository of desired.served) {
      served[repository.client] = await observeServed(underRoot(context.paths.root, repository.path));
    }
    return { served };
  },

  // in resource order (by client), as every other kind
  plan({ desired, actual, declared, options: { paths } }, out) {
    const managed = actual.accounts.managed;
    for (const { id, served } of ofKind(desired, 'served-repository')) {
      const found = actual.served[served.client];
      const onHost = underRoot(paths.root, served.path);
      if (found?.exists && found.isDirectory) continue;
      if (found?.exists) {
        out.errors.push({ id, message: `${onHost} exists and is not a directory` });
        continue;
      }
      out.actions.push({
        op: 'served.create',
        id,
        kind: 'served-repository',
        client: served.client,
        path: served.path,
        ...(managed ? { owner: served.user } : {}),
        effect: 'additive',
        summary: `create ${onHost} (0700${managed ? `, owned by ${served.user}` : ''}) for client ${served.client}${traitsOf(served)}`,
      });
    }
    for (const id of ledgerIds(actual, 'served-repository')) {
      if (!declared.has(id)) out.notes.push(`${id} is no longer declared: its repository is left in place`);
    }
  },

  async apply(action, { context, record }) {
    const path = underRoot(context.paths.root, action.path);
    // only what borgops creates now is given to the user; what existed keeps its owner
    await createServed(path, action.owner === undefined ? undefined : await ownerOf(action.owner));
    await record(action.id, { kind: 'served-repository', paths: [action.path] });
  },

  forgetsUndeclared: true,

  preview: {
    added: ({ served }) => ({ summary: `create ${served.path} for client ${served.client}` }),
    removed: ({ served }) => ({ summary: `stop serving ${served.client}; ${served.path} stays` }),
    changed(before, after) {
      const settings = servedSettings(before.served, after.served);
      if (settings.length === 0) return undefined;
      return { summary: `change how ${after.served.client} is served`, settings };
    },
  },
};
