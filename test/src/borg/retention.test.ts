import { afterEach, describe, expect, it } from 'vitest';
import { ownArchives, planRetention, ruleLabel, withinHours } from '../../../src/borg/retention.js';
import type { Keep } from '../../../src/config/schema.js';

/* Pure tests of borg's prune rules; retention-borg.test.ts checks the same code against borg itself. */

// Local time is this process's time zone; tests that need another one set it and this restores it.
process.env.TZ = 'UTC';
afterEach(() => {
  process.env.TZ = 'UTC';
});

/** Archives named after their start time, listed oldest first as borg lists them. */
function archives(...starts: string[]) {
  return starts.map((start, i) => ({ name: `a${i}-${start}`, start: `${start}.000000` }));
}

function plan(starts: string[], keep: Keep, now = '2030-01-01T00:00:00Z') {
  const result = planRetention(archives(...starts), keep, new Date(now));
  return {
    kept: result.kept.map((k) => `${k.name.replace(/-.*/, '')} ${ruleLabel(k)}`),
    pruned: result.pruned.map((name) => name.replace(/-.*/, '')),
  };
}

describe('ownArchives', () => {
  it('selects exactly <prefix><YYYY-MM-DDTHH:MM:SS>', () => {
    const names = [
      'jon-a-2026-03-01T01:00:00',
      'jon-a-b-2026-03-01T01:00:00', // machine jon, destination a-b (or jon-a, b): a neighbour
      'jon-a-2026-03-01T01:00:00.checkpoint',
      'jon-a-2026-03-01T01:00:00.checkpoint.3',
      'jon-a-2026-03-01T01:00:00.failed',
      'jon-a-2026-03-01T01:00',
      'jon-a-2026-13-01T01:00:00',
      'jon-a-2026-03-01 01:00:00',
      'xjon-a-2026-03-01T01:00:00',
      'jon-2026-03-01T01:00:00',
      'jon-a-2026-03-02T23:59:59',
    ].map((name) => ({ name }));
    expect(ownArchives(names, 'jon-a-').map((a) => a.name)).toEqual([
      'jon-a-2026-03-01T01:00:00',
      'jon-a-2026-03-02T23:59:59',
    ]);
  });

  it('handles hyphenated machine and destination names in both directions', () => {
    const names = [
      'web-01-off-site-2026-03-01T01:00:00',
      'web-01-off-2026-03-01T01:00:00',
      'web-01-2026-03-01T01:00:00',
    ].map((name) => ({ name }));
    expect(ownArchives(names, 'web-01-off-site-').map((a) => a.name)).toEqual([
      'web-01-off-site-2026-03-01T01:00:00',
    ]);
    expect(ownArchives(names, 'web-01-off-').map((a) => a.name)).toEqual(['web-01-off-2026-03-01T01:00:00']);
    expect(ownArchives(names, 'web-').map((a) => a.name)).toEqual([]);
  });
});

