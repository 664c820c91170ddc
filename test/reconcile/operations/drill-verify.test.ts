import { createHash } from 'node:crypto';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { itemsThroughLinks, overlappingFolders } from '../../../reconcile/operations/drill-scratch.js';
import { verifyExtracted } from '../../../reconcile/operations/drill-verify.js';
import type { ArchiveItem } from '../../../src/borg/items.js';
import type { DesiredMachine } from '../../../src/desired/types.js';
import { hostPaths } from '../../../src/host/paths.js';
import { tempDir } from '../../helpers/temp.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const file = (path: string, content: string): ArchiveItem => ({
  type: '-',
  path,
  size: Buffer.byteLength(content),
  sha256: sha(content),
});

describe('verifyExtracted: every regular file against what borg recorded', () => {
  it('counts matching files and names each missing, retyped, resized or altered one', async () => {
    const dir = await tempDir('borgops-drill-');
    await mkdir(join(dir, 'srv/app'), { recursive: true });
    await writeFile(join(dir, 'srv/app/good'), 'good');
    await writeFile(join(dir, 'srv/app/altered'), 'bcd');
    await writeFile(join(dir, 'srv/app/short'), 'ab');
    await symlink('good', join(dir, 'srv/app/link'));
    const items: ArchiveItem[] = [
      { type: 'd', path: 'srv/app', size: 0, sha256: '' },
      file('srv/app/good', 'good'),
      file('srv/app/altered', 'abc'),
      file('srv/app/short', 'abc'),
      file('srv/app/gone', 'x'),
      file('srv/app/link', 'good'),
      { type: 'l', path: 'srv/app/other-link', size: 4, sha256: '' },
    ];
    const result = await verifyExtracted(dir, items);
    expect(result.files).toBe(1);
    expect(result.bytes).toBe(4);
    expect(result.mismatches).toEqual([
      'srv/app/altered: content differs from what borg recorded (sha256)',
      'srv/app/short: 2 bytes extracted, borg recorded 3',
      'srv/app/gone: not extracted',
      'srv/app/link: extracted as something other than a regular file',
    ]);
  });

  it('never reads a file through an extracted symlink or outside the scratch directory', async () => {
    const outside = await tempDir('borgops-outside-');
    await writeFile(join(outside, 'secret'), 'secret');
    const dir = await tempDir('borgops-drill-');
    await mkdir(join(dir, 'srv/app/sub'), { recursive: true });
    await writeFile(join(dir, 'srv/app/sub/inner'), 'inner');
    // borg extract re-creates an archived link as a link: a later item under it lands outside
    await symlink(outside, join(dir, 'srv/app/link'));
    await symlink('sub', join(dir, 'srv/app/alias'));
    const items: ArchiveItem[] = [
      { type: 'l', path: 'srv/app/link', size: outside.length, sha256: '' },
      file('srv/app/link/secret', 'secret'),
      file('srv/app/alias/inner', 'inner'),
      file(`srv/../../${outside.split('/').at(-1)}/secret`, 'secret'),
      file('srv/app/sub/inner', 'inner'),
    ];
    const result = await verifyExtracted(dir, items);
    expect(result.mismatches).toEqual([
      'srv/app/link/secret: reached through a symbolic link; not read',
      'srv/app/alias/inner: reached through a symbolic link; not read',
      `srv/../../${outside.split('/').at(-1)}/secret: outside the scratch directory`,
    ]);
    expect(result.files).toBe(1);
  });

  it('follows no link when the scratch directory itself is reached through one', async () => {
    const real = await tempDir('borgops-drill-');
    await mkdir(join(real, 'srv'), { recursive: true });
    await writeFile(join(real, 'srv/f'), 'abc');
    const via = join(await tempDir('borgops-via-'), 'scratch');
    await symlink(real, via);
    const result = await verifyExtracted(via, [file('srv/f', 'abc')]);
    expect(result).toEqual({ files: 1, bytes: 3, mismatches: [] });
  });
});

describe('overlappingFolders: a drill never extracts into or over a live folder', () => {
  const paths = hostPaths('/r');
  const desired = {
    states: [
      { name: 'app', folders: ['/srv/app'] },
      { name: 'db', folders: ['/var/lib/db'] },
    ],
  } as DesiredMachine;
  it.each([
    ['/r/var/lib/borgops/drill', []],
    ['/r/srv/app-scratch', []],
    ['/r/srv/app/scratch', ['/srv/app']],
    ['/r/var/lib', ['/var/lib/db']],
    ['/r', ['/srv/app', '/var/lib/db']],
  ])('%s overlaps %j', async (scratch, expected) => {
    expect(await overlappingFolders(paths, desired, scratch)).toEqual(expected);
  });

  it('follows symlinks: a scratch directory linked into a live folder overlaps it', async () => {
    const root = await tempDir('borgops-root-');
    await mkdir(join(root, 'srv/app'), { recursive: true });
    await mkdir(join(root, 'var/lib/borgops'), { recursive: true });
    await symlink(join(root, 'srv/app'), join(root, 'var/lib/borgops/drill'));
    await symlink(join(root, 'var/lib/borgops'), join(root, 'state'));
    const rooted = hostPaths(root);
    expect(await overlappingFolders(rooted, desired, join(root, 'var/lib/borgops/drill'))).toEqual([
      '/srv/app',
    ]);
    expect(await overlappingFolders(rooted, desired, join(root, 'state/drill/sub'))).toEqual(['/srv/app']);
    expect(await overlappingFolders(rooted, desired, join(root, 'var/lib/borgops/other'))).toEqual([]);
  });
});

describe('itemsThroughLinks: borg extract would write these through a link it restored', () => {
  it('names each item under an archived link, and no sibling that only shares its prefix', () => {
    const items: ArchiveItem[] = [
      { type: 'l', path: 'srv/app/link', size: 9, sha256: '' },
      { type: 'd', path: 'srv/app/link/data', size: 0, sha256: '' },
      file('srv/app/link/data/db', 'x'),
      file('srv/app/link2/f', 'x'),
      file('srv/app/linkf', 'x'),
    ];
    expect(itemsThroughLinks(items, new Set(['srv/app/link']))).toEqual([
      'srv/app/link/data (under the symlink srv/app/link)',
      'srv/app/link/data/db (under the symlink srv/app/link)',
    ]);
    expect(itemsThroughLinks(items, new Set())).toEqual([]);
  });
});
