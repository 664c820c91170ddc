import type { NotifyTestResult } from '../operations/notify-test.js';

/** One line per receiver: its answer, its error, or why it was not asked. Never a URL. */
export function renderNotifyTest(result: NotifyTestResult): string {
  const about = result.destination === undefined ? '' : ` about ${result.destination}`;
  const lines = [`Test notification from ${result.machine}${about}:`];
  for (const r of result.receivers) {
    const head = `${r.receiver} (${r.kind})`;
    if (!r.sent) lines.push(`  - ${head}: not sent: ${r.skipped}`);
    else if (r.ok) lines.push(`  ✓ ${head}: ${r.answer}`);
    else lines.push(`  ✗ ${head}: ${r.error}${r.answer === undefined ? '' : ` (${r.answer})`}`);
  }
  const failed = result.receivers.filter((r) => r.sent && !r.ok).length;
  const sent = result.receivers.filter((r) => r.sent).length;
  lines.push(failed === 0 ? `${sent} of ${sent} answered.` : `${failed} of ${sent} failed.`);
  return `${lines.join('\n')}\n`;
}
