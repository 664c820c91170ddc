import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Archive } from '../../../src/borg/types.js';
import { KEEP_RULES, type Keep } from '../../../src/config/schema.js';
import { borgSandbox } from '../../helpers/borg.js';
import {
  archiveRepo,
  backdatedArchive,
  compareWithBorg,
  lastFallBack,
  pruneHasQuarterly,
  useZone,
} from '../../helpers/borg-prune.js';

/*
 * Property: for random archive times and random rules, planRetention keeps and prunes exactly
 * what `borg prune --dry-run --list` of the real borg keeps and prunes, with the same rule and
 * number for each kept archive, in several time zones.
 *
 * borg processes are the cost (~0.35 s each), so the archives are made once: a pool of
 * back-dated archives whose names carry random letters (`pacf-07`), and each run picks all of
 * them or those holding one or two letters, with borg's own --glob-archives (`p*`, `p*a*c*`).
 * Each run is one `borg prune`, on a random subset of random times.
 */

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu'] as const;
const LETTERS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'] as const;
const HOUR = 3_600_000;

const zoneBefore = process.env.TZ;
afterAll(() => {
  if (zoneBefore === undefined) delete process.env.TZ;
  else process.env.TZ = zoneBefore;
});

const startedAt = Date.now();
/** Seconds before now of the two hours around a zone's latest fall-back (the repeated hour). */
function aroundFallBack(zone: string) {
  const seconds = Math.floor((startedAt - lastFallBack(zone, startedAt - 3 * HOUR)) / 1000);
  return fc.integer({ min: seconds - 3600, max: seconds + 3600 });
}

/** Seconds before now: recent (within rules) to years (yearly rules), and the repeated hours. */
const age = fc.oneof(
  aroundFallBack('America/New_York'),
  aroundFallBack('Europe/Berlin'),
  aroundFallBack('Australia/Lord_Howe'),
  fc.integer({ min: 0, max: 6 * 3600 }),
  fc.integer({ min: 0, max: 3 * 86_400 }),
  fc.integer({ min: 0, max: 40 * 86_400 }),
  fc.integer({ min: 0, max: 400 * 86_400 }),
  fc.integer({ min: 0, max: 4 * 365 * 86_400 }),
);
/** Older than another archive by nothing (a tie), seconds, minutes, hours or days: same periods. */
const gap = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 1, max: 59 }),
  fc.integer({ min: 1, max: 3600 }),
  fc.integer({ min: 1, max: 86_400 }),
  fc.integer({ min: 1, max: 10 * 86_400 }),
);
const POOL = { independent: 15, derived: 11 };
const pool = fc.record({
  ages: fc.array(age, { minLength: POOL.independent, maxLength: POOL.independent }),
  derived: fc.array(fc.record({ from: fc.nat(POOL.independent - 1), gap }), {
    minLength: POOL.derived,
    maxLength: POOL.derived,
  }),
  letters: fc.array(fc.subarray([...LETTERS]), {
    minLength: POOL.independent + POOL.derived,
    maxLength: POOL.independent + POOL.derived,
  }),
});

/** borg 1.4's quarterly rules join in only when the borg on PATH has them (borg ≥ 1.4.1, not 1.2). */
const QUARTERLY = await pruneHasQuarterly();
const RULES = KEEP_RULES.filter((rule) => QUARTERLY || (rule !== '13weekly' && rule !== '3monthly'));
/** One to three rules with small counts, so that runs prune as well as keep. */
const keep: fc.Arbitrary<Keep> = fc
  .tuple(
    fc.subarray([...RULES], { minLength: 1, maxLength: 3 }),
    fc.constantFrom('1H', '5H', '12H', '1d', '2d', '3d', '1w', '2w', '1m', '3m', '1y'),
    fc.array(fc.integer({ min: 1, max: 4 }), { minLength: RULES.length, maxLength: RULES.length }),
  )
  .map(([rules, within, counts]) => {
    const result: Keep = {};
    for (const [i, rule] of RULES.entries()) {
      if (!rules.includes(rule)) continue;
      if (rule === 'within') result.within = within;
      else result[rule] = counts[i] ?? 1;
    }
    // borg takes one of the two quarterly rules (a mutually exclusive group)
    if (result['13weekly'] !== undefined) delete result['3monthly'];
    return result;
  });

describe('planRetention equals borg prune (property, real borg)', () => {
  it('keeps and prunes what borg keeps and prunes, rule by rule', async () => {
    const seed = Date.now() ^ (Math.random() * 2 ** 31);
    const sandbox = await borgSandbox();
    const { target, source } = await archiveRepo(sandbox);
    const [generated] = fc.sample(pool, { numRuns: 1, seed });
    if (generated === undefined) throw new Error('no pool');

    const now = Math.floor(Date.now() / 1000) * 1000;
    const times = generated.ages.map((seconds) => now - seconds * 1000);
    for (const { from, gap: seconds } of generated.derived) {
      times.push((times[from] ?? now) - seconds * 1000);
    }
    const names = times.map(
      (_, i) => `p${(generated.letters[i] ?? []).join('')}-${String(i).padStart(2, '0')}`,
    );
    for (const [i, time] of times.entries()) {
      await backdatedArchive(sandbox, target, source, names[i] ?? '', new Date(time));
    }

    const listed = new Map<string, Archive[]>();
    async function archivesIn(zone: string): Promise<Archive[]> {
      const cached = listed.get(zone);
      if (cached !== undefined) return cached;
      const observed = await sandbox.borg.list(target);
      if (observed.state !== 'present') throw new Error(`list failed: ${JSON.stringify(observed)}`);
      listed.set(zone, observed.archives);
      return observed.archives;
    }

    await fc.assert(
      fc.asyncProperty(
        // No letter: every archive of the pool (`p*`); one or two: a random part of it.
        fc.subarray([...LETTERS], { maxLength: 2 }),
        keep,
        fc.constantFrom(...ZONES),
        async (letters, rules, zone) => {
          useZone(sandbox, zone);
          const pattern = new RegExp(`^p${letters.map((l) => `.*${l}`).join('')}`);
          const archives = (await archivesIn(zone)).filter((a) => pattern.test(a.name));
          const glob = `p${letters.map((l) => `*${l}`).join('')}*`;
          const { borg, ours } = await compareWithBorg(sandbox, target.repo, glob, archives, rules);
          expect(ours, JSON.stringify({ zone, rules, glob, archives })).toEqual(borg);
        },
      ),
      { numRuns: 18, seed, endOnFailure: true },
    );
    // One list per time zone at most: the archives are listed, not re-read per run.
    expect(sandbox.borg.processCount).toBeLessThanOrEqual(1 + times.length + ZONES.length);
  }, 240_000);
});
