/**
 * A parser for the plain YAML that state files are written in, tried before js-yaml: a preview of
 * 10,000 machines parses 10,000 of them, and js-yaml was the largest single cost. It returns the
 * value only when the whole text is inside the subset below, and then that value is deep-equal
 * (key order and own `__proto__` keys included) to what js-yaml (core schema) and the `yaml`
 * package would both return without an error. Anything else is "not mine" (`undefined`) and goes
 * through the full parsers, which also report the problems with their lines.
 *
 * The subset, exactly:
 * - The text is not empty, ends with `\n`, and has only printable ASCII (0x20–0x7e) and `\n`: no
 *   tab, CR, BOM, control or non-ASCII character anywhere.
 * - Blank lines (spaces only) and comment lines (spaces, then `#`) anywhere between entries; no
 *   comment after a value on the same line. No directives, document markers, anchors, aliases,
 *   tags, flow collections or `?` keys (none of them can start a key or a value below).
 * - The top level is a block mapping at column 0.
 * - A mapping entry is `key:` at the mapping's column, then either spaces and a value on the same
 *   line, or nothing (spaces only) and on the next content line either a mapping or sequence
 *   indented deeper, or a sequence at the key's own column. A key matches
 *   /^[A-Za-z_$][A-Za-z0-9_$.-]*$/, is at most 1000 characters (yaml refuses implicit keys over
 *   1024), is not null/Null/NULL/true/True/TRUE/false/False/FALSE, and appears once per mapping.
 * - A sequence entry is `-` at the sequence's column, then either spaces and a value, a nested
 *   sequence (`- - x`) or the first key of a mapping (`- key: v`, further keys at that key's
 *   column) on the same line, or nothing and a deeper mapping or sequence on the next content line.
 * - A value on the line is one of:
 *   - a plain scalar: starts with a letter, `_`, `$` or `/` (so never a number, `~`, `.inf` or an
 *     indicator), is not one of the null/bool words above, has no `: ` or ` #` and does not end
 *     with `:`; trailing spaces are dropped;
 *   - a single-quoted scalar closed on the same line (`''` is a quote), then only spaces;
 *   - a double-quoted scalar with no backslash, closed on the same line, then only spaces;
 *   - a literal block scalar `|`, `|-` or `|+` (then only spaces) whose first non-empty line is
 *     indented deeper than the collection holding the entry; no leading empty line may have more
 *     spaces than that first line (an error to both parsers), and the scalar is not empty. It
 *     ends before the first non-empty line indented less than its first line (a comment line
 *     there is a comment); a spaces-only line wider than the indentation is content.
 * - Nothing is nested more than MAX_DEPTH collections deep (deeper files take the full parsers,
 *   which refuse them by name).
 */

const MAX_DEPTH = 100;
const MAX_KEY_LENGTH = 1000;

const LF = 0x0a;
const SPACE = 0x20;
const HASH = 0x23;
const SINGLE_QUOTE = 0x27;
const DOUBLE_QUOTE = 0x22;
const DASH = 0x2d;
const SLASH = 0x2f;
const COLON = 0x3a;
const PIPE = 0x7c;
const PLUS = 0x2b;

const OUTSIDE_SUBSET = /[^\n\x20-\x7e]/;

