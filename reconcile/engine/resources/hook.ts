import { join } from 'node:path';
import { nameOf, parseResourceId, resourceId } from '../../../src/desired/ids.js';
import type { HookPhase } from '../../../src/desired/types.js';
import { HOOK_MODE, type HookFile, observeHooks, removeHook, writeHook } from '../../../src/host/hooks.js';
import { patchOf } from '../describe/patch.js';
import type { BaseAction, FileDiff } from '../model.js';
import { type KindModule, ledgerIds, ofKind, type ResourceOf } from './kind.js';

/** A state's hook script (`<hooksDir>/<phase>-<state>`, 0700): written, updated, removed with its declaration. */

export type HookAction =
  | (BaseAction & {
      op: 'hook.write';
      kind: 'hook';
      name: string;
      state: string;
      phase: HookPhase;
      content: string;
      diff: FileDiff;
    })
  | (BaseAction & { op: 'hook.remove'; kind: 'hook'; name: string; diff: FileDiff });

/** Hooks that are declared or in the ledger; foreign files in the directory are not looked at. */
type ObservedHooks = { hooks: Record<string, HookFile | null> };

export const hook: KindModule<HookAction, ObservedHooks, ResourceOf<'hook'>> = {
  kind: 'hook',

  async observe({ context, desired, ledger }) {
    const files = await observeHooks(context.paths.hooksDir);
    const names = new Set([
      ...desired.hooks.map((h) => h.name),
      ...Object.keys(ledger.entries)
        .map(parseResourceId)
        .filter((id) => id.kind === 'hook')
        .map((id) => id.name),
    ]);
    const hooks: ObservedHooks['hooks'] = {};
    for (const name of [...names].sort()) hooks[name] = files[name] ?? null;
    return { hooks };
  },

  plan({ desired, actual, declared, options }, out) {
    for (const { hook } of ofKind(desired, 'hook')) {
      const found = actual.hooks[hook.name];
      const path = join(options.paths.hooksDir, hook.name);
      if (found && found.content === hook.content && found.mode === HOOK_MODE) continue;
      const modeOnly = found && found.content === hook.content;
      out.actions.push({
        op: 'hook.write',
        id: resourceId('hook', hook.name),
        kind: 'hook',
        name: hook.name,
        state: hook.state,
        phase: hook.phase,
        content: hook.content,
        diff: { path, before: found?.content ?? '', after: hook.content },
        effect: found ? 'mutating' : 'additive',
        summary: found
          ? modeOnly
            ? `restore mode 0700 of ${path}`
            : `update ${path}`
          : `install ${path} (0700)`,
      });
    }
    for (const id of ledgerIds(actual, 'hook')) {
      if (declared.has(id)) continue;
      const name = nameOf(id);
      const found = actual.hooks[name];
      const path = join(options.paths.hooksDir, name);
      if (!found) continue;
      out.actions.push({
        op: 'hook.remove',
        id,
        kind: 'hook',
        name,
        diff: { path, before: found.content, after: '' },
        effect: 'destructive',
        summary: `remove ${path} (its declaration is gone)`,
      });
    }
  },

  async apply(action, { context, record }) {
    const dir = context.paths.hooksDir;
    if (action.op === 'hook.write') {
      await record(action.id, { kind: 'hook', paths: [join(dir, action.name)] });
      await writeHook(dir, action.name, action.content);
      return;
    }
    await removeHook(dir, action.name);
    await record(action.id, undefined);
  },

  settle(resource, { context, ledger, stamp }) {
    if (ledger.entries[resource.id]) return;
    ledger.entries[resource.id] = {
      kind: 'hook',
      paths: [join(context.paths.hooksDir, resource.hook.name)],
      appliedAt: stamp(),
    };
  },

  preview: {
    added({ hook }, context) {
      const path = join(context.paths.hooksDir, hook.name);
      return { summary: `install ${path}`, files: [patchOf(path, '', hook.content)] };
    },
    removed({ hook }, context) {
      const path = join(context.paths.hooksDir, hook.name);
      return { summary: `remove ${path}`, files: [patchOf(path, hook.content, '')], destructive: true };
    },
    changed(before, after, context) {
      if (before.hook.content === after.hook.content) return undefined;
      const path = join(context.paths.hooksDir, after.hook.name);
      return { summary: `update ${path}`, files: [patchOf(path, before.hook.content, after.hook.content)] };
    },
  },
};
