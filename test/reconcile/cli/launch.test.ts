// The bin (dist/borgops.cjs, and dist/borgops.mjs, the same launcher as an ES module) runs the bundled CLI from V8's code cache: a missing, truncated,
// garbled or foreign cache must never change what the CLI does, only how fast it starts.
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const dist = new URL('../../../dist/', import.meta.url).pathname;
let dir: string;

beforeAll(async () => {
  // a copy of the built bin, so each case can break its cache without touching dist/
  // (with package.json above it, where the CLI reads its version)
  const top = await mkdtemp(join(tmpdir(), 'borgops-launch-'));
  dir = join(top, 'dist');
  await mkdir(dir);
  await copyFile(new URL('../../../package.json', import.meta.url).pathname, join(top, 'package.json'));
  for (const file of ['borgops.cjs', 'borgops.mjs', 'borgops.core.js', 'borgops.core.js.v8cache'])
    await copyFile(join(dist, file), join(dir, file));
});
afterAll(async () => {
  await rm(join(dir, '..'), { recursive: true, force: true });
});

/** `--version` through both launchers: they must answer the same. */
async function version(): Promise<{ exitCode: number | undefined; stdout: string; stderr: string }> {
  const [cjs, esm] = await Promise.all(
    ['borgops.cjs', 'borgops.mjs'].map((bin) =>
      execa('node', [join(dir, bin), '--version'], { reject: false }),
    ),
  );
  expect([esm!.exitCode, esm!.stdout, esm!.stderr]).toEqual([cjs!.exitCode, cjs!.stdout, cjs!.stderr]);
  return { exitCode: cjs!.exitCode, stdout: cjs!.stdout, stderr: cjs!.stderr };
}

describe('the bin and its code cache', () => {
  it('the build writes a cache V8 accepts for the bundled CLI', async () => {
    const core = join(dist, 'borgops.core.js');
    const script = new Script(await readFile(core, 'utf8'), {
      filename: core,
      cachedData: await readFile(`${core}.v8cache`),
    });
    expect(script.cachedDataRejected).toBe(false);
    // one-byte text for V8 (a "—" in a comment made the whole bundle a two-byte string)
    expect((await readFile(core, 'utf8')).search(/[^\0-\x7f]/u)).toBe(-1);
  });

  it('runs with the cache, and the same without it, truncated, garbled or made for other code', async () => {
    const expected = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8'))
      .version as string;
    const cache = join(dir, 'borgops.core.js.v8cache');
    const good = await readFile(cache);
    expect(await version()).toEqual({ exitCode: 0, stdout: expected, stderr: '' });

    await rm(cache);
    expect(await version()).toEqual({ exitCode: 0, stdout: expected, stderr: '' });

    await writeFile(cache, good.subarray(0, good.length / 2));
    expect(await version()).toEqual({ exitCode: 0, stdout: expected, stderr: '' });

    await writeFile(cache, Buffer.alloc(good.length, 0x5a));
    expect(await version()).toEqual({ exitCode: 0, stdout: expected, stderr: '' });

    // a valid cache of other source: V8 checks the source, rejects it, and compiles
    const other = new Script('(function () { return 42; })', { filename: 'other.js' });
    await writeFile(cache, other.createCachedData());
    expect(await version()).toEqual({ exitCode: 0, stdout: expected, stderr: '' });

    // a directory where the cache should be: read as no cache
    await rm(cache);
    await execa('mkdir', [cache]);
    expect(await version()).toEqual({ exitCode: 0, stdout: expected, stderr: '' });
  });
});

describe('modules the bundle initialises only when a command first imports them', () => {
  // esbuild wraps a module reached by import() in an `init_…` function (`var init_x = __esm({"path"() {…}})`)
  // that runs its top level when first called; a static import from code that runs at start would
  // call it at the bundle's top level (`init_x();` unindented), and every command would pay again
  it.each(['execa', 'simple-git', 'chokidar'])('%s is not initialised at start', async (name) => {
    const lines = (await readFile(join(dist, 'borgops.core.js'), 'utf8')).split('\n');
    const inits = new Set<string>();
    lines.forEach((line, index) => {
      const wrapper = /^var (init_[\w$]+) = __esm\(\{$/.exec(lines[index - 1] ?? '');
      if (wrapper !== null && line.includes(`node_modules/${name}/`)) inits.add(wrapper[1]!);
    });
    expect(inits.size).toBeGreaterThan(0);
    const atStart = lines.filter((line) => /^init_[\w$]+\(\);$/.test(line) && inits.has(line.slice(0, -3)));
    expect(atStart).toEqual([]);
  });
});

describe('the warmed code cache (npm run build: reconcile/cli/warm-cache.ts)', () => {
  it('runs the common commands on a throwaway example, leaves nothing behind, and V8 accepts the cache', async () => {
    const top = await mkdtemp(join(tmpdir(), 'borgops-warm-test-'));
    try {
      const copy = join(top, 'dist');
      await mkdir(join(copy, 'reconcile', 'cli'), { recursive: true });
      await copyFile(new URL('../../../package.json', import.meta.url).pathname, join(top, 'package.json'));
      for (const file of ['borgops.mjs', 'borgops.core.js'])
        await copyFile(join(dist, file), join(copy, file));
      for (const file of ['warm-cache.js', 'launch.js'])
        await copyFile(join(dist, 'reconcile', 'cli', file), join(copy, 'reconcile', 'cli', file));
      const temp = join(top, 'tmp');
      await mkdir(temp);
      const example = new URL('../../../examples/clan-storagebox', import.meta.url).pathname;
      const result = await execa(
        'node',
        [join(copy, 'reconcile', 'cli', 'warm-cache.js'), join(copy, 'borgops.mjs'), example],
        { env: { TMPDIR: temp } },
      );
      // every command ran to its usual end: a renamed option or a broken command shows up here
      expect(JSON.parse(result.stdout)).toEqual([
        'validate: exit 0',
        'plan: exit 2',
        'apply: exit 0',
        'preview: exit 2',
        'apply: exit 0',
        'backups create: exit 0',
        'backups list: exit 0',
        'status: exit 0',
      ]);
      // the throwaway world is gone, the cache is complete
      expect(await readdir(temp)).toEqual([]);
      expect(await readdir(copy)).toContain('borgops.core.js.v8cache');
      expect(await readdir(copy)).not.toContain('borgops.core.js.v8cache.tmp');
      const core = join(copy, 'borgops.core.js');
      const cachedData = await readFile(`${core}.v8cache`);
      const script = new Script(await readFile(core, 'utf8'), { filename: core, cachedData });
      expect(script.cachedDataRejected).toBe(false);
      // and holds more than the top level: the functions those commands compiled
      const cold = new Script(await readFile(core, 'utf8'), { filename: `${core}.cold` });
      expect(cachedData.length).toBeGreaterThan(cold.createCachedData().length * 1.2);
    } finally {
      await rm(top, { recursive: true, force: true });
    }
  }, 60_000);
});
