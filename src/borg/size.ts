/**
 * A size as borg parses it (`--storage-quota 500G`): decimal units, K = 1000 (borg's
 * `parse_file_size`), so the bytes here are the bytes borg enforces.
 */
export function parseBorgSize(text: string): number | undefined {
  const match = /^([0-9]+(?:\.[0-9]+)?)([KMGTP]?)$/.exec(text);
  if (!match) return undefined;
  const power = { '': 0, K: 1, M: 2, G: 3, T: 4, P: 5 }[match[2] ?? ''] ?? 0;
  return Math.trunc(Number(match[1]) * 1000 ** power);
}
