// A fleet-wide change renders each schedule's files only when they are read: the report's counts
// need none, the PR comment reads a few machines', JSON reads all, and all read the same files.
import { describe, expect, it } from 'vitest';
import { DEFAULT_PREVIEW_SCHEDULER, scheduleRenderers } from '../../../reconcile/preview/renderers.js';
import { runPreview } from '../../../reconcile/preview/run.js';
import { renderPreviewMarkdown } from '../../../reconcile/render/preview-markdown.js';
import type { JobFile, ScheduledJob } from '../../../src/host/schedulers/types.js';
import { gitRepo } from '../../helpers/git.js';
import { fleetConfig } from '../../helpers/preview.js';

describe('schedule files in a preview', () => {
  it('are rendered when read, once, and are what an eager render gives', async () => {
    const machines = Array.from({ length: 40 }, (_, i) => `m${String(i).padStart(2, '0')}`);
    const repo = await gitRepo(fleetConfig({ machines }));
    const base = (await repo.git.revparse(['HEAD'])).trim();
    const head = await repo.commit(fleetConfig({ machines, clientSettings: { startAt: '*-*-* 04:00:00' } }));
    const render = scheduleRenderers()[DEFAULT_PREVIEW_SCHEDULER]!;
    let rendered = 0;
    const counting = (job: ScheduledJob): JobFile[] => {
      rendered++;
      return render(job);
    };
    const report = await runPreview({
      source: repo.dir,
      base,
      head,
      scheduler: DEFAULT_PREVIEW_SCHEDULER,
      renderSchedule: counting,
    });
    // every machine's backup schedule changed its start time: a setting, so no file was needed yet
    expect(report.summary.changed).toBe(40);
    expect(report.summary.changes).toBeGreaterThanOrEqual(40);
    expect(rendered).toBe(0);

    // a short comment reads the files of the machines it details, not of the rest
    renderPreviewMarkdown(report, { maxLength: 6000 });
    expect(rendered).toBeGreaterThan(0);
    expect(rendered).toBeLessThan(40 * 2);

    // JSON reads every file, each job rendered once per side however often it is read
    const json = JSON.stringify(report);
    const all = rendered;
    expect(JSON.stringify(report)).toBe(json);
    expect(rendered).toBe(all);
    const changed = report.machines.flatMap((m) => m.changes.filter((c) => c.kind === 'schedule'));
    expect(changed.every((c) => c.files.some((f) => f.diff.includes('+OnCalendar=*-*-* 04:00:00')))).toBe(
      true,
    );

    // a second run, read only through JSON, gives the same report
    const eager = await runPreview({
      source: repo.dir,
      base,
      head,
      scheduler: DEFAULT_PREVIEW_SCHEDULER,
      renderSchedule: render,
    });
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(eager)));
  }, 60_000);
});
