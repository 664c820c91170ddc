import { Writable } from 'node:stream';
import { type Logger, pino } from 'pino';

/** A pino logger at `level` that keeps every line it writes (JSON text, one entry per line). */
export function recordingLogger(level = 'trace'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}
