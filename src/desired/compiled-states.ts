import type { MachineStates } from '../config/model.js';
import type { State } from '../config/schema.js';
import { byName } from '../util/compare.js';
import { hooksOf } from './hooks.js';
import { resourceId } from './ids.js';
import type { DesiredHook, DesiredState, Resource } from './types.js';

export interface CompiledStates {
  file: string;
  states: readonly DesiredState[];
  hooks: readonly DesiredHook[];
  /** The hooks as resources, in the same order. */
  hookResources: readonly Resource[];
}

/**
 * A state file's states and hooks, compiled once per parsed file: the load cache gives base and
 * head of a preview the same object for a file that did not change, so their states and hooks are
 * the same objects too and compare by identity (a fleet-wide setting change compares 30 of them
 * per machine). Both sides hold them: frozen, so no caller can change one side's under the other.
 */
const compiledStates = new WeakMap<MachineStates['states'], CompiledStates>();

/** A state as compiled: its fields, its name and its own copy of its folders (frozen). */
function desiredState(name: string, state: State): DesiredState {
  const folders = Object.freeze([...(state.folders ?? [])]) as string[];
  // Object.assign copies ~10× faster than a spread with extra keys here; a validated state has no
  // own __proto__ key (which assign would set as the prototype), but a spread takes that case anyway
  if (Object.hasOwn(state, '__proto__')) return { ...state, name, folders };
  return Object.assign({}, state, { name, folders });
}

export function statesOf(stateFile: MachineStates): CompiledStates {
  const known = compiledStates.get(stateFile.states);
  if (known !== undefined && known.file === stateFile.file) return known;
  const states = Object.entries(stateFile.states)
    .map(([name, state]) => Object.freeze(desiredState(name, state)))
    .sort(byName);
  const hooks = states
    .flatMap((state) => hooksOf(state.name, state, stateFile.file))
    .sort(byName)
    .map((hook) => Object.freeze(hook));
  const hookResources = hooks.map((hook) =>
    Object.freeze({ kind: 'hook' as const, id: resourceId('hook', hook.name), hook }),
  );
  const compiled = {
    file: stateFile.file,
    states: Object.freeze(states),
    hooks: Object.freeze(hooks),
    hookResources: Object.freeze(hookResources),
  };
  compiledStates.set(stateFile.states, compiled);
  return compiled;
}
