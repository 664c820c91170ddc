import type { DesiredMachine } from '../../src/desired/types.js';
import { receiverChanges } from '../../src/notify/changes.js';
import type { ResourceChange } from './model.js';

/**
 * Notification receivers between base and head, as settings changes: nothing is installed for a
 * receiver (runs read it from the applied declarations), and its URL, secret and token are never
 * shown, only that they changed.
 */
export function receiverPreview(
  base: DesiredMachine | undefined,
  head: DesiredMachine | undefined,
): ResourceChange[] {
  return receiverChanges(base?.receivers ?? [], head?.receivers ?? []).map((change) => ({
    id: `notify/${change.name}`,
    kind: 'receiver',
    change: change.change,
    destructive: false,
    summary: change.summary,
    settings: change.settings.map((setting) => ({ subject: change.name, ...setting })),
    files: [],
  }));
}
