import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownArchives } from '../../../src/borg/retention.js';
import type { Archive, BorgTarget } from '../../../src/borg/types.js';
import type { Keep } from '../../../src/config/schema.js';
import { type BorgSandbox, borgSandbox } from '../../helpers/borg.js';
import {
  archiveRepo,
  backdatedArchive,
  compareWithBorg,
  pruneHasQuarterly,
  repeatedHourWithin,
  useZone,
} from '../../helpers/borg-prune.js';

/*
 * Edge cases of borg's prune rules, each checked against real borg: one repository, groups of
 * back-dated archives (`fx<group>-NN`), one `borg prune --dry-run` per example.
 */

const HOUR = 3_600_000;
const now = Math.floor(Date.now() / 1000) * 1000;
const utc = (text: string) => new Date(`${text}Z`).getTime();

const nyWithin = repeatedHourWithin('America/New_York', now);
const berlinWithin = repeatedHourWithin('Europe/Berlin', now);

/** Archive times (UTC) per group, created oldest-listed-first in this order. */
const GROUPS: Record<string, number[]> = {
  // An earlier rule keeps the newest archive of a day; [oldest] when periods run out.
  consumed: [
    utc('2026-03-01T01:00:00'),
    utc('2026-03-02T01:00:00'),
    utc('2026-03-03T01:00:00'),
    utc('2026-03-03T02:00:00'),
  ],
  // ISO weeks: 2020-12-28 … 2021-01-03 are 2020-W53. 00:30Z on the 4th is still Sunday in New York.
  isoweek: [
    utc('2020-12-27T12:00:00'),
    utc('2020-12-28T12:00:00'),
    utc('2021-01-03T12:00:00'),
    utc('2021-01-04T00:30:00'),
  ],
  // Equal times: borg counts the archive it lists later as the newer one.
  ties: [utc('2026-05-04T00:00:00'), utc('2026-05-05T05:05:05'), utc('2026-05-05T05:05:05')],
  // Relative to now, with at least half an hour between an archive and a within boundary.
  recent: [now - 8 * 24 * HOUR, now - 25 * HOUR, now - 1.5 * HOUR, now - 0.5 * HOUR],
  // One UTC day apart, one local day in Berlin (UTC+2 in June).
  localday: [utc('2026-06-09T12:00:00'), utc('2026-06-10T23:30:00'), utc('2026-06-11T00:30:00')],
  // Berlin falls back on 2026-10-25: 00:30Z and 01:30Z are both 02:30 local, borg prints them alike.
  fallback: [utc('2026-10-25T00:30:00'), utc('2026-10-25T01:30:00'), utc('2026-10-25T02:30:00')],
  // New York 2023-11-05: 01:15, 01:45 EDT, then 01:05, 01:30 EST (the newest has an earlier wall time).
  nyrepeat: [
    utc('2023-11-05T05:15:00'),
    utc('2023-11-05T05:45:00'),
    utc('2023-11-05T06:05:00'),
    utc('2023-11-05T06:30:00'),
  ],
  // Berlin 2023-10-29: 02:10, 02:40 CEST, then 02:05, 02:20, 02:50 CET.
  berlinrepeat: [
    utc('2023-10-29T00:10:00'),
    utc('2023-10-29T00:40:00'),
    utc('2023-10-29T01:05:00'),
    utc('2023-10-29T01:20:00'),
    utc('2023-10-29T01:50:00'),
  ],
  // The latest fall-back before now, with a within limit inside the repeated hour.
  nywithin: nyWithin.times,
  berlinwithin: berlinWithin.times,
};

