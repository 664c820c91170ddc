import type { DesiredState, Resource } from '../../src/desired/types.js';
import { sameData } from '../../src/util/same-data.js';
import type { Described, FilePatch } from '../engine/describe/model.js';
import { stateSettings } from '../engine/describe/settings.js';
import { kindModule } from '../engine/resources/index.js';
import type { PreviewContext } from '../engine/resources/kind.js';
import type { ChangeType, PreviewKind, ResourceChange } from './model.js';

/*
 * One item of a machine between base and head, in words and diffs. A resource is told by its
 * kind's module (engine/resources/<kind>.ts); a state, which is no resource, is told here.
 */

/** A compiled resource, or a state (its folders; its scripts are hooks). */
export type Item = Resource | { kind: 'state'; id: string; state: DesiredState };

export type ItemContext = PreviewContext;

type State = Extract<Item, { kind: 'state' }>;

const state = {
  added: ({ state }: State): Described => ({
    summary: `back up state ${state.name}: ${state.folders.join(', ') || 'no folders'}`,
  }),
  removed: ({ state }: State): Described => ({
    summary: `stop backing up state ${state.name} (${state.folders.join(', ') || 'no folders'}); existing archives keep it`,
    destructive: true,
  }),
  changed(before: State, after: State): Described | undefined {
    const settings = stateSettings(before.state, after.state);
    if (settings.length === 0) return undefined;
    const dropped = settings.some((s) => s.after === undefined);
    return { summary: `change the folders of state ${after.state.name}`, settings, destructive: dropped };
  },
};

function added(item: Item, context: ItemContext): Described {
  if (item.kind === 'state') return state.added(item);
  const preview = kindModule(item.kind).preview;
  return preview ? preview.added(item, context) : { summary: `add ${item.id}` };
}

function removed(item: Item, context: ItemContext): Described {
  if (item.kind === 'state') return state.removed(item);
  const preview = kindModule(item.kind).preview;
  return preview ? preview.removed(item, context) : { summary: `remove ${item.id}` };
}

/** What changed between two versions of one item; undefined when nothing did. */
function changed(before: Item, after: Item, context: ItemContext): Described | undefined {
  // the same item renders the same files: nothing to render and compare (most items of a changed machine)
  if (sameData(before, after)) return undefined;
  if (before.kind === 'state' && after.kind === 'state') return state.changed(before, after);
  if (before.kind !== 'state' && after.kind === before.kind) {
    const preview = kindModule(after.kind).preview;
    if (preview?.changed) return preview.changed(before, after, context);
  }
  // a kind that carries nothing that can change (ssh-key, secret)
  return { summary: `update ${after.id}` };
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
  return withFiles(
    {
      id: item.id,
      kind: item.kind satisfies PreviewKind,
      change,
      destructive: described.destructive ?? false,
      summary: described.summary,
      settings: described.settings ?? [],
    },
    described.files,
  );
}

/**
 * The change with its file diffs, rendered when first read when the kind gave them as a
 * function: a fleet-wide change renders thousands of schedule files, a PR comment shows a few
 * dozen. An enumerable getter, so JSON and the text renderer still see plain data.
 */
export function withFiles(change: Omit<ResourceChange, 'files'>, files: Described['files']): ResourceChange {
  const { id, kind, change: type, destructive, summary, settings } = change;
  if (typeof files !== 'function')
    return { id, kind, change: type, destructive, summary, settings, files: files ?? [] };
  let rendered: FilePatch[] | undefined;
  // a getter in the literal, not defineProperty on the object: that turned each of a fleet's
  // thousands of changes into a slow dictionary-mode object
  return {
    id,
    kind,
    change: type,
    destructive,
    summary,
    settings,
    get files() {
      rendered ??= files();
      return rendered;
    },
  };
}
