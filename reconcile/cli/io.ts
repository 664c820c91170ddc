import { redactText } from '../../src/log.js';
import { printableTerminal } from '../../src/util/printable.js';

/** Where a command writes: human output to stdout, diagnostics to stderr (logs go through pino). */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** stdout is a terminal (progress, colours, confirmation prompts). */
  interactive: boolean;
}

const ESC = '\u001b';

/** Progress lines start by erasing the previous ones (`\r`, ESC[K, ESC[nA, ESC[J): borgops's own, kept. */
function eraseLine(text: string): string {
  return new RegExp(`^(?:\r|${ESC}\\[K|${ESC}\\[[1-9][0-9]{0,2}A|${ESC}\\[J)+`).exec(text)?.[0] ?? '';
}

export function processIo(): Io {
  return {
    // a last line of defence: data in printed text never drives the terminal (renderers escape first)
    // and a declared secret text (a passCommand with a token) is never printed
    out: (text) => process.stdout.write(printableTerminal(redactText(text))),
    err: (text) =>
      process.stderr.write(
        eraseLine(text) + printableTerminal(redactText(text.slice(eraseLine(text).length))),
      ),
    interactive: Boolean(process.stdout.isTTY && process.stdin.isTTY),
  };
}

export function printJson(io: Io, value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}
