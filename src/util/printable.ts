// biome-ignore-all lint/suspicious/noControlCharactersInRegex: finding control characters is the point
/*
 * Text borgops prints comes partly from declarations and from the machine (paths, scripts, borg
 * messages). A control character or a bidi override in it could move the cursor, recolour or
 * clear a terminal, hide a line in a rendered Markdown preview (`\r<!--`), or reorder what
 * follows. Printed, each is shown as an escape instead (`\r`, `\x1b`, `\u202e`).
 */

// \p{Cc} is C0, DEL and C1 (`[^\P{Cc}\t]`: those but tab); \p{Bidi_Control} the marks, embeddings, overrides and isolates
const CONTROL = /[^\P{Cc}\t]|\p{Bidi_Control}/gu;
const CONTROL_BUT_NEWLINE = /[^\P{Cc}\t\n]|\p{Bidi_Control}/gu;
const SGR_OR_CONTROL = /\u001b\[(?:0|3[1-3])m|[^\P{Cc}\t\n]|\p{Bidi_Control}/gu;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\u001b': '\\x1b' };

function escapeOne(char: string): string {
  const named = NAMED[char];
  if (named !== undefined) return named;
  const code = char.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One line of text: every control character (line endings too) and bidi override as an escape; tabs stay. */
export function printableLine(text: string): string {
  return text.replace(CONTROL, escapeOne);
}

/** Text of several lines: line feeds and tabs stay, every other control character is escaped. */
export function printableText(text: string): string {
  return text.replace(CONTROL_BUT_NEWLINE, escapeOne);
}

/** What reaches a terminal: like printableText, but the colours borgops paints itself (red, green, yellow, reset) stay. */
export function printableTerminal(text: string): string {
  return text.replace(SGR_OR_CONTROL, (match) => (match.length > 1 ? match : escapeOne(match)));
}
