import { describe, expect, it } from 'vitest';
import { redactValue } from '../../../reconcile/engine/describe/redact.js';
import { settingWords } from '../../../reconcile/engine/describe/settings.js';
import type { MachinePreview, PreviewReport, ResourceChange } from '../../../reconcile/preview/model.js';
import { code } from '../../../reconcile/render/markdown.js';
import { truncateMiddle } from '../../../reconcile/render/preview-common.js';
import { renderPreviewMarkdown } from '../../../reconcile/render/preview-markdown.js';

// Pure rendering on hand-made reports (the integration tests build reports from real git).

function change(id: string, diffLines: number): ResourceChange {
  const body = Array.from({ length: diffLines }, (_, i) => `+line ${i} ${'x'.repeat(60)}`).join('\n');
  return {
    id,
    kind: 'hook',
    change: 'added',
    destructive: false,
    summary: `install /var/lib/borgops/hooks/${id.slice(5)}`,
    settings: [],
    files: [
      {
        path: `/var/lib/borgops/hooks/${id.slice(5)}`,
        diff: `--- a\n+++ b\n@@ -0,0 +1 @@\n${body}\n`,
        added: diffLines,
        removed: 0,
      },
    ],
  };
}

function machine(name: string, hooks: number, lines: number): MachinePreview {
  const changes = Array.from({ length: hooks }, (_, i) => change(`hook/pre-backup-s${i}`, lines));
  return {
    machine: name,
    status: 'changed',
    counts: { additions: hooks, changes: 0, removals: 0, destructive: 0, archivesPruned: 0 },
    changes,
    prunes: [],
    refusals: [],
    notes: [],
    warnings: [],
  };
}

function report(machines: MachinePreview[]): PreviewReport {
  return {
    version: 1,
    base: { ref: 'main', commit: 'a'.repeat(40), valid: true, errors: 0 },
    head: { ref: 'pr', commit: 'b'.repeat(40), valid: true },
    problems: [],
    scheduler: 'embedded',
    observed: null,
    summary: {
      machines: machines.length,
      changed: machines.length,
      additions: machines.reduce((n, m) => n + m.counts.additions, 0),
      changes: 0,
      removals: 0,
      destructive: 0,
      archivesPruned: 0,
      refusals: 0,
      expectedSeries: { added: 0, removed: 0 },
    },
    machines,
  };
}

describe('preview rendering', () => {
  it('words settings, hiding secrets', () => {
    expect(settingWords({ subject: 'storagebox', setting: 'retention daily', before: '7', after: '3' })).toBe(
      'storagebox: retention daily 7 → 3',
    );
    expect(settingWords({ subject: 'nas', setting: 'exclude', after: '*.tmp' }, code)).toBe(
      'nas: exclude + `*.tmp`',
    );
    expect(
      settingWords({ subject: 'nas', setting: 'encryption passCommand', after: '(hidden)', hidden: true }),
    ).toBe('nas: encryption passCommand set (value hidden)');
    expect(redactValue('ssh://jon:pw@host:23/./repo')).toBe('ssh://jon:***@host:23/./repo');
    expect(redactValue('sshpass -p hunter2 ssh -p 23')).toBe('sshpass -p *** ssh -p 23');
    expect(redactValue('env BORG_PASSPHRASE=abc PGPASSWORD="x y" ssh')).toBe(
      'env BORG_PASSPHRASE=*** PGPASSWORD=*** ssh',
    );
  });

  it('redacts a value asked again, and after the remembered values were dropped', () => {
    for (let round = 0; round < 2; round++) {
      expect(redactValue('ssh://jon:pw@host:23/./repo')).toBe('ssh://jon:***@host:23/./repo');
      // more distinct values than are kept: the memory is cleared, answers stay the same
      for (let i = 0; i < 10_050; i++) expect(redactValue(`--password s${i}`)).toBe('--password ***');
    }
  });

  it('cuts a long list in the middle and says how much', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `l${i}`);
    expect(truncateMiddle(lines, 7)).toEqual([
      'l0',
      'l1',
      'l2',
      '… 94 lines not shown …',
      'l97',
      'l98',
      'l99',
    ]);
    expect(truncateMiddle(lines.slice(0, 5), 7)).toEqual(lines.slice(0, 5));
  });

  it('quotes any value as a code span', () => {
    expect(code('a`b')).toBe('``a`b``');
    expect(code('`x`')).toBe('`` `x` ``');
  });

  it.each([
    ['one machine with a 20,000-line diff', [machine('jon', 1, 20_000)]],
    ['one machine with 400 hooks', [machine('jon', 400, 30)]],
    [
      '2000 machines',
      Array.from({ length: 2000 }, (_, i) => machine(`host${String(i).padStart(4, '0')}`, 5, 40)),
    ],
  ])('stays under the limit for %s, closing every block it opens', (_name, machines) => {
    for (const maxLength of [65_000, 20_000]) {
      const markdown = renderPreviewMarkdown(report(machines), { maxLength });
      expect(Buffer.byteLength(markdown)).toBeLessThanOrEqual(maxLength);
      expect(markdown).not.toContain('cut to fit the comment limit');
      expect((markdown.match(/^```/gm) ?? []).length % 2).toBe(0);
      expect((markdown.match(/<details>/g) ?? []).length).toBe((markdown.match(/<\/details>/g) ?? []).length);
      expect(markdown).toContain('<code>jon</code>'.replace('jon', machines[0]!.machine));
    }
  });

  it('shows a small change in full', () => {
    const markdown = renderPreviewMarkdown(report([machine('jon', 2, 10)]));
    expect(markdown).not.toContain('not shown');
    expect(markdown).toContain('+line 9 ');
  });
});
