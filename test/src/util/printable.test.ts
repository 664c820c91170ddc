import { describe, expect, it } from 'vitest';
import { UNSAFE_TEXT } from '../../../src/config/names.js';
import { printableLine, printableTerminal, printableText } from '../../../src/util/printable.js';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

// C0 and DEL and C1, and Unicode's Bidi_Control set, listed by hand so the test does not share the code's regex
const C0 = range(0x00, 0x1f);
const C1 = range(0x7f, 0x9f);
const BIDI = [0x061c, 0x200e, 0x200f, ...range(0x202a, 0x202e), ...range(0x2066, 0x2069)];

const hex = (code: number) =>
  code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
const NAMED: Record<number, string> = { 10: '\\n', 13: '\\r', 27: '\\x1b' };
const escaped = (code: number) => NAMED[code] ?? hex(code);

describe('printable: every C0, C1 and bidi control character is shown as an escape', () => {
  const kept: Record<string, (text: string) => string> = {
    printableLine,
    printableText,
    printableTerminal,
  };
  for (const [name, printable] of Object.entries(kept)) {
    it(`${name}`, () => {
      for (const code of [...C0, ...C1, ...BIDI]) {
        const char = String.fromCodePoint(code);
        const stays = code === 0x09 || (code === 0x0a && name !== 'printableLine');
        expect(printable(`a${char}b`), `U+${code.toString(16).padStart(4, '0')}`).toBe(
          stays ? `a${char}b` : `a${escaped(code)}b`,
        );
      }
    });
  }

  it('leaves ordinary text alone, and keeps only the colours borgops paints on a terminal', () => {
    const ordinary = 'Zürich 東京 😀 \u200b a\tb \\x1b literal';
    expect(printableLine(ordinary)).toBe(ordinary);
    expect(printableText(ordinary)).toBe(ordinary);
    expect(printableTerminal('\u001b[31mred\u001b[0m')).toBe('\u001b[31mred\u001b[0m');
    expect(printableTerminal('\u001b[2J\u001b]0;title\u0007')).toBe('\\x1b[2J\\x1b]0;title\\x07');
    expect(printableText('\u001b[31m')).toBe('\\x1b[31m');
  });
});

describe('validation refuses what printing would escape', () => {
  it('UNSAFE_TEXT matches exactly the characters printableLine escapes, and tab', () => {
    for (let code = 0; code <= 0x3000; code += 1) {
      const char = String.fromCodePoint(code);
      const escapedOnPrint = printableLine(char) !== char;
      expect(UNSAFE_TEXT.test(char), `U+${code.toString(16).padStart(4, '0')}`).toBe(
        escapedOnPrint || code === 0x09,
      );
    }
  });
});
