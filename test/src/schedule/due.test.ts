import { describe, expect, it } from 'vitest';
import { dueJobs, type JobTiming, nextRun } from '../../../src/schedule/due.js';

const daily: JobTiming = { startAt: ['*-*-* 01:00:00'], staggerSeconds: 1234 };
const at = (iso: string) => new Date(iso);

function next(timing: JobTiming, now: string) {
  const result = nextRun(timing, at(now), 'UTC');
  return result.ok ? { at: result.at.toISOString(), due: result.due } : result;
}

describe('nextRun and dueJobs (pure, Persistent=true semantics)', () => {
  it('runs at the calendar elapse plus the stagger, after the last run', () => {
    const ran = { ...daily, lastRun: '2026-03-10T01:20:34.500Z' };
    expect(next(ran, '2026-03-10T12:00:00Z')).toEqual({ at: '2026-03-11T01:20:34.000Z', due: false });
    expect(next(ran, '2026-03-11T01:20:33Z')).toEqual({ at: '2026-03-11T01:20:34.000Z', due: false });
    expect(next(ran, '2026-03-11T01:20:34Z')).toEqual({ at: '2026-03-11T01:20:34.000Z', due: true });
  });

  it('makes elapses missed while down due once, not once per miss', () => {
    const missed = { ...daily, lastRun: '2026-03-07T01:20:34Z' };
    const now = '2026-03-10T09:00:00Z';
    expect(next(missed, now)).toEqual({ at: '2026-03-08T01:20:34.000Z', due: true });
    // the agent runs it and records the start: nothing is due any more until tomorrow's slot
    expect(next({ ...missed, lastRun: now }, now)).toEqual({ at: '2026-03-11T01:20:34.000Z', due: false });
  });

  it('counts a job that never ran from its installation, else from now', () => {
    const installed = { ...daily, since: '2026-03-09T18:00:00Z' };
    expect(next(installed, '2026-03-10T09:00:00Z')).toEqual({ at: '2026-03-10T01:20:34.000Z', due: true });
    expect(next(installed, '2026-03-09T20:00:00Z')).toEqual({ at: '2026-03-10T01:20:34.000Z', due: false });
    expect(next(daily, '2026-03-10T09:00:00Z')).toEqual({ at: '2026-03-11T01:20:34.000Z', due: false });
  });

  it('takes the earliest of several expressions and says when a calendar never elapses', () => {
    const two = {
      startAt: ['Mon..Fri 02:30', 'Sat,Sun 09:00'],
      staggerSeconds: 0,
      lastRun: '2026-03-06T02:30:00Z',
    };
    expect(next(two, '2026-03-06T12:00:00Z')).toEqual({ at: '2026-03-07T09:00:00.000Z', due: false });
    expect(next({ startAt: ['2020-01-01'], staggerSeconds: 0 }, '2026-03-06T12:00:00Z')).toEqual({
      ok: false,
      reason: 'the calendar never elapses again',
    });
    expect(next({ startAt: ['*-*-* 25:00'], staggerSeconds: 0 }, '2026-03-06T12:00:00Z')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('is not a valid calendar expression') as string,
    });
  });

  it('lists the due jobs by name', () => {
    const jobs: Record<string, JobTiming> = {
      offsite: { ...daily, lastRun: '2026-03-09T01:20:34Z' },
      local: { startAt: ['hourly'], staggerSeconds: 90, lastRun: '2026-03-10T08:01:30Z' },
      broken: { startAt: ['nope'], staggerSeconds: 0, lastRun: '2020-01-01T00:00:00Z' },
      fresh: { ...daily, lastRun: '2026-03-10T01:20:34Z' },
    };
    expect(dueJobs(jobs, at('2026-03-10T09:05:00Z'), 'UTC')).toEqual(['local', 'offsite']);
    expect(dueJobs(jobs, at('2026-03-10T08:30:00Z'), 'UTC')).toEqual(['offsite']);
  });
});
