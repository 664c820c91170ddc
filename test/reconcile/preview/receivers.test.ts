import { describe, expect, it } from 'vitest';
import { previewExitCode } from '../../../reconcile/preview/model.js';
import { renderPreviewMarkdown } from '../../../reconcile/render/preview-markdown.js';
import { renderPreviewText } from '../../../reconcile/render/preview-text.js';
import { gitRepo } from '../../helpers/git.js';
import { fleetConfig, previewOf } from '../../helpers/preview.js';

const URL_1 = 'https://hc-ping.com/11111111-secret-one';
const URL_2 = 'https://hc-ping.com/22222222-secret-two';

describe('preview of notification receivers (real git)', () => {
  it('says a receiver was added, changed or removed as settings, never showing its URL', async () => {
    const repo = await gitRepo(fleetConfig({ machines: ['jon', 'kim'] }));
    const base = (await repo.git.revparse(['HEAD'])).trim();
    const added = await repo.commit(
      fleetConfig({
        machines: ['jon', 'kim'],
        clientSettings: { notify: { hc: { healthchecks: { url: URL_1 }, on: ['start', 'fail'] } } },
      }),
    );
    const first = await previewOf(repo, base, added);
    expect(previewExitCode(first)).toBe(2);
    expect(first.machines.map((m) => m.machine)).toEqual(['jon', 'kim']);
    expect(first.machines[0]?.changes).toEqual([
      expect.objectContaining({
        id: 'notify/hc',
        kind: 'receiver',
        change: 'added',
        destructive: false,
        summary: 'healthchecks receiver hc added (URL hidden), on start, fail',
        files: [],
      }),
    ]);

    const changed = await repo.commit(
      fleetConfig({
        machines: ['jon', 'kim'],
        clientSettings: { notify: { hc: { healthchecks: { url: URL_2 }, on: ['fail'] } } },
      }),
    );
    const second = await previewOf(repo, added, changed);
    const change = second.machines[0]?.changes[0];
    expect(change?.summary).toBe('healthchecks receiver hc changed: URL (hidden), on');
    const text = renderPreviewText(second, { color: false });
    const markdown = renderPreviewMarkdown(second);
    expect(text).toContain('hc: URL changed (value hidden)');
    expect(text).toContain('hc: on start, fail → fail');

    const removed = await repo.commit(fleetConfig({ machines: ['jon', 'kim'] }));
    const third = await previewOf(repo, changed, removed);
    expect(third.machines[0]?.changes.map((c) => `${c.change} ${c.id}: ${c.summary}`)).toEqual([
      'removed notify/hc: healthchecks receiver hc removed',
    ]);

    for (const shown of [JSON.stringify([first, second, third]), text, markdown]) {
      expect(shown).not.toContain('secret-one');
      expect(shown).not.toContain('secret-two');
    }
  });
});
