import { resourceId } from '../../../src/desired/ids.js';
import { BorgopsError } from '../../../src/errors.js';
import {
  createSystemUser,
  lookupUser,
  managesAccounts,
  SERVER_SHELL,
  type SystemUser,
} from '../../../src/host/accounts.js';
import { underRoot } from '../../../src/host/paths.js';
import { authorizedKeysPath } from '../../../src/host/served.js';
import type { BaseAction } from '../model.js';
import type { KindModule, ResourceOf } from './kind.js';

/** The system user a server's clients log in as: created only as root on `--root /`, never changed or removed. */

export type ServerUserAction = BaseAction & {
  op: 'server-user.create';
  kind: 'server-user';
  user: string;
  home: string;
};

/** Server users: looked up only when borgops manages accounts (root on `--root /`). */
type ObservedAccounts = { accounts: { managed: boolean; users: Record<string, SystemUser | null> } };

export const serverUser: KindModule<ServerUserAction, ObservedAccounts, ResourceOf<'server-user'>> = {
  kind: 'server-user',

  async observe({ context, desired }) {
    const managed = managesAccounts(context.paths.root);
    const users: ObservedAccounts['accounts']['users'] = {};
    if (managed) {
      for (const user of desired.serverUsers) users[user.name] = (await lookupUser(user.name)) ?? null;
    }
    return { accounts: { managed, users } };
  },

  plan({ desired, actual, options: { paths } }, out) {
    if (desired.serverUsers.length === 0) return;
    const names = desired.serverUsers.map((user) => user.name).join(', ');
    if (!actual.accounts.managed) {
      out.notes.push(
        `user ${names} is not managed here (borgops creates users and sets owners only as root with --root /): clients log in as ${names}, which must exist and be able to enter ${desired.served.map((s) => underRoot(paths.root, s.path)).join(', ') || 'its repositories'}`,
      );
      return;
    }
    for (const user of desired.serverUsers) {
      const found = actual.accounts.users[user.name];
      if (found && found.home !== user.home) {
        out.warnings.push(
          `user ${user.name} exists with home ${found.home}, not ${user.home}: sshd reads ${found.home}/.ssh/authorized_keys by default while borgops writes ${authorizedKeysPath(paths.root, user.home)}; borgops never changes a user it did not create, so change its home or point sshd's AuthorizedKeysFile at that file`,
        );
      }
      if (found) continue;
      out.actions.push({
        op: 'server-user.create',
        id: resourceId('server-user', user.name),
        kind: 'server-user',
        user: user.name,
        home: user.home,
        effect: 'additive',
        summary: `create system user ${user.name} (useradd --system, home ${user.home}, shell ${SERVER_SHELL}, group ${user.name})`,
      });
    }
  },

  async apply(action) {
    await createSystemUser({ name: action.user, home: action.home });
  },

  preview: {
    added: ({ user }) => ({
      summary: `serve as user ${user.name} (home ${user.home}; created when borgops runs as root on /)`,
    }),
    removed: ({ user }) => ({ summary: `no longer serve as user ${user.name} (the user stays)` }),
  },
};

/** The user that is to own what borgops creates for a client; it must exist by then. */
export async function ownerOf(name: string): Promise<SystemUser> {
  const user = await lookupUser(name);
  if (!user) throw new BorgopsError('E_HOST', `user ${name} does not exist; it should own the repositories`);
  return user;
}
