import type { HealthReport } from '../operations/health.js';

/**
 * The agent's read-only status page (`GET /`): the same data as `/status`, server-rendered, no
 * script and no external asset, refreshed by the browser every 30 seconds.
 */
function esc(value: string | number | undefined): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function age(now: Date, at: string | undefined): string {
  if (at === undefined) return '';
  const seconds = Math.max(0, (now.getTime() - Date.parse(at)) / 1000);
  if (seconds < 120) return `${Math.round(seconds)} s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86_400)} d ago`;
}

function when(now: Date, at: string | undefined, never: string): string {
  if (at === undefined) return never;
  return `<time datetime="${esc(at)}">${esc(at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}</time> (${esc(age(now, at))})`;
}

function table(caption: string, head: string[], rows: string[][]): string {
  if (rows.length === 0) return '';
  const th = head.map((h) => `<th scope="col">${esc(h)}</th>`).join('');
  const body = rows.map((cells) => `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table>\n<caption>${esc(caption)}</caption>\n<thead><tr>${th}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

export function renderStatusPage(report: HealthReport, now: Date): string {
  const [ready, stalled] = report.conditions;
  const state = ready?.status ? 'Ready' : 'Not ready';
  const conditions = report.conditions.map(
    (c) =>
      `<li><strong>${esc(c.type)}</strong>: ${c.status ? 'true' : 'false'} — ${esc(c.reason)}: ${esc(c.message)}</li>`,
  );
  const verified = (v: NonNullable<HealthReport['destinations'][number]['check']> | undefined) => {
    if (v === undefined) return '';
    const last = when(now, v.lastSuccess, 'never passed');
    return v.ok === false
      ? `<span class="bad">FAILED${v.failure ? ` (${esc(v.failure)})` : ''}</span>; last pass ${last}`
      : last;
  };
  const destinations = report.destinations.map((d) => [
    esc(d.name),
    `<span class="${d.stale ? 'bad' : 'good'}">${d.stale ? 'STALE' : 'fresh'}</span>`,
    when(now, d.lastSuccess, 'never backed up'),
    esc(d.archives),
    when(now, d.nextRun, ''),
    verified(d.check),
    verified(d.drill),
    esc(d.lastError),
  ]);
  // the last reconcile's plan warnings: backups run, but the way back may be at risk
  const warned = report.lastAttempt?.warnings ?? [];
  const warnings =
    warned.length === 0
      ? ''
      : `<h2>Warnings</h2>\n<ul>\n${warned.map((w) => `<li class="bad">${esc(w)}</li>`).join('\n')}\n</ul>\n`;
  const served = (report.served ?? []).map((s) => [
    `${esc(s.client)} (${esc(s.instance)})`,
    `<span class="${s.stale ? 'bad' : 'good'}">${s.stale ? 'STALE' : 'fresh'}</span>`,
    when(now, s.lastWrite, 'never written'),
    esc(s.bytes),
    esc(s.quota ?? ''),
    esc(s.problem ?? ''),
  ]);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="30">
<title>${esc(report.machine)}: ${esc(state)} — borgops</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.6rem; text-align: left; }
caption { text-align: left; font-weight: bold; padding: 0.3rem 0; }
.good { color: #176617; }
.bad { color: #b00020; font-weight: bold; }
</style>
</head>
<body>
<main>
<h1>${esc(report.machine)}: <span class="${ready?.status ? 'good' : 'bad'}">${esc(state)}</span></h1>
<p>${esc(ready?.reason)}: ${esc(ready?.message)}</p>
<p>Applied commit: ${report.appliedCommit ? `<code>${esc(report.appliedCommit)}</code> at ${when(now, report.appliedAt, '')}` : 'nothing applied yet'}${
    stalled?.status ? `; <span class="bad">stalled: ${esc(stalled.reason)}</span>` : ''
  }</p>
<h2>Conditions</h2>
<ul>
${conditions.join('\n')}
</ul>
${warnings}${table('Destinations', ['destination', 'state', 'last backup', 'archives', 'next run', 'last check', 'last drill', 'last error'], destinations)}
${table('Served clients', ['client', 'state', 'last write', 'bytes', 'quota', 'problem'], served)}
<p>Generated ${when(now, now.toISOString(), '')}. The same data as JSON: <a href="/status">/status</a>; metrics: <a href="/metrics">/metrics</a>.</p>
</main>
</body>
</html>
`;
}