describe('planRetention (borg 1.2.4 prune semantics)', () => {
  it('keeps the newest archive of each of the newest n days', () => {
    const starts = [
      '2026-03-01T01:00:00',
      '2026-03-01T13:00:00',
      '2026-03-02T01:00:00',
      '2026-03-02T13:00:00',
      '2026-03-03T01:00:00',
    ];
    expect(plan(starts, { daily: 2 })).toEqual({
      kept: ['a4 daily #1', 'a3 daily #2'],
      pruned: ['a2', 'a1', 'a0'],
    });
  });

  it('a period whose newest archive an earlier rule kept is used up without counting', () => {
    const starts = [
      '2026-03-01T01:00:00',
      '2026-03-02T01:00:00',
      '2026-03-03T01:00:00',
      '2026-03-03T02:00:00',
    ];
    // last (secondly) keeps a3; daily skips March 3 (a2 is not its newest) and keeps a1, a0.
    expect(plan(starts, { last: 1, daily: 2 })).toEqual({
      kept: ['a3 secondly #1', 'a1 daily #1', 'a0 daily #2'],
      pruned: ['a2'],
    });
  });

  it('keeps the oldest archive when a rule finds fewer periods than its count', () => {
    const starts = ['2026-03-01T01:00:00', '2026-03-01T02:00:00', '2026-03-02T01:00:00'];
    expect(plan(starts, { daily: 5 })).toEqual({
      kept: ['a2 daily #1', 'a1 daily #2', 'a0 daily[oldest] #3'],
      pruned: [],
    });
    // Already kept by an earlier rule: no [oldest].
    expect(plan(['2026-03-01T01:00:00'], { last: 1, daily: 3 })).toEqual({
      kept: ['a0 secondly #1'],
      pruned: [],
    });
  });

  it('weeks are ISO weeks starting on Monday, across a year boundary', () => {
    // 2020-12-28 (Mon) … 2021-01-03 (Sun) are all 2020-W53; 2021-01-04 starts 2021-W01.
    const starts = [
      '2020-12-27T12:00:00',
      '2020-12-28T12:00:00',
      '2021-01-03T12:00:00',
      '2021-01-04T00:00:00',
    ];
    expect(plan(starts, { weekly: 3 })).toEqual({
      kept: ['a3 weekly #1', 'a2 weekly #2', 'a0 weekly #3'],
      pruned: ['a1'],
    });
  });

  it('months and years follow the calendar, in the order borg applies rules', () => {
    const starts = [
      '2024-11-30T00:00:00',
      '2024-12-31T23:59:59',
      '2025-01-01T00:00:00',
      '2025-01-15T00:00:00',
    ];
    expect(plan(starts, { monthly: 2, yearly: 2 })).toEqual({
      kept: ['a3 monthly #1', 'a1 monthly #2', 'a0 yearly[oldest] #1'],
      pruned: ['a2'],
    });
  });

  it('within keeps archives strictly newer than now minus the interval', () => {
    const starts = ['2029-12-30T23:59:59', '2030-12-31T00:00:00', '2029-12-31T00:00:01'].sort();
    const result = plan(starts, { within: '1d' }, '2030-01-01T00:00:00Z');
    expect(result).toEqual({ kept: ['a2 within #1', 'a1 within #2'], pruned: ['a0'] });
    expect(plan(['2029-12-31T00:00:00'], { within: '1d' }, '2030-01-01T00:00:00Z').pruned).toEqual(['a0']);
  });

  it("within's units are borg's: a month is 31 days, a year 365", () => {
    expect([
      withinHours('3H'),
      withinHours('2d'),
      withinHours('1w'),
      withinHours('1m'),
      withinHours('1y'),
    ]).toEqual([3, 48, 168, 744, 8760]);
    expect(() => withinHours('0d')).toThrow(/keep.within/);
    expect(() => withinHours('1M')).toThrow(/keep.within/);
  });

  it('reads start times as local time of this process, as borg does', () => {
    process.env.TZ = 'America/New_York';
    // 10:00 in New York is 15:00Z: within 1H of 15:30Z. Read as UTC it would be 5 hours older.
    expect(plan(['2026-03-01T10:00:00'], { within: '1H' }, '2026-03-01T15:30:00Z').kept).toEqual([
      'a0 within #1',
    ]);
    process.env.TZ = 'UTC';
    expect(plan(['2026-03-01T10:00:00'], { within: '1H' }, '2026-03-01T15:30:00Z').pruned).toEqual(['a0']);
  });

  it('breaks ties of equal times like borg: the later listed archive counts as newer', () => {
    const tied = [
      { name: 'first', start: '2026-03-01T01:00:00.000000' },
      { name: 'second', start: '2026-03-01T01:00:00.000000' },
    ];
    const result = planRetention(tied, { last: 1 }, new Date('2030-01-01T00:00:00Z'));
    expect(result.kept.map((k) => k.name)).toEqual(['second']);
    expect(result.pruned).toEqual(['first']);
  });

  it('orders by instant when archives carry one, whatever the input order', () => {
    const starts = [
      '2026-01-05T00:00:00',
      '2026-02-01T00:00:00',
      '2026-02-02T05:00:00',
      '2026-02-09T00:00:00',
    ];
    const timed = archives(...starts).map((a) => ({ ...a, epochMicros: Date.parse(`${a.start}Z`) * 1000 }));
    const sorted = planRetention(timed, { weekly: 2, monthly: 3 }, new Date('2030-01-01Z'));
    const shuffled = planRetention([...timed].reverse(), { weekly: 2, monthly: 3 }, new Date('2030-01-01Z'));
    expect(shuffled).toEqual(sorted);
    expect(sorted.pruned).toEqual(['a1-2026-02-01T00:00:00']);
  });

  describe('the hour that repeats when clocks go back (borg orders by timestamp, not wall time)', () => {
    // New York 2023-11-05: 01:15, 01:45 EDT, then 01:05, 01:30 EST, listed in borg's (timestamp) order.
    const newYork = [
      ['e15', '2023-11-05T01:15:00', '2023-11-05T05:15:00Z'],
      ['e45', '2023-11-05T01:45:00', '2023-11-05T05:45:00Z'],
      ['s05', '2023-11-05T01:05:00', '2023-11-05T06:05:00Z'],
      ['s30', '2023-11-05T01:30:00', '2023-11-05T06:30:00Z'],
    ] as const;
    // Berlin 2023-10-29: 02:10, 02:40 CEST, then 02:05, 02:20, 02:50 CET.
    const berlin = [
      ['c10', '2023-10-29T02:10:00', '2023-10-29T00:10:00Z'],
      ['c40', '2023-10-29T02:40:00', '2023-10-29T00:40:00Z'],
      ['w05', '2023-10-29T02:05:00', '2023-10-29T01:05:00Z'],
      ['w20', '2023-10-29T02:20:00', '2023-10-29T01:20:00Z'],
      ['w50', '2023-10-29T02:50:00', '2023-10-29T01:50:00Z'],
    ] as const;
    const listed = (rows: typeof newYork | typeof berlin, instants: boolean) =>
      rows.map(([name, start, utc]) => ({
        name,
        start,
        ...(instants ? { epochMicros: Date.parse(utc) * 1000 } : {}),
      }));
    const names = (keep: Keep, rows: typeof newYork | typeof berlin, now: string, instants = true) =>
      planRetention(listed(rows, instants), keep, new Date(now)).kept.map((k) => `${k.name} ${k.rule}`);

    it.each([true, false])(
      'New York keeps the newest archive with last or hourly (instants: %s)',
      (instants) => {
        process.env.TZ = 'America/New_York';
        expect(names({ last: 1 }, newYork, '2030-01-01Z', instants)).toEqual(['s30 secondly']);
        expect(names({ hourly: 1 }, newYork, '2030-01-01Z', instants)).toEqual(['s30 hourly']);
        expect(names({ minutely: 2 }, newYork, '2030-01-01Z', instants)).toEqual([
          's30 minutely',
          's05 minutely',
        ]);
      },
    );

    it.each([true, false])('Berlin keeps the two newest with last: 2 (instants: %s)', (instants) => {
      process.env.TZ = 'Europe/Berlin';
      expect(names({ last: 2 }, berlin, '2030-01-01Z', instants)).toEqual(['w50 secondly', 'w20 secondly']);
    });

    it.each([true, false])(
      'within compares instants: 02:20 CET is newer than a limit at 01:00Z, 02:40 CEST is not (instants: %s)',
      (instants) => {
        process.env.TZ = 'Europe/Berlin';
        // now - 1H = 01:00Z: w05, w20, w50 are newer; c40 (00:40Z) is older though its wall time is later.
        // Without instants (an --observed export) the list order tells the second 02:05 from the first.
        expect(names({ within: '1H' }, berlin, '2023-10-29T02:00:00Z', instants)).toEqual([
          'w50 within',
          'w20 within',
          'w05 within',
        ]);
      },
    );
  });

  describe('exported archives without instants (--observed): the repeated hour read from the list order', () => {
    const zones = [
      ['America/New_York', '2023-11-05T04:30:00Z'],
      ['Europe/Berlin', '2023-10-29T00:00:00Z'],
      ['Australia/Lord_Howe', '2023-04-01T14:00:00Z'],
    ] as const;
    it.each(zones)('%s: within keeps exactly what it keeps with instants', (zone, from) => {
      process.env.TZ = zone;
      // one archive every 7 minutes across the repeated hour, listed in timestamp order as borg lists them
      const start = Date.parse(from);
      const rows = Array.from({ length: 30 }, (_, i) => {
        const instant = new Date(start + i * 7 * 60_000);
        const wall = new Date(instant.getTime() - instant.getTimezoneOffset() * 60_000);
        return { name: `a${String(i).padStart(2, '0')}`, start: wall.toISOString().slice(0, 19), instant };
      });
      for (const within of ['1H', '2H']) {
        for (const nowIndex of [10, 15, 20, 29]) {
          const now = new Date((rows[nowIndex]?.instant.getTime() ?? 0) + 60_000);
          const keep = { within };
          const exact = planRetention(
            rows.map((r) => ({ name: r.name, start: r.start, epochMicros: r.instant.getTime() * 1000 })),
            keep,
            now,
          );
          const exported = planRetention(
            rows.map((r) => ({ name: r.name, start: r.start })),
            keep,
            now,
          );
          expect(exported, `${zone} now=${now.toISOString()} ${keep.within}`).toEqual(exact);
        }
      }
    });
  });

  it('refuses a rule set that keeps nothing, and times borg would never print', () => {
    expect(() => planRetention(archives('2026-03-01T01:00:00'), {}, new Date())).toThrow(/at least one/);
    expect(() => planRetention([{ name: 'x', start: 'yesterday' }], { daily: 1 }, new Date())).toThrow(
      /unexpected time/,
    );
  });
});

