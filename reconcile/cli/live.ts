import type { Io } from './io.js';

/**
 * Progress lines on a terminal, one per running step (each destination backed up in parallel has
 * its own), redrawn in place on stderr under everything printed. Whatever is printed through
 * `io` while they show first erases them, so a result or a message never runs into a progress line.
 */
export interface LiveLines {
  /** Prints through this to keep the progress lines below the text. */
  io: Io;
  set(key: string, line: string): void;
  remove(key: string): void;
  /** Erases the lines (at the end, or before printing around them). */
  clear(): void;
}

const REDRAW_MS = 100;

export function liveLines(io: Io, width: () => number): LiveLines {
  const lines = new Map<string, string>();
  let drawn = 0;
  let lastDraw = 0;
  const erase = (): string => (drawn > 0 ? `\r\u001b[${drawn}A\u001b[J` : '\r\u001b[K');
  const block = (): string => {
    const cut = Math.max(20, width() - 1);
    return [...lines.values()].map((line) => `${line.slice(0, cut)}\n`).join('');
  };
  const redraw = (): void => {
    io.err(`${erase()}${block()}`);
    drawn = lines.size;
    lastDraw = Date.now();
  };
  const around =
    (write: (text: string) => void) =>
    (text: string): void => {
      if (drawn > 0) io.err(erase());
      drawn = 0;
      write(text);
      if (lines.size > 0) redraw();
    };
  return {
    io: {
      out: around((text) => io.out(text)),
      err: around((text) => io.err(text)),
      interactive: io.interactive,
    },
    set(key, line) {
      const isNew = !lines.has(key);
      lines.set(key, line);
      // a new line shows at once; progress of a running one at most every 100 ms
      if (isNew || Date.now() - lastDraw >= REDRAW_MS) redraw();
    },
    remove(key) {
      if (!lines.delete(key)) return;
      redraw();
    },
    clear() {
      lines.clear();
      if (drawn > 0) io.err(erase());
      drawn = 0;
    },
  };
}
