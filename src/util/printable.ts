// biome-ignore-all lint/suspicious/noControlCharactersInRegex: finding control characters is the point
/*
 * Text borgops prints comes partly from declarations and from the machine (paths, scripts, borg
 * messages). A control character or a bidi override in it could move the cursor, recolour or
 * clear a terminal, hide a line in a rendered Markdown preview (`\r<!--`), or reorder what
 * follows. Printed, each is shown as an escape instead (`\r`, `\x1b`, `\u202e`).
 */

const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const CONTROL_BUT_NEWLINE =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const SGR_OR_CONTROL =
  /\u001b\[(?:0|3[1-3])m|[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

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
