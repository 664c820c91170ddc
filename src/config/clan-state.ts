import { z } from 'zod';
import type { ParsedFile } from './document.js';
import { isPlainObject } from './merge.js';
import { dottedPath, type Problem } from './problem.js';
import { type State, type StateEntry, StateFile, StateMap } from './schema.js';

/*
 * A state file holds one machine's `clan.core.state` in one of three forms that mean the same:
 *   { "state": { "<name>": {…} } }                  borgops's form
 *   { "<name>": {…} }                               the bare map (`nix eval --json …clan.core.state`)
 *   { "clan": { "core": { "state": { … } } } }      clan's option path, wrapped
 */

export type StateForm = 'state' | 'bare' | 'clan';

/** A map of states: an object whose every value is an object (a single state's fields never are). */
function isStateMap(value: unknown): boolean {
  return isPlainObject(value) && Object.values(value).every(isPlainObject);
}

function onlyKeys(value: Record<string, unknown>, keys: readonly string[]): boolean {
  return Object.keys(value).every((key) => keys.includes(key));
}

const ClanWrapped = z
  .strictObject({
    $schema: z.string().optional(),
    clan: z.strictObject({ core: z.strictObject({ state: StateMap }) }),
  })
  .describe('machines/<machine>/state.json in clan\'s option path: {"clan": {"core": {"state": …}}}.');

export const STATE_FORMS = {
  state: { prefix: ['state'], schema: StateFile },
  // its `$schema`, if any, is taken off before the check (see stateValueOf)
  bare: { prefix: [], schema: StateMap },
  clan: { prefix: ['clan', 'core', 'state'], schema: ClanWrapped },
} as const satisfies Record<StateForm, { prefix: readonly string[]; schema: z.ZodType }>;

/** The value to check against the form's schema. */
export function stateValueOf(form: StateForm, value: unknown): unknown {
  if (form !== 'bare' || !isPlainObject(value)) return value;
  const { $schema: _schema, ...states } = value;
  return states;
}

/** Which form a parsed state file is in; anything unrecognisable is checked as borgops's form. */
export function stateFormOf(value: unknown): StateForm {
  if (!isPlainObject(value)) return 'state';
  const clan = value.clan;
  if (
    onlyKeys(value, ['$schema', 'clan']) &&
    isPlainObject(clan) &&
    isPlainObject(clan.core) &&
    isStateMap(clan.core.state)
  )
    return 'clan';
  if (onlyKeys(value, ['$schema', 'state']) && 'state' in value && isStateMap(value.state)) return 'state';
  // a bare map: every key but $schema names a state; `{}` is a file with no states
  const { $schema: _schema, ...rest } = value;
  return Object.keys(rest).length > 0 && isStateMap(rest) ? 'bare' : 'state';
}

/** The states map of a checked file of the given form. */
export function statesOf(form: StateForm, checked: unknown): Record<string, StateEntry> {
  if (form === 'bare') return checked as Record<string, StateEntry>;
  if (form === 'clan') return (checked as z.infer<typeof ClanWrapped>).clan.core.state;
  return (checked as StateFile).state;
}

/** A value in a message: quoted when short and on one line (a script is not echoed whole). */
function quoted(value: string): string {
  return value.length <= 64 && !/[\n\r]/.test(value) ? JSON.stringify(value) : '(a script)';
}

const COMMANDS = [
  ['preBackupScript', 'preBackupCommand', 'pre-backup'],
  ['postBackupScript', 'postBackupCommand', 'post-backup'],
  ['preRestoreScript', 'preRestoreCommand', 'pre-restore'],
  ['postRestoreScript', 'postRestoreCommand', 'post-restore'],
] as const;

const CLAN_FIELDS = ['name', ...COMMANDS.map(([, command]) => command)] as const;

function hasClanField(entry: StateEntry): boolean {
  return CLAN_FIELDS.some((field) => Object.hasOwn(entry, field));
}

/**
 * clan's evaluated state carries `name` and the read-only `*Command` fields. They are accepted
 * when they say what borgops derives (the key; `<phase>-<key>` when the script is set) and then
 * dropped, so the states are exactly what a hand-written file declares; otherwise refused.
 */
export function clanStateFields(
  parsed: ParsedFile,
  prefix: readonly string[],
  entries: Record<string, StateEntry>,
): { states: Record<string, State>; problems: Problem[] } {
  const problems: Problem[] = [];
  const refuse = (path: PropertyKey[], message: string) =>
    problems.push({
      file: parsed.file,
      line: parsed.lineOf(path, 'value'),
      path: dottedPath(path),
      message,
      severity: 'error',
    });
  // most files (every hand-written one) have none of clan's fields: their entries are the states
  if (!Object.values(entries).some(hasClanField)) return { states: entries, problems };
  const states: [string, State][] = [];
  for (const [key, entry] of Object.entries(entries)) {
    if (!hasClanField(entry)) {
      states.push([key, entry]);
      continue;
    }
    const { name, preBackupCommand, postBackupCommand, preRestoreCommand, postRestoreCommand, ...state } =
      entry;
    const commands = { preBackupCommand, postBackupCommand, preRestoreCommand, postRestoreCommand };
    const path = [...prefix, key];
    if (name !== undefined && name !== key) {
      refuse(
        [...path, 'name'],
        `name "${name}" differs from the state's key "${key}"; borgops names a state by its key (its commands, restore --service, state list): rename the key or drop name`,
      );
    }
    for (const [script, command, phase] of COMMANDS) {
      const given = commands[command];
      if (given === undefined) continue;
      const derived = state[script] === undefined ? undefined : `${phase}-${key}`;
      if (given === derived) continue;
      refuse(
        [...path, command],
        derived === undefined
          ? `${command} is clan's read-only name of the ${phase} command, set only when ${script} is; did you mean "${script}"?`
          : `${command} ${quoted(given)} is not "${derived}", the read-only name clan and borgops derive from the state's key`,
      );
    }
    states.push([key, state]);
  }
  return { states: Object.fromEntries(states), problems };
}
