// Retention over 100,000 archives, in-process (the pure rules a plan uses).
import { median } from '../lib.mjs';

export const name = 'retention over 100,000 archives';
export const target = '< 100 ms';

export async function run({ runs }) {
  const { ownArchives, planRetention } = await import('../../../dist/src/borg/retention.js');
  const archives = [];
  const start = Date.parse('2016-01-01T00:00:00Z');
  for (let i = 0; i < 100_000; i++) {
    const time = new Date(start + i * 47 * 60 * 1000).toISOString().slice(0, 19);
    archives.push({
      name: `jon-storagebox-${time}`,
      id: String(i).padStart(64, '0'),
      start: `${time}.000000`,
    });
  }
  archives.reverse();
  const keep = { within: '1d', daily: 7, weekly: 4, monthly: 12, yearly: 5 };
  const now = new Date(start + 100_000 * 47 * 60 * 1000);
  const samples = [];
  let pruned = 0;
  for (let round = 0; round < runs + 2; round++) {
    globalThis.gc?.();
    const started = performance.now();
    const own = ownArchives(archives, 'jon-storagebox-');
    pruned = planRetention(own, keep, now).pruned.length;
    if (round >= 2) samples.push(performance.now() - started);
  }
  const ms = median(samples);
  return {
    rows: [
      { case: 'ownArchives + planRetention, 100k archives', ms, met: ms < 100, note: `${pruned} pruned` },
    ],
  };
}
