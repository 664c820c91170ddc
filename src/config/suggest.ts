/** Levenshtein distance, small inputs only (config keys). */
export function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      previous[j] = Math.min(above + 1, previous[j - 1]! + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return previous[b.length]!;
}

/** Names users bring from clan or NixOS that mean one of ours. */
const aliases: Record<string, string> = {
  preBackupCommand: 'preBackupScript',
  postBackupCommand: 'postBackupScript',
  preRestoreCommand: 'preRestoreScript',
  postRestoreCommand: 'postRestoreScript',
  excludes: 'exclude',
  schedule: 'startAt',
  keep: 'prune',
  passphrase: 'encryption',
  path: 'repo',
  repository: 'repo',
};

/** The accepted word nearest to `word`, when it is near enough to be a likely typo. */
export function nearest(word: string, accepted: readonly string[]): string | undefined {
  const alias = aliases[word];
  if (alias !== undefined && accepted.includes(alias)) return alias;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const lower = word.toLowerCase();
  for (const candidate of accepted) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  return bestDistance <= limit ? best : undefined;
}
