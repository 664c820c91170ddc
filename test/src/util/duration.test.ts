import { describe, expect, it } from 'vitest';
import { type DurationStyle, formatDuration } from '../../../src/util/duration.js';

describe('formatDuration', () => {
  it.each<[number, DurationStyle, string]>([
    [0, 'exact', '0s'],
    [1234, 'exact', '20m34s'],
    [90_061, 'exact', '1d1h1m1s'],
    [86_400, 'exact', '1d'],
    [1.5, 'elapsed', '1.5 s'],
    [59.94, 'elapsed', '59.9 s'],
    [123, 'elapsed', '2 min 3 s'],
    [0, 'age', '0s'],
    [45, 'age', '45s'],
    [59.6, 'age', '60s'],
    [2700, 'age', '45m'],
    [3600, 'age', '1h'],
    [5400, 'age', '2h'],
    [86_400, 'age', '1d'],
    [259_200, 'age', '3d'],
    [0, 'ago', '0s ago'],
    [-5, 'ago', '0s ago'],
    [59.4, 'ago', '59s ago'],
    [90, 'ago', '1m ago'],
    [120, 'ago', '2m ago'],
    [7199, 'ago', '1h ago'],
    [7200, 'ago', '2h ago'],
    [172_800, 'ago', '2d ago'],
  ])('%d s, %s: %s', (seconds, style, text) => {
    expect(formatDuration(seconds, style)).toBe(text);
  });
});
