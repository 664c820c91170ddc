import type { ResolvedReceiver } from '../config/notify.js';
import { compareStrings } from '../util/compare.js';

/** One setting of a receiver in words; secrets (URL, commands that print secrets) are never shown. */
export interface ReceiverSetting {
  setting: string;
  before?: string;
  after?: string;
  hidden?: true;
}

export interface ReceiverChange {
  name: string;
  kind: ResolvedReceiver['kind'];
  change: 'added' | 'changed' | 'removed';
  /** `healthchecks receiver hc added (URL hidden)`. */
  summary: string;
  settings: ReceiverSetting[];
}

const SECRET_FIELDS = ['url', 'urlCommand', 'secretCommand', 'tokenCommand'] as const;
const LABELS = {
  url: 'URL',
  urlCommand: 'urlCommand',
  secretCommand: 'secretCommand',
  tokenCommand: 'tokenCommand',
};

function shown(receiver: ResolvedReceiver): Record<string, string> {
  return {
    on: receiver.on.join(', '),
    destinations: receiver.destinations?.join(', ') ?? '(all)',
    timeout: `${receiver.timeoutSeconds}s`,
    ...(receiver.kind === 'healthchecks' ? { failOnWarning: String(receiver.failOnWarning) } : {}),
  };
}

function settingsOf(
  before: ResolvedReceiver | undefined,
  after: ResolvedReceiver | undefined,
): ReceiverSetting[] {
  const settings: ReceiverSetting[] = [];
  for (const field of SECRET_FIELDS) {
    const [old, now] = [before?.[field], after?.[field]];
    if (old === now) continue;
    settings.push({
      setting: LABELS[field],
      ...(old === undefined ? {} : { before: '(hidden)' }),
      ...(now === undefined ? {} : { after: '(hidden)' }),
      hidden: true,
    });
  }
  const [old, now] = [before ? shown(before) : {}, after ? shown(after) : {}];
  for (const key of [...new Set([...Object.keys(old), ...Object.keys(now)])]) {
    if (old[key] === now[key]) continue;
    settings.push({
      setting: key,
      ...(old[key] === undefined ? {} : { before: old[key] }),
      ...(now[key] === undefined ? {} : { after: now[key] }),
    });
  }
  return settings;
}

/**
 * Receivers added, changed and removed between two declarations, in words (plans, previews).
 * Pure; nothing is installed for a receiver, so these are settings changes only.
 */
export function receiverChanges(
  before: readonly ResolvedReceiver[],
  after: readonly ResolvedReceiver[],
): ReceiverChange[] {
  const names = [...new Set([...before.map((r) => r.name), ...after.map((r) => r.name)])].sort(
    compareStrings,
  );
  const changes: ReceiverChange[] = [];
  for (const name of names) {
    const old = before.find((r) => r.name === name);
    const now = after.find((r) => r.name === name);
    if (now && !old) {
      changes.push({
        name,
        kind: now.kind,
        change: 'added',
        summary: `${now.kind} receiver ${name} added (URL hidden), on ${now.on.join(', ')}`,
        settings: settingsOf(undefined, now),
      });
    } else if (old && !now) {
      changes.push({
        name,
        kind: old.kind,
        change: 'removed',
        summary: `${old.kind} receiver ${name} removed`,
        settings: [],
      });
    } else if (old && now) {
      if (old.kind !== now.kind) {
        changes.push({
          name,
          kind: now.kind,
          change: 'changed',
          summary: `receiver ${name} changed from ${old.kind} to ${now.kind} (URL hidden)`,
          settings: settingsOf(old, now),
        });
        continue;
      }
      const settings = settingsOf(old, now);
      if (settings.length === 0) continue;
      const what = settings.map((s) => (s.hidden ? `${s.setting} (hidden)` : s.setting)).join(', ');
      changes.push({
        name,
        kind: now.kind,
        change: 'changed',
        summary: `${now.kind} receiver ${name} changed: ${what}`,
        settings,
      });
    }
  }
  return changes;
}
