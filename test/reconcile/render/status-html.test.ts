import { describe, expect, it } from 'vitest';
import { healthReport } from '../../../reconcile/operations/health.js';
import { renderStatusPage } from '../../../reconcile/render/status-html.js';

describe('renderStatusPage', () => {
  it('escapes everything it prints: an error message cannot inject markup', () => {
    const now = new Date('2026-11-30T12:00:00Z');
    const report = healthReport({
      machine: 'jon',
      status: { version: 1, appliedCommit: 'a'.repeat(40), appliedAt: '2026-11-30T11:00:00Z' },
      runs: {
        version: 1,
        destinations: {
          usb: { lastAttempt: '2026-11-30T11:30:00Z', error: '<script>alert(1)</script> & "x"' },
        },
      },
      destinations: [],
      now,
    });
    report.destinations.push({
      name: 'usb',
      repo: '/r',
      stale: true,
      lastError: '<img src=x onerror=alert(1)>',
      drill: { ok: false, failure: 'mismatch', lastSuccess: '2026-11-01T01:00:00Z', overdue: false },
    });
    const html = renderStatusPage(report, now);
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('<meta http-equiv="refresh" content="30">');
    expect(html).not.toMatch(/<script|<link|src="http/);
    expect(html).toContain('never backed up');
    expect(html).toContain('<span class="bad">FAILED (mismatch)</span>; last pass');
  });

  it("lists the last reconcile's plan warnings, escaped; none, no section", () => {
    const now = new Date('2026-11-30T12:00:00Z');
    const report = (warnings?: string[]) =>
      healthReport({
        machine: 'jon',
        status: {
          version: 1,
          appliedCommit: 'a'.repeat(40),
          appliedAt: '2026-11-30T11:00:00Z',
          lastAttempt: {
            at: '2026-11-30T11:00:00Z',
            result: 'applied',
            actions: 0,
            errors: [],
            ...(warnings === undefined ? {} : { warnings }),
            durationMs: 1,
          },
        },
        runs: { version: 1, destinations: {} },
        destinations: [],
        now,
      });
    const html = renderStatusPage(report(['local: <b>only</b> on this machine & lost with it']), now);
    expect(html).toContain(
      '<h2>Warnings</h2>\n<ul>\n<li class="bad">local: &lt;b&gt;only&lt;/b&gt; on this machine &amp; lost with it</li>\n</ul>',
    );
    expect(renderStatusPage(report(), now)).not.toContain('Warnings');
  });
});
