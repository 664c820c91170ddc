/*
 * How a change of one resource is told to people (the preview's words and diffs). Plain data;
 * each resource kind (engine/resources/) fills it, the preview collects it.
 */

/** One setting in words: `storagebox: retention daily 7 → 3`. */
export interface SettingChange {
  /** What the setting belongs to: a destination, a state, a client. */
  subject: string;
  /** `retention daily`, `repo`, `exclude`, `encryption passCommand` … */
  setting: string;
  /** Absent when the setting is added (or, for lists, an item is added). */
  before?: string;
  /** Absent when the setting is removed. */
  after?: string;
  /** The value is a secret (or carries one): it changed, and neither side is shown. */
  hidden?: true;
}

/** A unified diff of one generated file; `path` is where the file lives on the machine. */
export interface FilePatch {
  path: string;
  /** From `reconcile/engine/describe/diff.ts` (the `diff` package), labels `base` and `head`. */
  diff: string;
  /** Lines starting with `+` and `-` (headers excluded). */
  added: number;
  removed: number;
}

/** One resource's change between base and head, in words; the preview adds its id, kind and change type. */
export interface Described {
  summary: string;
  settings?: SettingChange[];
  /** A function when rendering them is costly: called only when the diffs are read (once). */
  files?: FilePatch[] | (() => FilePatch[]);
  destructive?: boolean;
}
