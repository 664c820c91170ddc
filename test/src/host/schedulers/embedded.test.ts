import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { embeddedScheduler, readScheduleTable, recordRun } from '../../../../src/host/schedulers/embedded.js';
import type { ScheduledJob } from '../../../../src/host/schedulers/types.js';
import { tempDir } from '../../../helpers/temp.js';

function jobOf(overrides: Partial<ScheduledJob> = {}): ScheduledJob {
  return {
    machine: 'jon',
    destination: 'local',
    startAt: ['*:0/15'],
    staggerSeconds: 1234,
    command: ['/usr/bin/node', 'main.js', 'backups', 'create', 'jon', '--destination', 'local'],
    ...overrides,
  };
}

describe('embedded schedule table', () => {
  it('holds calendar, stagger and the staggered calendar; keeps installedAt and lastRun across updates', async () => {
    const table = join(await tempDir('borgops-embedded-'), 'schedule.json');
    let clock = new Date('2026-03-10T12:00:00Z');
    const scheduler = embeddedScheduler(table, () => clock);
    const [file] = scheduler.render(jobOf());
    expect(file).toEqual({
      path: `${table}#local`,
      content: `${JSON.stringify(
        {
          machine: 'jon',
          destination: 'local',
          startAt: ['*:0/15'],
          staggerSeconds: 1234,
          runsAt: ['*-*-* *:05/15:34'],
          command: jobOf().command,
        },
        null,
        2,
      )}\n`,
    });
    expect(await scheduler.install(jobOf())).toEqual([table]);
    expect(await recordRun(table, 'local', new Date('2026-03-10T12:05:34Z'))).toBe(true);
    clock = new Date('2026-03-11T00:00:00Z');
    await scheduler.install(jobOf({ startAt: ['daily'] }));
    const row = (await readScheduleTable(table)).jobs.local;
    expect(row).toMatchObject({
      startAt: ['daily'],
      runsAt: ['*-*-* 00:20:34'],
      installedAt: '2026-03-10T12:00:00.000Z',
      lastRun: '2026-03-10T12:05:34.000Z',
    });
    expect(await scheduler.lastRun('local')).toBe('2026-03-10T12:05:34.000Z');
    // what the plan compares excludes the agent's history
    expect((await scheduler.observe())[0]?.files).toEqual(scheduler.render(jobOf({ startAt: ['daily'] })));
    expect(JSON.parse(await readFile(table, 'utf8')).version).toBe(1);

    await scheduler.remove('local');
    expect(await recordRun(table, 'local', clock)).toBe(false);
    expect((await readScheduleTable(table)).jobs).toEqual({});
  });

  it('loses no update when apply and the agent write the table at once', async () => {
    const table = join(await tempDir('borgops-embedded-'), 'schedule.json');
    const scheduler = embeddedScheduler(table);
    const names = Array.from({ length: 12 }, (_, i) => `d${i}`);
    await Promise.all(names.map((destination) => scheduler.install(jobOf({ destination }))));
    await Promise.all([
      ...names.map((destination, i) => recordRun(table, destination, new Date(Date.UTC(2026, 2, 10, i)))),
      scheduler.install(jobOf({ destination: 'late' })),
    ]);
    const jobs = (await readScheduleTable(table)).jobs;
    expect(Object.keys(jobs)).toEqual([...names, 'late'].sort());
    expect(names.map((name) => jobs[name]?.lastRun)).toEqual(
      names.map((_, i) => new Date(Date.UTC(2026, 2, 10, i)).toISOString()),
    );
  });

  it('lets exactly one of several processes claim a slot (a run recorded against the last run it saw)', async () => {
    const table = join(await tempDir('borgops-embedded-'), 'schedule.json');
    const scheduler = embeddedScheduler(table);
    await scheduler.install(jobOf({ destination: 'local' }));
    const seen = (await readScheduleTable(table)).jobs.local?.lastRun ?? null;
    const claims = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        recordRun(table, 'local', new Date(Date.UTC(2026, 2, 10, 1, 0, i)), seen),
      ),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
    const after = (await readScheduleTable(table)).jobs.local?.lastRun ?? null;
    expect(await recordRun(table, 'local', new Date(), after)).toBe(true);
    expect(await recordRun(table, 'local', new Date(), after)).toBe(false);
  });
});