const NOT_STRINGS = new Set(['null', 'Null', 'NULL', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE']);

/** The parser's position: always at the first character of a content line (neither blank nor comment). */
interface Cursor {
  readonly text: string;
  /** index of the current line's first character */
  line: number;
  /** index of the `\n` that ends the current line */
  end: number;
  /** spaces before the current line's first character; -1 once the text is used up */
  indent: number;
  depth: number;
}

/** The value of `text` when it is entirely inside the subset above, else undefined. */
export function parseYamlSubset(text: string): Record<string, unknown> | undefined {
  if (text.length === 0 || text.charCodeAt(text.length - 1) !== LF || OUTSIDE_SUBSET.test(text)) {
    return undefined;
  }
  const cursor: Cursor = { text, line: 0, end: 0, indent: 0, depth: 0 };
  seekContent(cursor, 0);
  if (cursor.indent !== 0 || isEntry(text, cursor.line)) return undefined;
  // it ends only at the end of the text: a line indented deeper after an entry is refused there
  return mapping(cursor, 0, cursor.line);
}

/** Moves to the first content line at or after the line starting at `from`. */
function seekContent(cursor: Cursor, from: number): void {
  const text = cursor.text;
  let start = from;
  while (start < text.length) {
    let first = start;
    while (text.charCodeAt(first) === SPACE) first += 1;
    const code = text.charCodeAt(first);
    if (code === LF) {
      start = first + 1;
      continue;
    }
    const end = text.indexOf('\n', first);
    if (code === HASH) {
      start = end + 1;
      continue;
    }
    cursor.line = start;
    cursor.end = end;
    cursor.indent = first - start;
    return;
  }
  cursor.indent = -1;
}

function isEntry(text: string, at: number): boolean {
  const next = text.charCodeAt(at + 1);
  return text.charCodeAt(at) === DASH && (next === SPACE || next === LF);
}

/** KEY_CHARS[code]: 2 for a character that may start a key (letters, `_`, `$`), 1 for one that may follow. */
const KEY_CHARS = new Uint8Array(128);
for (let code = 0; code < 128; code += 1) {
  const char = String.fromCharCode(code);
  if (/[A-Za-z_$]/.test(char)) KEY_CHARS[code] = 2;
  else if (/[0-9.-]/.test(char)) KEY_CHARS[code] = 1;
}

/** The index of the `:` ending a plain key that starts at `at`, or -1 when there is none. */
function keyEnd(text: string, at: number, end: number): number {
  if (KEY_CHARS[text.charCodeAt(at)] !== 2) return -1;
  let i = at + 1;
  while (i < end && KEY_CHARS[text.charCodeAt(i)] !== 0) i += 1;
  if (text.charCodeAt(i) !== COLON || i - at > MAX_KEY_LENGTH) return -1;
  const next = text.charCodeAt(i + 1);
  return next === SPACE || next === LF ? i : -1;
}

/** True for the plain words that resolve to null or a boolean; numbers are refused by their first character. */
function notAString(word: string): boolean {
  return (word.length === 4 || word.length === 5) && NOT_STRINGS.has(word);
}

/** A block mapping whose entries start at column `column`; its first key is at `at`. */
function mapping(cursor: Cursor, column: number, first: number): Record<string, unknown> | undefined {
  if (++cursor.depth > MAX_DEPTH) return undefined;
  const text = cursor.text;
  const result: Record<string, unknown> = {};
  for (let at = first; ; at = cursor.line + column) {
    const colon = keyEnd(text, at, cursor.end);
    if (colon === -1) return undefined;
    const key = text.slice(at, colon);
    if (notAString(key) || Object.hasOwn(result, key)) return undefined;
    let start = colon + 1;
    while (text.charCodeAt(start) === SPACE) start += 1;
    let value: unknown;
    if (start === cursor.end) {
      seekContent(cursor, cursor.end + 1);
      if (cursor.indent > column) value = collection(cursor);
      // `key:` then `- item` at the key's own column is a sequence value
      else if (cursor.indent === column && isEntry(text, cursor.line + column))
        value = sequence(cursor, column, cursor.line + column);
      // nothing below: the value is null
      else return undefined;
    } else {
      value = lineValue(cursor, start, column + 1);
    }
    if (value === undefined) return undefined;
    // `result.__proto__ = v` would set the prototype; both parsers make it an own key
    if (key === '__proto__') {
      Object.defineProperty(result, key, { value, enumerable: true, writable: true, configurable: true });
    } else {
      result[key] = value;
    }
    if (cursor.indent > column) return undefined;
    if (cursor.indent < column) break;
  }
  cursor.depth -= 1;
  return result;
}

/** A block sequence whose `-` are at column `column`; its first `-` is at `at`. */
function sequence(cursor: Cursor, column: number, first: number): unknown[] | undefined {
  if (++cursor.depth > MAX_DEPTH) return undefined;
  const text = cursor.text;
  const result: unknown[] = [];
  for (let at = first; ; at = cursor.line + column) {
    let start = at + 1;
    while (text.charCodeAt(start) === SPACE) start += 1;
    let value: unknown;
    if (start === cursor.end) {
      seekContent(cursor, cursor.end + 1);
      if (cursor.indent <= column) return undefined;
      value = collection(cursor);
    } else if (isEntry(text, start)) {
      value = sequence(cursor, start - cursor.line, start);
    } else if (keyEnd(text, start, cursor.end) !== -1) {
      value = mapping(cursor, start - cursor.line, start);
    } else {
      value = lineValue(cursor, start, column + 1);
    }
    if (value === undefined) return undefined;
    result.push(value);
    // a line indented deeper than the `-` is refused by the mapping that holds the sequence
    if (cursor.indent !== column || !isEntry(text, cursor.line + column)) break;
  }
  cursor.depth -= 1;
  return result;
}

/** The mapping or sequence that starts the current line. */
function collection(cursor: Cursor): unknown {
  const at = cursor.line + cursor.indent;
  return isEntry(cursor.text, at) ? sequence(cursor, cursor.indent, at) : mapping(cursor, cursor.indent, at);
}

/**
 * The scalar starting at `start` on the current line (a block scalar continues on the lines
 * below, indented at least `minIndent`); moves the cursor to the next content line after it.
 */
function lineValue(cursor: Cursor, start: number, minIndent: number): string | undefined {
  const text = cursor.text;
  const code = text.charCodeAt(start);
  if (code === PIPE) return blockScalar(cursor, start, minIndent);
  let value: string | undefined;
  if (code === SINGLE_QUOTE) value = singleQuoted(text, start, cursor.end);
  else if (code === DOUBLE_QUOTE) value = doubleQuoted(text, start, cursor.end);
  else value = plain(text, start, cursor.end);
  if (value !== undefined) seekContent(cursor, cursor.end + 1);
  return value;
}

function plain(text: string, start: number, lineEnd: number): string | undefined {
  const first = text.charCodeAt(start);
  if (!(KEY_CHARS[first] === 2 || first === SLASH)) return undefined;
  let end = lineEnd;
  while (text.charCodeAt(end - 1) === SPACE) end -= 1;
  for (let i = start + 1; i < end; i += 1) {
    const code = text.charCodeAt(i);
    // `a: b` would be a nested key, `a #b` a comment, and a trailing `:` a key
    if (code === COLON && (i + 1 === end || text.charCodeAt(i + 1) === SPACE)) return undefined;
    if (code === HASH && text.charCodeAt(i - 1) === SPACE) return undefined;
  }
  const value = text.slice(start, end);
  return notAString(value) ? undefined : value;
}

function onlySpaces(text: string, from: number, end: number): boolean {
  for (let i = from; i < end; i += 1) if (text.charCodeAt(i) !== SPACE) return false;
  return true;
}

function singleQuoted(text: string, start: number, lineEnd: number): string | undefined {
  let value = '';
  let from = start + 1;
  for (;;) {
    const quote = text.indexOf("'", from);
    if (quote === -1 || quote >= lineEnd) return undefined;
    if (text.charCodeAt(quote + 1) === SINGLE_QUOTE) {
      value += text.slice(from, quote + 1);
      from = quote + 2;
      continue;
    }
    value += text.slice(from, quote);
    return onlySpaces(text, quote + 1, lineEnd) ? value : undefined;
  }
}

function doubleQuoted(text: string, start: number, lineEnd: number): string | undefined {
  const quote = text.indexOf('"', start + 1);
  if (quote === -1 || quote >= lineEnd) return undefined;
  const value = text.slice(start + 1, quote);
  return value.includes('\\') || !onlySpaces(text, quote + 1, lineEnd) ? undefined : value;
}

/** A literal block scalar whose header `|`, `|-` or `|+` is at `start`. */
function blockScalar(cursor: Cursor, start: number, minIndent: number): string | undefined {
  const text = cursor.text;
  let i = start + 1;
  const chomping = text.charCodeAt(i);
  if (chomping === DASH || chomping === PLUS) i += 1;
  if (!onlySpaces(text, i, cursor.end)) return undefined;

  // leading empty lines, then the first non-empty line sets the indentation
  let pos = cursor.end + 1;
  let leading = 0;
  let widestLeading = 0;
  let indent = -1;
  while (pos < text.length) {
    let spaces = 0;
    while (text.charCodeAt(pos + spaces) === SPACE) spaces += 1;
    if (text.charCodeAt(pos + spaces) !== LF) {
      indent = spaces;
      break;
    }
    leading += 1;
    if (spaces > widestLeading) widestLeading = spaces;
    pos += spaces + 1;
  }
  if (indent < minIndent || widestLeading > indent) return undefined;

  // the lines are joined once: a string built by `+=` is a rope that every later hash or
  // comparison (each script's `bash -n` verdict is looked up by its text) flattens again
  const parts: string[] = leading > 0 ? ['\n'.repeat(leading)] : [];
  let empty = 0;
  while (pos < text.length) {
    let spaces = 0;
    while (spaces < indent && text.charCodeAt(pos + spaces) === SPACE) spaces += 1;
    if (text.charCodeAt(pos + spaces) === LF) {
      empty += 1;
      pos += spaces + 1;
      continue;
    }
    // a less indented line ends the scalar and belongs to what encloses it
    if (spaces < indent) break;
    // a line of more spaces than the indentation is content, like any more-indented line
    const end = text.indexOf('\n', pos + spaces);
    if (empty > 0) parts.push('\n'.repeat(empty));
    parts.push(text.slice(pos + indent, end + 1));
    empty = 0;
    pos = end + 1;
  }
  seekContent(cursor, pos);
  const value = parts.join('');
  if (chomping === DASH) return value.slice(0, -1);
  if (chomping === PLUS && empty > 0) return value + '\n'.repeat(empty);
  return value;
}