const EXAMPLES: { group: string; zone: string; keep: Keep }[] = [
  { group: 'consumed', zone: 'UTC', keep: { last: 1, daily: 2 } },
  { group: 'consumed', zone: 'UTC', keep: { daily: 10 } },
  { group: 'consumed', zone: 'UTC', keep: { last: 1, daily: 1, weekly: 1, monthly: 1, yearly: 5 } },
  { group: 'isoweek', zone: 'UTC', keep: { weekly: 3 } },
  { group: 'isoweek', zone: 'America/New_York', keep: { weekly: 3 } },
  { group: 'isoweek', zone: 'UTC', keep: { yearly: 1, weekly: 1 } },
  { group: 'ties', zone: 'UTC', keep: { last: 1 } },
  { group: 'ties', zone: 'UTC', keep: { last: 2 } },
  { group: 'recent', zone: 'UTC', keep: { within: '1H' } },
  { group: 'recent', zone: 'UTC', keep: { within: '1d', daily: 1 } },
  { group: 'recent', zone: 'America/New_York', keep: { within: '1w', last: 1, monthly: 1 } },
  { group: 'localday', zone: 'UTC', keep: { daily: 2 } },
  { group: 'localday', zone: 'Europe/Berlin', keep: { daily: 2 } },
  { group: 'fallback', zone: 'Europe/Berlin', keep: { last: 3 } },
  { group: 'fallback', zone: 'Europe/Berlin', keep: { hourly: 2, minutely: 1 } },
  // -1 keeps every period (borg's --keep-daily=-1)
  { group: 'consumed', zone: 'UTC', keep: { daily: -1 } },
  { group: 'isoweek', zone: 'UTC', keep: { yearly: 1, weekly: -1 } },
  { group: 'nyrepeat', zone: 'America/New_York', keep: { last: 1, minutely: -1 } },
  { group: 'nyrepeat', zone: 'America/New_York', keep: { last: 1 } },
  { group: 'nyrepeat', zone: 'America/New_York', keep: { hourly: 1 } },
  { group: 'nyrepeat', zone: 'America/New_York', keep: { minutely: 2 } },
  { group: 'nyrepeat', zone: 'America/New_York', keep: { hourly: 1, daily: 1 } },
  { group: 'berlinrepeat', zone: 'Europe/Berlin', keep: { last: 2 } },
  { group: 'berlinrepeat', zone: 'Europe/Berlin', keep: { minutely: 3 } },
  { group: 'berlinrepeat', zone: 'Europe/Berlin', keep: { hourly: 2 } },
  { group: 'nywithin', zone: 'America/New_York', keep: { within: nyWithin.within } },
  { group: 'nywithin', zone: 'America/New_York', keep: { within: nyWithin.within, last: 1 } },
  { group: 'berlinwithin', zone: 'Europe/Berlin', keep: { within: berlinWithin.within } },
  { group: 'berlinwithin', zone: 'Europe/Berlin', keep: { within: berlinWithin.within, minutely: 1 } },
];

const zoneBefore = process.env.TZ;
let sandbox: BorgSandbox;
let target: BorgTarget;
const listed = new Map<string, Archive[]>();

/** Switches this process and borg to `zone` and lists the archives (once per zone). */
async function archivesIn(zone: string): Promise<Archive[]> {
  useZone(sandbox, zone);
  const cached = listed.get(zone);
  if (cached !== undefined) return cached;
  const observed = await sandbox.borg.list(target);
  if (observed.state !== 'present') throw new Error(`list failed: ${JSON.stringify(observed)}`);
  listed.set(zone, observed.archives);
  return observed.archives;
}

beforeAll(async () => {
  sandbox = await borgSandbox({ suite: true });
  const repo = await archiveRepo(sandbox);
  target = repo.target;
  for (const [group, times] of Object.entries(GROUPS)) {
    for (const [i, time] of times.entries()) {
      await backdatedArchive(sandbox, target, repo.source, `fx${group}-${i}`, new Date(time));
    }
  }
  const clan = [
    ['jon-a-2026-03-01T01:00:00', '2026-03-01T01:00:00'],
    ['jon-a-2026-03-02T01:00:00', '2026-03-02T01:00:00'],
    ['jon-a-b-2026-03-03T01:00:00', '2026-03-03T01:00:00'],
    ['jon-a-2026-03-03T01:00:00.failed', '2026-03-03T01:00:00'],
    ['jon-a-2026-03-04T01:00:00.checkpoint', '2026-03-04T01:00:00'],
  ] as const;
  for (const [name, time] of clan)
    await backdatedArchive(sandbox, target, repo.source, name, new Date(utc(time)));
}, 300_000);

afterAll(async () => {
  await sandbox?.dispose();
  if (zoneBefore === undefined) delete process.env.TZ;
  else process.env.TZ = zoneBefore;
});

