/** healthchecks.io keeps the first 10 kB of a ping body; the webhook's log is bounded the same. */
export const LOG_TAIL_BYTES = 10_000;

/** The last whole lines of `text` within `bytes` UTF-8 bytes, marked with `…` when cut. */
export function logTail(text: string, bytes: number = LOG_TAIL_BYTES): string {
  const buffer = Buffer.from(text, 'utf8');
  if (buffer.length <= bytes) return text;
  const marker = '…\n';
  const room = bytes - Buffer.byteLength(marker);
  // decoding may split a character at the cut: the first line is dropped anyway
  const tail = buffer.subarray(buffer.length - room).toString('utf8');
  const newline = tail.indexOf('\n');
  const lines = newline === -1 ? tail.replace(/^\uFFFD+/, '') : tail.slice(newline + 1);
  return `${marker}${lines}`;
}

/** Replaces every secret (URL, token, secret) in `text`; longest first, so a URL goes before its host part. */
export function hideSecrets(text: string, secrets: readonly string[]): string {
  let hidden = text;
  for (const secret of [...secrets].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length)) {
    hidden = hidden.split(secret).join('(hidden)');
  }
  return hidden;
}
