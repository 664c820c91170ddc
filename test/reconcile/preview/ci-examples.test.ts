import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PREVIEW_MARKER } from '../../../reconcile/render/preview-markdown.js';

const ci = (name: string) => readFile(new URL(`../../../examples/ci/${name}`, import.meta.url), 'utf8');

// The CI examples cannot run here; they must at least parse and find the comment the renderer writes.
describe('examples/ci', () => {
  it('GitHub Actions: a workflow on pull requests that runs the Markdown preview and edits its comment', async () => {
    const text = await ci('github-actions.yml');
    const workflow = parse(text) as {
      on: Record<string, unknown>;
      jobs: { preview: { steps: { run?: string }[] } };
    };
    expect(Object.keys(workflow.on)).toEqual(['pull_request']);
    const script = workflow.jobs.preview.steps.map((step) => step.run ?? '').join('\n');
    expect(script).toContain('--format markdown');
    expect(script).toContain(`startswith("${PREVIEW_MARKER}")`);
    expect(script).toContain('--method PATCH');
  });

  it('GitLab CI: a merge-request job whose note script looks for the same marker', async () => {
    const job = (parse(await ci('gitlab-ci.yml')) as Record<string, { script: string[] }>)[
      'borgops-preview'
    ]!;
    expect(job.script.join('\n')).toContain('--format markdown');
    expect(await ci('gitlab-note.mjs')).toContain(`const MARKER = '${PREVIEW_MARKER}';`);
  });
});