describe('planRetention equals borg prune on edge cases (real borg)', () => {
  it.each(EXAMPLES)('$group in $zone with $keep', async ({ group, zone, keep }) => {
    const archives = (await archivesIn(zone)).filter((a) => a.name.startsWith(`fx${group}-`));
    expect(archives).toHaveLength(GROUPS[group]?.length ?? -1);
    const { borg, ours } = await compareWithBorg(sandbox, target.repo, `fx${group}-*`, archives, keep);
    expect(ours).toEqual(borg);
  });

  it('own archives of jon-a- are exactly what a precise glob gives borg, never a neighbour', async () => {
    const mine = ownArchives(await archivesIn('UTC'), 'jon-a-');
    expect(mine.map((a) => a.name)).toEqual(['jon-a-2026-03-01T01:00:00', 'jon-a-2026-03-02T01:00:00']);
    // borg's own prefix glob `jon-a-*` would also take jon-a-b-… and the .failed archive (the
    // NixOS/borgmatic trap); this glob is ownArchives' rule, written for borg.
    const glob = 'jon-a-[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]';
    const { borg, ours } = await compareWithBorg(sandbox, target.repo, glob, mine, { daily: 1 });
    // borg also prunes superseded checkpoints; borgops leaves checkpoints alone.
    expect(ours).toEqual({ ...borg, pruned: borg.pruned.filter((name) => !name.includes('.checkpoint')) });
    expect(ours.pruned).toEqual(['jon-a-2026-03-01T01:00:00']);
  });
});

/*
 * borg 1.4's quarterly rules (--keep-13weekly, --keep-3monthly, borg ≥ 1.4.1) against the real
 * borg, when the borg on PATH has them (borg 1.2 and 1.4.0 do not: skipped there). The dates are
 * borg's own test_prune_quarterly's, plus the ISO-week quarter boundaries.
 */
const QUARTERLY = await pruneHasQuarterly();
const QUARTER_DATES = [
  '2020-09-27T12:00:00', // ISO week 39
  '2020-09-28T12:00:00', // 40
  '2020-12-06T00:00:00',
  '2021-01-03T00:00:00', // 2020-W53
  '2021-03-28T00:00:00',
  '2021-03-31T23:30:00', // Berlin: already April 1st
  '2021-04-04T12:00:00', // 13
  '2021-04-05T12:00:00', // 14
  '2021-04-25T00:00:00',
  '2021-06-27T00:00:00',
  '2021-07-04T00:00:00',
  '2021-09-26T00:00:00',
  '2021-10-03T00:00:00',
  '2021-12-26T00:00:00',
  '2022-01-02T00:00:00', // 2021-W52
  '2024-12-29T12:00:00', // 2024-W52
  '2024-12-30T12:00:00', // 2025-W01
];
const QUARTER_RULES: Keep[] = [
  { '13weekly': 99 },
  { '3monthly': 99 },
  { '13weekly': 3 },
  { '3monthly': -1 },
  { monthly: 2, '13weekly': 3, yearly: 2 },
  { weekly: 1, '3monthly': 4, yearly: 1 },
];

describe.skipIf(!QUARTERLY)("borg 1.4's quarterly rules equal borg prune (a borg that has them)", () => {
  let quarters: BorgSandbox;
  let quartersRepo: BorgTarget;

  beforeAll(async () => {
    quarters = await borgSandbox({ suite: true });
    const repo = await archiveRepo(quarters);
    quartersRepo = repo.target;
    for (const [i, date] of QUARTER_DATES.entries()) {
      await backdatedArchive(quarters, quartersRepo, repo.source, `q-${i}`, new Date(utc(date)));
    }
  }, 120_000);

  afterAll(async () => {
    await quarters?.dispose();
  });

  it.each(['UTC', 'Europe/Berlin'].flatMap((zone) => QUARTER_RULES.map((keep) => ({ zone, keep }))))(
    'in $zone with $keep',
    async ({ zone, keep }) => {
      useZone(quarters, zone);
      const observed = await quarters.borg.list(quartersRepo);
      if (observed.state !== 'present') throw new Error(`list failed: ${JSON.stringify(observed)}`);
      expect(observed.archives).toHaveLength(QUARTER_DATES.length);
      const { borg, ours } = await compareWithBorg(
        quarters,
        quartersRepo.repo,
        'q-*',
        observed.archives,
        keep,
      );
      expect(ours).toEqual(borg);
    },
  );
});
