// Python's shlex.split splits at these only (not at \v, \f or Unicode spaces).
const WHITESPACE = ' \t\r\n';

/**
 * Python's `shlex.split` (POSIX mode), which borg applies to BORG_PASSCOMMAND: words split at
 * space, tab and newline, single quotes literal, double quotes where `\` escapes only `\` and `"`,
 * `\` outside quotes escaping the next character. Throws on an unterminated quote or a final
 * lone backslash, as shlex does.
 */
export function shlexSplit(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && (text[i + 1] === '\\' || text[i + 1] === '"')) word += text[++i];
      else word += c;
      continue;
    }
    if (WHITESPACE.includes(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === "'" || c === '"') quote = c;
    else if (c === '\\') {
      if (i + 1 === text.length) throw new Error('No escaped character');
      word += text[++i];
    } else word += c;
  }
  if (quote !== undefined) throw new Error('No closing quotation');
  if (inWord) words.push(word);
  return words;
}
