// What `borg create --json` says about the archive it made: its stats, and its start only when
// borg ran in UTC and printed one that reads as an instant (retention may delete on it).
import { describe, expect, it } from 'vitest';
import { parseCreateOutput } from '../../../src/borg/create.js';

const output = (archive: Record<string, unknown>) =>
  JSON.stringify({
    archive: {
      duration: 1.5,
      stats: { nfiles: 2, original_size: 10, compressed_size: 8, deduplicated_size: 4 },
      ...archive,
    },
  });

describe('parseCreateOutput', () => {
  it('reads the start as an instant when borg ran in UTC', () => {
    const parsed = parseCreateOutput(output({ start: '2026-03-29T01:30:00.250000' }), true);
    expect(parsed.start?.epochMicros).toBe(Date.UTC(2026, 2, 29, 1, 30) * 1000 + 250_000);
    expect(parsed.stats).toEqual({
      files: 2,
      originalSize: 10,
      compressedSize: 8,
      deduplicatedSize: 4,
      durationSeconds: 1.5,
    });
  });

  it('gives no start when borg ran in local time, printed none, or printed one that does not read', () => {
    expect(parseCreateOutput(output({ start: '2026-03-29T01:30:00.000000' }), false).start).toBeUndefined();
    expect(parseCreateOutput(output({}), true).start).toBeUndefined();
    for (const start of ['yesterday', '2026-13-40T99:00:00', '', '2026-03-29 01:30:00'])
      expect(parseCreateOutput(output({ start }), true).start).toBeUndefined();
    expect(parseCreateOutput(output({ start: 7 }), true)).toEqual({
      stats: { files: 0, originalSize: 0, compressedSize: 0, deduplicatedSize: 0, durationSeconds: 0 },
    });
  });

  it('gives zeros and no start for output that is not borg create --json', () => {
    for (const stdout of ['', 'not json', '{}', '[]', 'null'])
      expect(parseCreateOutput(stdout, true)).toEqual({
        stats: { files: 0, originalSize: 0, compressedSize: 0, deduplicatedSize: 0, durationSeconds: 0 },
      });
  });
});
