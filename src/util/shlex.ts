/**
 * Python's `shlex.split` (POSIX mode), which borg applies to BORG_PASSCOMMAND: words split at
 * whitespace, single quotes literal, double quotes with `\` escaping `\ " $ \``, `\` outside
 * quotes escaping the next character. Throws on an unterminated quote, as shlex does.
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
      else if (c === '\\' && i + 1 < text.length && '\\"$`\n'.includes(text[i + 1]!)) word += text[++i];
      else word += c;
      continue;
    }
    if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === "'" || c === '"') quote = c;
    else if (c === '\\' && i + 1 < text.length) word += text[++i];
    else word += c;
  }
  if (quote !== undefined) throw new Error('No closing quotation');
  if (inWord) words.push(word);
  return words;
}
