import { describe, expect, it } from 'vitest';
import { unpack } from '../../../src/util/msgpack.js';

const bytes = (...values: number[]) => Uint8Array.from(values);

describe('unpack (MessagePack, as borg writes hints files)', () => {
  it('decodes integers of every width, nil, booleans and floats', () => {
    expect(unpack(bytes(0x05))).toBe(5);
    expect(unpack(bytes(0xff))).toBe(-1);
    expect(unpack(bytes(0xcc, 0xc8))).toBe(200);
    expect(unpack(bytes(0xcd, 0x01, 0xd4))).toBe(468);
    expect(unpack(bytes(0xce, 0x00, 0x09, 0x36, 0x25))).toBe(603685);
    expect(unpack(bytes(0xcf, 0, 0, 0, 1, 0, 0, 0, 0))).toBe(2 ** 32);
    expect(unpack(bytes(0xd0, 0x80))).toBe(-128);
    expect(unpack(bytes(0xc0))).toBeNull();
    expect(unpack(bytes(0xc3))).toBe(true);
    expect(unpack(bytes(0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0))).toBe(1.5);
  });

  it('keeps raw strings as bytes (borg packs non-UTF-8 ids as str) and byte-string map keys as latin1', () => {
    const map = unpack(bytes(0x82, 0xa1, 0x61, 0xa2, 0xd0, 0x41, 0x01, 0x92, 0x01, 0x02));
    expect(map).toBeInstanceOf(Map);
    const entries = [...(map as Map<unknown, unknown>).entries()];
    expect(entries[0]).toEqual(['a', Uint8Array.from([0xd0, 0x41])]);
    expect(entries[1]).toEqual([1, [1, 2]]);
  });

  it.each([
    ['truncated data', bytes(0xce, 0x00, 0x01), /truncated/],
    ['trailing bytes', bytes(0x01, 0x02), /trailing bytes/],
    ['an unknown type', bytes(0xc1), /unsupported MessagePack type 0xc1/],
    ['a map that claims more entries than there are bytes', bytes(0xdf, 0xff, 0xff, 0xff, 0xff), /truncated/],
  ])('refuses %s with a named error', (_name, input, message) => {
    expect(() => unpack(input)).toThrow(message);
  });

  it('refuses nesting deeper than its limit instead of overflowing the stack', () => {
    const deep = new Uint8Array(100_000).fill(0x91);
    expect(() => unpack(deep)).toThrow(/nested too deeply/);
  });
});
