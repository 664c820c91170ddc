/** A JSON object: not null, not a list. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Machine settings over role settings, as NixOS module merging does for attribute sets:
 * objects merge key by key, lists and scalars are replaced.
 */
export function deepMerge<T>(base: T | undefined, override: T | undefined): T | undefined {
  if (override === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    merged[key] = deepMerge(merged[key], value);
  }
  return merged as T;
}
