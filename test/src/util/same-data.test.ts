// sameData must give isDeepStrictEqual's answer for every value: a looser compare would hide a
// change from a preview (a machine skipped as unchanged).
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sameData } from '../../../src/util/same-data.js';

const anything = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
  withUnicodeString: true,
  maxDepth: 4,
});

describe('sameData', () => {
  it('agrees with isDeepStrictEqual on any two values', () => {
    fc.assert(
      fc.property(anything, anything, (a, b) => {
        expect(sameData(a, b)).toBe(isDeepStrictEqual(a, b));
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees on a value and its near copies (one leaf changed, a key added or dropped)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), fc.nat(), (value, pick) => {
        const copy = structuredClone(value);
        expect(sameData(value, copy)).toBe(true);
        const near = mutate(structuredClone(value), pick);
        expect(sameData(value, near)).toBe(isDeepStrictEqual(value, near));
      }),
      { numRuns: 2000 },
    );
  });

  it('tells apart what loose comparisons confuse', () => {
    const cases: [unknown, unknown][] = [
      [0, -0],
      [Number.NaN, Number.NaN],
      [{ a: undefined }, {}],
      [holey(), [1, undefined, 3]],
      [Object.assign([1], { extra: 1 }), [1]],
      [Object.create(null), {}],
      [{ [Symbol('s')]: 1 }, {}],
      [new Date(0), new Date(0)],
      [new Date(0), new Date(1)],
      [new Map([[1, 2]]), new Map([[1, 3]])],
      [{ a: [1, { b: '1' }] }, { a: [1, { b: 1 }] }],
      [[], {}],
      // keys node does not compare: non-enumerable own ones
      [Object.defineProperty({ a: 1 }, 'hidden', { value: 2, enumerable: false }), { a: 1 }],
      [Object.defineProperty({ a: 1 }, 'hidden', { value: 2, enumerable: false }), { a: 1, hidden: 2 }],
      [{ a: 1, hidden: 3 }, Object.defineProperty({ a: 1 }, 'hidden', { value: 3, enumerable: false })],
    ];
    for (const [index, [a, b]] of cases.entries())
      expect(sameData(a, b), `case ${index}`).toBe(isDeepStrictEqual(a, b));
  });

  it('ignores enumerable keys a polluted Object.prototype adds, as node does', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.polluted = 1;
    try {
      const cases: [unknown, unknown][] = [
        [{ a: 1 }, { a: 1 }],
        [{ a: 1 }, { a: 1, polluted: 1 }],
        [{ a: { b: 1 } }, { a: { b: 2 } }],
        [{}, {}],
      ];
      for (const [index, [a, b]] of cases.entries())
        expect(sameData(a, b), `case ${index}`).toBe(isDeepStrictEqual(a, b));
      expect(sameData({ a: 1 }, { a: 1 })).toBe(true);
    } finally {
      delete proto.polluted;
    }
  });
});

/** [1, <hole>, 3]: an array with an empty slot, which node tells apart from an undefined element. */
function holey(): unknown[] {
  const array: unknown[] = new Array(3);
  array[0] = 1;
  array[2] = 3;
  return array;
}

/** The value with one leaf changed, or one key added or dropped, chosen by `pick`. */
function mutate(value: unknown, pick: number): unknown {
  if (Array.isArray(value)) {
    if (value.length === 0 || pick % 5 === 0) return [...value, pick];
    const index = pick % value.length;
    value[index] = mutate(value[index], Math.floor(pick / 7));
    return value;
  }
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length === 0 || pick % 5 === 0) return { ...record, [`k${pick}`]: pick };
    const key = keys[pick % keys.length]!;
    if (pick % 3 === 0) delete record[key];
    else record[key] = mutate(record[key], Math.floor(pick / 7));
    return record;
  }
  return typeof value === 'number' ? value + 1 : `${String(value)}.`;
}
