import { BorgopsError } from '../errors.js';

/**
 * A small MessagePack decoder for the metadata files borg 1.x keeps in a repository (`hints.N`).
 * borg packs byte strings as raw `str` that is not always UTF-8, so every string and binary
 * comes back as a `Uint8Array`; maps come back as `Map` (keys may be integers or bytes).
 */
export type Packed = null | boolean | number | bigint | string | Uint8Array | Packed[] | Map<Packed, Packed>;

export function unpack(buffer: Uint8Array, maxDepth = 32): Packed {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let at = 0;
  const need = (n: number) => {
    if (at + n > buffer.length) throw new BorgopsError('E_HOST', 'truncated MessagePack data');
  };
  const bytes = (n: number): Uint8Array => {
    need(n);
    const out = buffer.subarray(at, at + n);
    at += n;
    return out;
  };
  const u8 = () => {
    need(1);
    return view.getUint8(at++);
  };
  const u16 = () => {
    need(2);
    at += 2;
    return view.getUint16(at - 2);
  };
  const u32 = () => {
    need(4);
    at += 4;
    return view.getUint32(at - 4);
  };
  const int64 = (signed: boolean): number | bigint => {
    need(8);
    const value = signed ? view.getBigInt64(at) : view.getBigUint64(at);
    at += 8;
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value;
  };
  const array = (n: number, depth: number): Packed[] => {
    const out: Packed[] = [];
    for (let i = 0; i < n; i++) out.push(next(depth + 1));
    return out;
  };
  const map = (n: number, depth: number): Map<Packed, Packed> => {
    const out = new Map<Packed, Packed>();
    for (let i = 0; i < n; i++) {
      const key = next(depth + 1);
      out.set(key instanceof Uint8Array ? Buffer.from(key).toString('latin1') : key, next(depth + 1));
    }
    return out;
  };
  function next(depth: number): Packed {
    if (depth > maxDepth) throw new BorgopsError('E_HOST', 'MessagePack data nested too deeply');
    const type = u8();
    if (type <= 0x7f) return type;
    if (type >= 0xe0) return type - 0x100;
    if (type >= 0x80 && type <= 0x8f) return map(type & 0x0f, depth);
    if (type >= 0x90 && type <= 0x9f) return array(type & 0x0f, depth);
    if (type >= 0xa0 && type <= 0xbf) return bytes(type & 0x1f);
    switch (type) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
      case 0xd9:
        return bytes(u8());
      case 0xc5:
      case 0xda:
        return bytes(u16());
      case 0xc6:
      case 0xdb:
        return bytes(u32());
      case 0xca:
        need(4);
        at += 4;
        return view.getFloat32(at - 4);
      case 0xcb:
        need(8);
        at += 8;
        return view.getFloat64(at - 8);
      case 0xcc:
        return u8();
      case 0xcd:
        return u16();
      case 0xce:
        return u32();
      case 0xcf:
        return int64(false);
      case 0xd0:
        need(1);
        return view.getInt8(at++);
      case 0xd1:
        need(2);
        at += 2;
        return view.getInt16(at - 2);
      case 0xd2:
        need(4);
        at += 4;
        return view.getInt32(at - 4);
      case 0xd3:
        return int64(true);
      case 0xdc:
        return array(u16(), depth);
      case 0xdd:
        return array(u32(), depth);
      case 0xde:
        return map(u16(), depth);
      case 0xdf:
        return map(u32(), depth);
      default:
        throw new BorgopsError('E_HOST', `unsupported MessagePack type 0x${type.toString(16)}`);
    }
  }
  const value = next(0);
  if (at !== buffer.length) throw new BorgopsError('E_HOST', 'trailing bytes after MessagePack data');
  return value;
}
