import { describe, expect, it } from 'vitest';
import { durationFlag } from '../../../reconcile/cli/duration.js';

describe('one duration grammar for flags', () => {
  it.each([
    ['30s', 30],
    ['5m', 300],
    ['2h', 7200],
    ['1d', 86_400],
    ['1w', 604_800],
    ['0', 0],
    ['60', 60],
    ['1.5', 1.5],
  ])('%s is %d seconds', (value, seconds) => {
    expect(durationFlag(value, '--interval')).toBe(seconds);
  });

  it.each([
    ['5min', /--interval must be a duration: .* or a number of seconds, not "5min"; did you mean "5m"\?/],
    ['2 hours', /did you mean "2h"\?/],
    ['-1', /not "-1"$/],
    ['soon', /not "soon"$/],
  ])('refuses %s', (value, message) => {
    expect(() => durationFlag(value, '--interval')).toThrow(message);
  });

  it('a positive duration refuses 0', () => {
    expect(() => durationFlag('0', '--for', { positive: true })).toThrow(/--for must be a positive duration/);
  });
});