/*
 * borg 1.4's quarterly rules, --keep-13weekly and --keep-3monthly (helpers/misc.py
 * quarterly_13weekly_period_func / quarterly_3monthly_period_func), as `13weekly` and `3monthly`.
 * The cases are borg 1.4's own (testsuite/archiver.py test_prune_quarterly, worked out by hand
 * by its author): one archive per listed date, `--keep-<rule>=99`.
 */
describe("planRetention: borg 1.4's quarterly rules (borg's test_prune_quarterly)", () => {
  // ISO week in the comment, and the ISO year where it differs from the date's.
  const dates = [
    '2020-12-06', // 49
    '2021-01-03', // 2020-53
    '2021-03-28', // 12
    '2021-04-25', // 16
    '2021-06-27', // 25
    '2021-07-04', // 26
    '2021-09-26', // 38
    '2021-10-03', // 39
    '2021-12-26', // 51
    '2022-01-02', // 2021-52
  ];
  const quarterly = (keep: Keep) => {
    const result = planRetention(
      dates.map((date) => ({ name: `test-${date}`, start: `${date}T00:00:00.000000` })),
      keep,
      new Date('2030-01-01T00:00:00Z'),
    );
    return { kept: result.kept.map((k) => `${k.name} ${ruleLabel(k)}`), pruned: result.pruned };
  };

  it.each([
    {
      rule: '13weekly',
      keep: { '13weekly': 99 },
      kept: [
        'test-2022-01-02 quarterly_13weekly #1',
        'test-2021-10-03 quarterly_13weekly #2',
        'test-2021-07-04 quarterly_13weekly #3',
        'test-2021-03-28 quarterly_13weekly #4',
        'test-2021-01-03 quarterly_13weekly #5',
        // its quarter (2020 Q4, ISO weeks) is used up by 2021-01-03: kept as the oldest
        'test-2020-12-06 quarterly_13weekly[oldest] #6',
      ],
    },
    {
      rule: '3monthly',
      keep: { '3monthly': 99 },
      kept: [
        'test-2022-01-02 quarterly_3monthly #1',
        'test-2021-12-26 quarterly_3monthly #2',
        'test-2021-09-26 quarterly_3monthly #3',
        'test-2021-06-27 quarterly_3monthly #4',
        'test-2021-03-28 quarterly_3monthly #5',
        'test-2020-12-06 quarterly_3monthly #6',
      ],
    },
  ] satisfies { rule: string; keep: Keep; kept: string[] }[])(
    '$rule keeps what borg 1.4 keeps',
    ({ keep, kept }) => {
      const result = quarterly(keep);
      expect(result.kept).toEqual(kept);
      const keptNames = new Set(kept.map((line) => line.split(' ')[0]));
      expect(result.pruned).toEqual(
        dates
          .map((date) => `test-${date}`)
          .filter((name) => !keptNames.has(name))
          .reverse(),
      );
    },
  );

  it.each([
    // ISO weeks 13 | 14, 26 | 27, 39 | 40 are quarter boundaries; week 53 belongs to the fourth quarter
    { week: '13 | 14', older: '2021-04-04T23:59:59', newer: '2021-04-05T00:00:00', same: false },
    { week: '26 | 27', older: '2021-07-04T12:00:00', newer: '2021-07-05T12:00:00', same: false },
    { week: '39 | 40', older: '2021-10-03T12:00:00', newer: '2021-10-04T12:00:00', same: false },
    { week: '12 | 13', older: '2021-03-28T12:00:00', newer: '2021-03-29T12:00:00', same: true },
    { week: '2020-40 | 2020-53', older: '2020-09-28T12:00:00', newer: '2021-01-03T12:00:00', same: true },
    { week: '2020-53 | 2021-01', older: '2021-01-03T23:59:59', newer: '2021-01-04T00:00:00', same: false },
    // 2024-12-30 is in ISO week 2025-01: a new year's first quarter, not 2024's fourth
    { week: '2024-52 | 2025-01', older: '2024-12-29T12:00:00', newer: '2024-12-30T12:00:00', same: false },
  ])('13weekly: ISO weeks $week in one quarter: $same', ({ older, newer, same }) => {
    expect(plan([older, newer], { '13weekly': 2 })).toEqual({
      // in the newer one's quarter, the older archive is kept only as the oldest
      kept: ['a1 quarterly_13weekly #1', `a0 quarterly_13weekly${same ? '[oldest]' : ''} #2`],
      pruned: [],
    });
  });

  it.each([
    { older: '2021-03-31T23:59:59', newer: '2021-04-01T00:00:00', same: false },
    { older: '2021-06-30T23:59:59', newer: '2021-07-01T00:00:00', same: false },
    { older: '2021-09-30T23:59:59', newer: '2021-10-01T00:00:00', same: false },
    { older: '2020-12-31T23:59:59', newer: '2021-01-01T00:00:00', same: false },
    { older: '2021-01-01T00:00:00', newer: '2021-03-31T23:59:59', same: true },
    { older: '2021-10-01T00:00:00', newer: '2021-12-31T23:59:59', same: true },
  ])('3monthly: $older and $newer in one quarter: $same', ({ older, newer, same }) => {
    const label = same ? 'quarterly_3monthly[oldest]' : 'quarterly_3monthly';
    expect(plan([older, newer, '2022-06-01T00:00:00'], { '3monthly': 5 }).kept).toEqual([
      'a2 quarterly_3monthly #1',
      'a1 quarterly_3monthly #2',
      `a0 ${label} #3`,
    ]);
  });

  it('come after monthly and before yearly, in borg 1.4 order', () => {
    // monthly keeps March's newest; 3monthly skips Q1 (used up) and keeps 2020 Q4; yearly the rest
    const starts = [
      '2019-06-01T00:00:00',
      '2020-11-01T00:00:00',
      '2021-02-01T00:00:00',
      '2021-03-01T00:00:00',
    ];
    expect(plan(starts, { monthly: 1, '3monthly': 1, yearly: 2 })).toEqual({
      kept: ['a3 monthly #1', 'a1 quarterly_3monthly #1', 'a0 yearly #1'],
      pruned: ['a2'],
    });
  });
});
