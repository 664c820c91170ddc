/** Code-point order: the same on every machine, whatever its locale (determinism of output). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function byKey<T>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => compareStrings(key(a), key(b));
}

/** By `name`, in code-point order. */
export const byName = byKey<{ name: string }>((item) => item.name);
