import { SSH_KEY_ID } from '../../../src/desired/ids.js';
import { generateSshKey, type ObservedSshKey, observeSshKey } from '../../../src/host/ssh-key.js';
import type { BaseAction } from '../model.js';
import { type KindModule, ofKind, type ResourceOf } from './kind.js';

/** The machine's own ed25519 key, to log in to server destinations; generated once, never replaced. */

export type SshKeyAction = BaseAction & { op: 'ssh-key.create'; kind: 'ssh-key' };

export const sshKey: KindModule<SshKeyAction, { sshKey: ObservedSshKey }, ResourceOf<'ssh-key'>> = {
  kind: 'ssh-key',

  async observe({ context }) {
    return { sshKey: await observeSshKey(context.paths.sshKey) };
  },

  plan({ desired, actual, options }, out) {
    if (ofKind(desired, 'ssh-key').length === 0 || actual.sshKey.exists) return;
    out.actions.push({
      op: 'ssh-key.create',
      id: SSH_KEY_ID,
      kind: 'ssh-key',
      effect: 'additive',
      summary: `generate this machine's ed25519 key ${options.paths.sshKey} (\`borgops keys show\` prints it, to commit as machines/${desired.machine}/borgbackup.ssh.pub)`,
    });
  },

  async apply(action, { context, desired, record }) {
    await generateSshKey(context.paths.sshKey, `borgops@${desired.machine}`);
    await record(action.id, { kind: 'ssh-key', paths: [context.paths.sshKey] });
  },

  preview: {
    added: (_item, context) => ({
      summary: `generate this machine's ssh key (commit its .pub as machines/${context.machine}/borgbackup.ssh.pub)`,
    }),
    removed: () => ({ summary: "no destination needs this machine's ssh key any more (the key stays)" }),
  },
};
