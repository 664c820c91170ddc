import { UNSAFE_TEXT } from './names.js';
import { StateEntry } from './schema.js';
import { innerDef } from './zod-def.js';

/*
 * The state file schemas (StateFile, StateMap, ClanWrapped in schema.ts), checked by hand for the
 * files that pass them: zod builds a copy of every state and folder and spends ~40 µs a file on
 * it, which is most of a 10,000-machine preview's schema time and much of its garbage. A file
 * that fits is used as it was parsed; anything else (an unknown key, a wrong type, a relative
 * folder, a null, an odd prototype) goes to zod, which finds and words the problems.
 * test/src/config/state-shape.test.ts holds this to zod: whatever fits here, zod accepts, and its
 * output equals the input.
 */

/**
 * The fields of a state that take any string (the scripts, and clan's read-only names that
 * clanStateFields compares), read from the schema: a field added with another type or with checks
 * of its own is not among them, and a file that sets it goes to zod.
 */
const TEXT_FIELDS: ReadonlySet<string> = new Set(
  Object.entries(StateEntry.shape)
    .filter(([, field]) => {
      const def = innerDef(field);
      return def.type === 'string' && (def.checks?.length ?? 0) === 0;
    })
    .map(([key]) => key),
);

/** An object as JSON.parse and the YAML parsers make it, without a `__proto__` key of its own. */
function isRecord(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.getPrototypeOf(value) === Object.prototype &&
    !Object.hasOwn(value, '__proto__')
  );
}

/** A `..` segment: what `split('/').includes('..')` finds, without the array. */
const DOT_DOT_SEGMENT = /(?:^|\/)\.\.(?:\/|$)/;

/** AbsolutePath's refinements, in the same order. */
function isAbsoluteFolder(folder: unknown): boolean {
  return (
    typeof folder === 'string' &&
    folder.startsWith('/') &&
    !(folder.includes('..') && DOT_DOT_SEGMENT.test(folder)) &&
    !UNSAFE_TEXT.test(folder)
  );
}

function isFolderList(value: unknown): boolean {
  if (!Array.isArray(value) || Object.getPrototypeOf(value) !== Array.prototype) return false;
  // a hole or an extra key is not a JSON list
  if (Object.keys(value).length !== value.length) return false;
  for (const folder of value) if (!isAbsoluteFolder(folder)) return false;
  return true;
}

function isStateEntry(value: unknown): boolean {
  if (!isRecord(value)) return false;
  for (const key in value) {
    const field = value[key];
    if (key === 'folders') {
      if (!isFolderList(field)) return false;
    } else if (!TEXT_FIELDS.has(key) || typeof field !== 'string') {
      return false;
    }
  }
  return true;
}

/** StateMap: any key, each value a StateEntry. */
export function fitsStateMap(value: unknown): boolean {
  if (!isRecord(value)) return false;
  for (const key in value) if (!isStateEntry(value[key])) return false;
  return true;
}

/** Only `keys`, each optional, with `$schema` a string when present. */
function onlyKeys(value: Record<string, unknown>, keys: readonly string[]): boolean {
  for (const key in value) {
    if (!keys.includes(key)) return false;
    if (key === '$schema' && typeof value[key] !== 'string') return false;
  }
  return true;
}

/** StateFile: `{ $schema?, state }`. */
function fitsStateFile(value: unknown): boolean {
  return isRecord(value) && onlyKeys(value, ['$schema', 'state']) && fitsStateMap(value.state);
}

/** ClanWrapped: `{ $schema?, clan: { core: { state } } }`. */
function fitsClanWrapped(value: unknown): boolean {
  if (!isRecord(value) || !onlyKeys(value, ['$schema', 'clan'])) return false;
  const { clan } = value;
  if (!isRecord(clan) || !onlyKeys(clan, ['core'])) return false;
  const { core } = clan;
  return isRecord(core) && onlyKeys(core, ['state']) && fitsStateMap(core.state);
}

/** True when the form's schema accepts `value` as it is (its output would be an equal copy). */
export function fitsStateForm(form: 'state' | 'bare' | 'clan', value: unknown): boolean {
  if (form === 'bare') return fitsStateMap(value);
  return form === 'clan' ? fitsClanWrapped(value) : fitsStateFile(value);
}
