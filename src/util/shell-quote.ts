const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * One word for a POSIX shell (and Python's shlex.split, which borg uses on BORG_RSH): left as is
 * when it has nothing a shell would interpret, single-quoted otherwise.
 */
export function shellQuote(word: string): string {
  if (SAFE.test(word)) return word;
  return `'${word.replaceAll("'", `'"'"'`)}'`;
}
