import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;

async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) =>
      e.isDirectory()
        ? files(join(dir, e.name))
        : Promise.resolve(e.name.endsWith('.ts') ? [join(dir, e.name)] : []),
    ),
  );
  return nested.flat();
}

const importPattern = /(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g;

describe('layering (design.md)', () => {
  it('src/ never imports from reconcile/', async () => {
    const offenders: string[] = [];
    for (const file of await files(join(root, 'src'))) {
      const text = await readFile(file, 'utf8');
      for (const match of text.matchAll(importPattern)) {
        const target = match[1] ?? '';
        if (!target.startsWith('.')) continue;
        const resolved = relative(root, join(file, '..', target));
        if (resolved.startsWith('reconcile/') || resolved === 'reconcile')
          offenders.push(`${relative(root, file)} → ${target}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('only the CLI calls process.exit', async () => {
    const offenders: string[] = [];
    for (const file of [...(await files(join(root, 'src'))), ...(await files(join(root, 'reconcile')))]) {
      if (relative(root, file).startsWith('reconcile/cli/')) continue;
      if ((await readFile(file, 'utf8')).includes('process.exit')) offenders.push(relative(root, file));
    }
    expect(offenders).toEqual([]);
  });
});
