import { describe, expect, it } from 'vitest';
import { ago, article, plural } from '../../../src/util/words.js';

describe('plural, article, ago', () => {
  it.each([
    [0, 'archive', undefined, '0 archives'],
    [1, 'archive', undefined, '1 archive'],
    [2, 'archive', undefined, '2 archives'],
    [1, 'borg process', 'borg processes', '1 borg process'],
    [3, 'borg process', 'borg processes', '3 borg processes'],
  ])('%i %s', (count, one, many, expected) => {
    expect(plural(count, one, many)).toBe(expected);
  });

  it.each([
    ['embedded', 'an embedded'],
    ['systemd', 'a systemd'],
    ['auto', 'an auto'],
  ])('%s', (word, expected) => {
    expect(article(word)).toBe(expected);
  });

  it('uses one unit per range, never 102s beside 2m', () => {
    const now = new Date('2026-03-01T12:00:00Z');
    const secondsAgo = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();
    expect(ago(now, secondsAgo(59))).toBe('59s ago');
    expect(ago(now, secondsAgo(102))).toBe('1m ago');
    expect(ago(now, secondsAgo(3599))).toBe('59m ago');
    expect(ago(now, secondsAgo(7200))).toBe('2h ago');
    expect(ago(now, secondsAgo(86_400 * 3))).toBe('3d ago');
  });
});
