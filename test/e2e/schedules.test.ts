import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { staggerOffset } from '../../src/desired/stagger.js';
import { hostPaths } from '../../src/host/paths.js';
import { recordRun } from '../../src/host/schedulers/embedded.js';
import { formatDuration } from '../../src/util/duration.js';
import { borgops } from '../helpers/cli.js';
import { localConfig } from '../helpers/fleet.js';
import { gitRepo } from '../helpers/git.js';
import { tempDir } from '../helpers/temp.js';

describe('borgops schedule list (built CLI)', () => {
  it("shows each job's backend, calendar, stagger, next and last run, from the applied declarations", async () => {
    const base = await tempDir('borgops-e2e-schedules-');
    const root = join(base, 'root');
    await mkdir(join(base, 'repos'), { recursive: true });
    // a calendar far from now, so the next run does not depend on when the test runs
    const repo = await gitRepo(
      localConfig(
        { local: join(base, 'repos/local') },
        {
          startAt: '2099-01-01 00:00:00',
          stagger: '1h',
          verify: { check: false, drill: '2099-06-01 00:00:00' },
        },
      ),
    );
    const common = ['--source', repo.dir, '--machine', 'jon', '--root', root];
    const env = { TZ: 'UTC' };

    const missing = await borgops(['schedule', 'list', ...common], { env });
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain('run `borgops apply` first');

    const bad = await borgops(['plan', ...common, '--scheduler', 'cron'], { env });
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain("argument 'cron' is invalid. Allowed choices are auto, systemd, embedded.");

    const applied = await borgops(['apply', ...common, '--scheduler', 'embedded'], { env });
    expect(applied.exitCode).toBe(0);
    const offset = staggerOffset('jon', 'local', 3600);
    const slot = `${String(Math.floor(offset / 60)).padStart(2, '0')}:${String(offset % 60).padStart(2, '0')}`;

    const listed = await borgops(['schedule', 'list', ...common, '--json'], { env });
    expect(listed.exitCode).toBe(0);
    const list = JSON.parse(listed.stdout);
    expect(list).toMatchObject({ machine: 'jon', commit: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(list.jobs).toEqual([
      // the drill next to the backup job, with the same stagger
      {
        destination: 'local',
        job: 'drill',
        backend: 'embedded',
        startAt: ['2099-06-01 00:00:00'],
        staggerSeconds: offset,
        runsAt: [`2099-06-01 00:${slot}`],
        nextRun: `2099-06-01T00:${slot}.000Z`,
        due: false,
        lastRun: null,
        state: 'installed',
      },
      {
        destination: 'local',
        job: 'backup',
        backend: 'embedded',
        startAt: ['2099-01-01 00:00:00'],
        staggerSeconds: offset,
        runsAt: [`2099-01-01 00:${slot}`],
        nextRun: `2099-01-01T00:${slot}.000Z`,
        due: false,
        lastRun: null,
        state: 'installed',
      },
    ]);

    await recordRun(hostPaths(root).schedule, 'local', new Date('2026-03-10T01:02:03Z'));
    const text = await borgops(['schedule', 'list', ...common], { env });
    expect(text.stdout).toMatch(
      /^Backup jobs of jon, as applied at [0-9a-f]{12} on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+00:00:\n\n/,
    );
    const [header, drill, row] = text.stdout.trim().split('\n').slice(2);
    expect(drill?.split(/ {2,}/).slice(0, 3)).toEqual(['local', 'drill', 'embedded']);
    expect(header?.split(/ {2,}/)).toEqual([
      'DESTINATION',
      'JOB',
      'BACKEND',
      'CALENDAR',
      'STAGGER',
      'RUNS AT',
      'NEXT RUN',
      'LAST RUN',
      'STATE',
    ]);
    expect(row?.split(/ {2,}/)).toEqual([
      'local',
      'backup',
      'embedded',
      '2099-01-01 00:00:00',
      formatDuration(offset),
      `2099-01-01 00:${slot}`,
      `2099-01-01 00:${slot} +00:00`,
      '2026-03-10 01:02:03 +00:00',
      'installed',
    ]);

    // a hand-edited table row is reported as drift
    const table = hostPaths(root).schedule;
    await writeFile(
      table,
      (await readFile(table, 'utf8')).replace('"staggerSeconds": ', '"staggerSeconds": 1'),
    );
    const drifted = JSON.parse((await borgops(['schedule', 'list', ...common, '--json'], { env })).stdout);
    expect(drifted.jobs[0].state).toBe('drifted');
  });
});
