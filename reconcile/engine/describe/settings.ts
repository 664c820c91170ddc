import { withinHours } from '../../../src/borg/retention.js';
import { KEEP_RULES, type Keep } from '../../../src/config/schema.js';
import type { DesiredDestination, DesiredState, ServedRepository } from '../../../src/desired/types.js';
import type { SettingChange } from './model.js';
import { redactValue } from './redact.js';

/*
 * Settings changes in words, one SettingChange per setting (or list item). Every value goes
 * through redactValue; a passCommand is never shown, only that it changed.
 */

export const NONE = '(none)';
const HIDDEN = '(hidden)';

/** No change: one shared empty list (frozen), not a new array for each of a fleet's settings. */
const SAME: SettingChange[] = Object.freeze([]) as unknown as SettingChange[];

function scalar(subject: string, setting: string, before: string, after: string): SettingChange[] {
  if (before === after) return SAME;
  const shownBefore = redactValue(before);
  const shownAfter = redactValue(after);
  // only a credential inside the value changed: say so without showing either side
  if (shownBefore === shownAfter) return [{ subject, setting, before: HIDDEN, after: HIDDEN, hidden: true }];
  return [{ subject, setting, before: shownBefore, after: shownAfter }];
}

function secret(subject: string, setting: string, before?: string, after?: string): SettingChange[] {
  if (before === after) return SAME;
  return [
    {
      subject,
      setting,
      ...(before === undefined ? {} : { before: HIDDEN }),
      ...(after === undefined ? {} : { after: HIDDEN }),
      hidden: true,
    },
  ];
}

/** Items added and removed; a pure reordering is one change of the whole list. */
function list(
  subject: string,
  setting: string,
  before: readonly string[],
  after: readonly string[],
): SettingChange[] {
  if (sameList(before, after)) return SAME;
  const old = new Set(before);
  const now = new Set(after);
  const changes: SettingChange[] = [
    ...before
      .filter((item) => !now.has(item))
      .map((item) => ({ subject, setting, before: redactValue(item) })),
    ...after.filter((item) => !old.has(item)).map((item) => ({ subject, setting, after: redactValue(item) })),
  ];
  if (changes.length === 0 && before.join('\n') !== after.join('\n')) {
    changes.push({
      subject,
      setting: `${setting} order`,
      before: redactValue(before.join(', ')),
      after: redactValue(after.join(', ')),
    });
  }
  return changes;
}

function sameList(before: readonly string[], after: readonly string[]): boolean {
  if (before === after) return true;
  if (before.length !== after.length) return false;
  for (let i = 0; i < before.length; i++) if (before[i] !== after[i]) return false;
  return true;
}

const optional = (value: string | number | undefined): string => (value === undefined ? NONE : String(value));

/** Repository-level settings of a destination (retention and schedule are their own resources). */
export function repositorySettings(before: DesiredDestination, after: DesiredDestination): SettingChange[] {
  const subject = after.name;
  return [
    ...scalar(subject, 'repo', before.repo, after.repo),
    ...scalar(subject, 'rsh', optional(before.rsh), optional(after.rsh)),
    ...list(subject, 'knownHosts', before.knownHosts, after.knownHosts),
    ...scalar(subject, 'server', optional(before.server), optional(after.server)),
    ...scalar(subject, 'instance', before.instance, after.instance),
    ...scalar(subject, 'encryption mode', before.encryption.mode, after.encryption.mode),
    ...secret(subject, 'encryption passCommand', before.encryption.passCommand, after.encryption.passCommand),
    ...scalar(subject, 'compression', before.compression, after.compression),
    ...list(subject, 'exclude', before.exclude, after.exclude),
    ...scalar(subject, 'lockWait', `${before.lockWait}s`, `${after.lockWait}s`),
    ...scalar(subject, 'maxAge', seconds(before.maxAgeSeconds), seconds(after.maxAgeSeconds)),
  ];
}

function seconds(value: number | undefined): string {
  return value === undefined ? NONE : `${value}s`;
}

/** `within 1d, daily 7, weekly 4`. */
export function keepText(keep: Keep): string {
  return KEEP_RULES.flatMap((rule) => (keep[rule] === undefined ? [] : [`${rule} ${keep[rule]}`])).join(', ');
}

const KEEP_SETTINGS = KEEP_RULES.map((rule) => [rule, `retention ${rule}`] as const);

export function keepSettings(subject: string, before: Keep, after: Keep): SettingChange[] {
  const changes: SettingChange[] = [];
  for (const [rule, setting] of KEEP_SETTINGS) {
    if (before[rule] === after[rule]) continue;
    changes.push(...scalar(subject, setting, optional(before[rule]), optional(after[rule])));
  }
  return changes;
}

/** True when some rule keeps less than before (a count lowered, a window shortened, a rule dropped). */
export function keepTightened(before: Keep, after: Keep): boolean {
  return KEEP_RULES.some((rule) => {
    const old = before[rule];
    const now = after[rule];
    if (old === undefined) return false;
    if (now === undefined) return true;
    if (rule === 'within') return withinHours(String(now)) < withinHours(String(old));
    return Number(now) < Number(old);
  });
}

export function scheduleSettings(
  subject: string,
  before: { startAt: string[]; staggerSeconds: number },
  after: { startAt: string[]; staggerSeconds: number },
): SettingChange[] {
  return [
    ...scalar(subject, 'startAt', before.startAt.join(', '), after.startAt.join(', ')),
    ...scalar(subject, 'stagger delay', `${before.staggerSeconds}s`, `${after.staggerSeconds}s`),
  ];
}

export function stateSettings(before: DesiredState, after: DesiredState): SettingChange[] {
  return list(after.name, 'folders', before.folders, after.folders);
}

export function servedSettings(before: ServedRepository, after: ServedRepository): SettingChange[] {
  const subject = after.client;
  return [
    ...scalar(subject, 'path', before.path, after.path),
    ...scalar(subject, 'appendOnly', String(before.appendOnly), String(after.appendOnly)),
    ...scalar(subject, 'quota', optional(before.quota), optional(after.quota)),
  ];
}

/** `storagebox: retention daily 7 → 3`; `quote` wraps values (code spans in Markdown). */
export function settingWords(change: SettingChange, quote: (value: string) => string = (v) => v): string {
  const head = `${change.subject}: ${change.setting}`;
  if (change.hidden) {
    if (change.before === undefined) return `${head} set (value hidden)`;
    if (change.after === undefined) return `${head} removed (value hidden)`;
    return `${head} changed (value hidden)`;
  }
  if (change.before === undefined) return `${head} + ${quote(change.after ?? '')}`;
  if (change.after === undefined) return `${head} − ${quote(change.before)}`;
  return `${head} ${quote(change.before)} → ${quote(change.after)}`;
}
