import { receiverId } from '../../../src/desired/ids.js';
import { receiverChanges } from '../../../src/notify/changes.js';
import type { KindModule } from './kind.js';

/*
 * Notification receivers: declared, never installed (runs read them from the applied
 * declarations), so nothing is observed, planned or applied. A preview shows their changes as
 * settings; a URL, secret or token is never shown, only that it changed.
 */

export const receiver: KindModule<never, object, never> = {
  previewDeclarations(base, head) {
    return receiverChanges(base?.receivers ?? [], head?.receivers ?? []).map((change) => ({
      id: receiverId(change.name),
      kind: 'receiver',
      change: change.change,
      summary: change.summary,
      settings: change.settings.map((setting) => ({ subject: change.name, ...setting })),
    }));
  },
};
