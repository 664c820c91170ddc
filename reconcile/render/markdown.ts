import { printableLine } from '../../src/util/printable.js';

/** Markdown building blocks for PR comments, measured in UTF-8 bytes (what a size limit can count). */

export function size(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** `text` as a code span, whatever backticks it holds; never a line ending or a control character in it. */
export function code(raw: string): string {
  const text = printableLine(raw);
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${text}${pad}${ticks}`;
}

/** Free text with Markdown and HTML punctuation escaped, so a path or pattern shows as written. */
export function escapeMarkdown(text: string): string {
  return printableLine(text).replace(/[\\`*_[\]<>|~#]/g, '\\$&');
}

/** A fenced block; each line is one line (a `\r` inside it is shown, never a line ending). */
export function fenced(raw: readonly string[], lang: string): string {
  const lines = raw.map(printableLine);
  const longest = Math.max(
    0,
    ...lines.flatMap((line) => [...line.matchAll(/`{3,}/g)].map((m) => m[0].length)),
  );
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return [`${fence}${lang}`, ...lines, fence].join('\n');
}

/** Lines that fit in `budget` characters (joined by newlines), the last one saying how many were left out. */
export function fitLines(lines: readonly string[], budget: number, what: string): string[] {
  const out: string[] = [];
  let used = 0;
  for (const [index, line] of lines.entries()) {
    const more = `… and ${lines.length - index} more ${what}`;
    if (used + size(line) + 1 + size(more) + 1 > budget && index < lines.length - 1) {
      out.push(more);
      return out;
    }
    out.push(line);
    used += size(line) + 1;
  }
  return out;
}

/** A last resort that the budgets above make unreachable: cut at the limit and say so. */
export function limited(text: string, max: number): string {
  if (size(text) <= max) return text;
  const tail = '\n\n… (cut to fit the comment limit)\n';
  const room = Math.max(0, max - size(tail));
  let cut = text.slice(0, room);
  while (size(cut) > room) cut = cut.slice(0, cut.length - Math.max(1, Math.ceil((size(cut) - room) / 4)));
  return `${cut}${tail}`;
}
