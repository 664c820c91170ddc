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

  it('reconcile/ rooms import only downward (ARCHITECTURE.md)', async () => {
    // lower rank = lower room; a file may import its own room or a room of lower rank
    const rank: Record<string, number> = {
      engine: 0,
      operations: 1,
      preview: 1,
      render: 2,
      agent: 3,
      cli: 4,
    };
    const offenders: string[] = [];
    for (const file of await files(join(root, 'reconcile'))) {
      const from = relative(join(root, 'reconcile'), file).split('/');
      const room = from.length > 1 ? (from[0] ?? '') : '';
      if (!(room in rank)) {
        offenders.push(`${relative(root, file)} is in no room`);
        continue;
      }
      const text = await readFile(file, 'utf8');
      for (const match of text.matchAll(importPattern)) {
        const target = match[1] ?? '';
        if (!target.startsWith('.')) continue;
        const resolved = relative(join(root, 'reconcile'), join(file, '..', target));
        if (resolved.startsWith('..')) continue;
        const other = resolved.split('/')[0] ?? '';
        if (other === room) continue;
        if (!(other in rank) || (rank[other] ?? 99) >= (rank[room] ?? 0))
          offenders.push(`${relative(root, file)} → ${target}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
