import { existsSync } from 'node:fs';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { createBorg } from '../../../src/borg/adapter.js';
import { directCommand, findDirectStart, wrapperInterpreter } from '../../../src/borg/direct-start.js';
import { locateExecutable } from '../../../src/host/executable.js';
import { recordingLogger } from '../../helpers/logger.js';
import { tempDir } from '../../helpers/temp.js';

// Debian's wrapper, as bookworm installs it (the test below also reads the real one when present)
const DEBIAN = (interpreter = '/usr/bin/python3', version = '1.2.4', other = version) => `#!${interpreter}
# EASY-INSTALL-ENTRY-SCRIPT: 'borgbackup==${version}','console_scripts','borg'
import re
import sys

# for compatibility with easy_install; see #2198
__requires__ = 'borgbackup==${version}'

try:
    from importlib.metadata import distribution
except ImportError:
    try:
        from importlib_metadata import distribution
    except ImportError:
        from pkg_resources import load_entry_point


def importlib_load_entry_point(spec, group, name):
    dist_name, _, _ = spec.partition('==')
    matches = (
        entry_point
        for entry_point in distribution(dist_name).entry_points
        if entry_point.group == group and entry_point.name == name
    )
    return next(matches).load()


globals().setdefault('load_entry_point', importlib_load_entry_point)


if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw?|\\.exe)?$', '', sys.argv[0])
    sys.exit(load_entry_point('borgbackup==${other}', 'console_scripts', 'borg')())
`;

const REAL_WRAPPER = '/usr/bin/borg';

/** How `borg` on `path` starts without its wrapper, if it can. */
async function directOn(path: string) {
  const wrapper = await locateExecutable('borg', path);
  return wrapper === undefined ? undefined : findDirectStart(wrapper);
}
const realIsDebian = existsSync(REAL_WRAPPER);

describe('which borg wrappers are started without the wrapper', () => {
  it('exactly the setuptools wrapper: its interpreter', async () => {
    expect(wrapperInterpreter(DEBIAN())).toBe('/usr/bin/python3');
    expect(wrapperInterpreter(DEBIAN('/opt/venv/bin/python3.11', '1.4.0'))).toBe('/opt/venv/bin/python3.11');
    if (realIsDebian)
      expect(wrapperInterpreter(await readFile(REAL_WRAPPER, 'utf8'))).toBe('/usr/bin/python3');
  });

  it.each([
    [
      'another sys.path (the CI borg 1.4 wrapper does this)',
      DEBIAN().replace('import sys\n', "import sys\nsys.path.insert(0, '/opt/x')\n"),
    ],
    ['a line added at the end', `${DEBIAN()}print('hi')\n`],
    [
      'another entry point',
      DEBIAN().replace("'console_scripts', 'borg')())", "'console_scripts', 'borgfs')())"),
    ],
    ['two versions', DEBIAN('/usr/bin/python3', '1.2.4', '1.2.5')],
    ['an interpreter with arguments', DEBIAN('/usr/bin/env python3')],
    ['a relative interpreter', DEBIAN('python3')],
    ['not python', DEBIAN('/bin/sh')],
    ['CRLF line ends', DEBIAN().replaceAll('\n', '\r\n')],
    ['a shell script', '#!/bin/sh\nexec /usr/bin/borg "$@"\n'],
  ])('not %s', (_what, text) => {
    expect(wrapperInterpreter(text)).toBeUndefined();
  });

  it("keeps the working directory off Python's path and names the wrapper as argv[0]", () => {
    const [interpreter, ...args] = directCommand('/usr/bin/python3', '/usr/bin/borg');
    expect(interpreter).toBe('/usr/bin/python3');
    expect(args).toEqual([
      '-P',
      '-c',
      'import sys; sys.argv[0] = "/usr/bin/borg"; from borg.archiver import main; sys.exit(main())',
    ]);
  });

  // a PATH directory may hold any byte but NUL: the path must reach Python as one string literal
  it.runIf(existsSync('/usr/bin/python3'))(
    'hands a wrapper path with quotes, backslashes, a newline and non-ASCII to Python as exactly that string',
    async () => {
      const script = `/tmp/we"ird\\dir'\n"; import os; os.system('x') #/ü/borg`;
      const [, , , code] = directCommand('/usr/bin/python3', script);
      const parsed = await execa('/usr/bin/python3', [
        '-P',
        '-c',
        'import ast, sys; body = ast.parse(sys.argv[1]).body; print(len(body)); print(body[1].value.value, end="")',
        code!,
      ]);
      expect(parsed.stdout).toBe(`4\n${script}`);
    },
  );

  it('finds a wrapper on PATH through a link, and nothing for a missing interpreter or a non-wrapper', async () => {
    const dir = await tempDir('borgops-direct-');
    const bin = join(dir, 'bin');
    await mkdir(bin);
    await writeFile(join(dir, 'borg-wrapper'), DEBIAN(), { mode: 0o755 });
    await symlink(join(dir, 'borg-wrapper'), join(bin, 'borg'));
    const found = await directOn(bin);
    expect(found?.command.slice(0, 3)).toEqual(['/usr/bin/python3', '-P', '-c']);
    // argv[0] is the path the kernel would have handed the interpreter: the one found on PATH
    expect(found?.command[3]).toContain(JSON.stringify(join(bin, 'borg')));
    await writeFile(join(dir, 'borg-wrapper'), DEBIAN(join(dir, 'no-python3')), { mode: 0o755 });
    expect(await directOn(bin)).toBeUndefined();
    await writeFile(join(dir, 'borg-wrapper'), '#!/bin/sh\necho "borg 1.2.4"\n', { mode: 0o755 });
    expect(await directOn(bin)).toBeUndefined();
    expect(await directOn(join(dir, 'empty'))).toBeUndefined();
  });
});

/** An unencrypted repository `repo` under `dir`. */
function plainTarget(dir: string) {
  return { destination: 'a', repo: join(dir, 'repo'), passphrase: { kind: 'none' }, lockWait: 1 } as const;
}

/** A debug logger, and the argv of each borg it saw start. */
function debugLogger() {
  const { logger, lines } = recordingLogger('debug');
  const argvs = () =>
    lines
      .map((line) => JSON.parse(line) as { msg: string; argv?: string })
      .filter((entry) => entry.msg === 'borg started')
      .map((entry) => entry.argv ?? '');
  return { logger, argvs };
}

describe.runIf(realIsDebian)("Debian's borg started without its wrapper (real borg)", () => {
  it('after both forms printed the same version; the next adapter reads that from the cache; a hostile borg/ where borg runs is never imported', async () => {
    const dir = await tempDir('borgops-direct-borg-');
    const state = join(dir, 'state');
    await mkdir(state);
    const cache = join(state, 'borg-version.json');
    const env = { PATH: '/usr/bin:/bin', BORG_BASE_DIR: join(dir, 'base'), HOME: dir };
    const adapter = (logger = debugLogger()) => ({
      borg: createBorg({ env, logger: logger.logger, checkVersion: true, versionCache: cache }),
      argvs: logger.argvs,
    });
    const first = adapter();
    const target = plainTarget(dir);
    await first.borg.init(target, 'none');
    // the first adapter asked both forms; every repository command then ran without the wrapper
    const asked = first.argvs();
    expect(asked[0]).toBe('borg --version');
    expect(asked[1]).toMatch(/^\/usr\/bin\/python3 -P -c import sys; .* --version$/);
    expect(asked.slice(2).every((argv) => argv.startsWith('/usr/bin/python3 -P -c '))).toBe(true);
    expect(JSON.parse(await readFile(cache, 'utf8'))).toMatchObject({ direct: { ok: true } });

    // a package named borg where borg runs (the backed-up tree): -P keeps it off sys.path
    const tree = join(dir, 'tree');
    await mkdir(join(tree, 'borg'), { recursive: true });
    const marker = join(dir, 'imported');
    await writeFile(
      join(tree, 'borg', '__init__.py'),
      `open(${JSON.stringify(marker)}, 'w').write('x')\nraise SystemExit(99)\n`,
    );
    await writeFile(
      join(tree, 'msgpack.py'),
      `open(${JSON.stringify(marker)}, 'w').write('x')\nraise SystemExit(98)\n`,
    );
    await writeFile(join(tree, 'data.txt'), 'data\n');
    const second = adapter();
    const created = await second.borg.create(target, 'a-2026-12-01T00:00:00', {
      paths: ['data.txt'],
      cwd: tree,
      compression: 'lz4',
      exclude: [],
    });
    expect(created.warnings).toEqual([]);
    expect(existsSync(marker)).toBe(false);
    const listed = await second.borg.list(target);
    expect(listed.state === 'present' && listed.archives.map((a) => a.name)).toEqual([
      'a-2026-12-01T00:00:00',
    ]);
    // the second adapter asked no version: both came from the cache
    expect(
      second
        .argvs()
        .every((argv) => argv.startsWith('/usr/bin/python3 -P -c ') && !argv.endsWith('--version')),
    ).toBe(true);
  });

  // before the first apply there is no state directory to remember in: asking both forms on
  // every command would double its `--version` (~0.25 s), so borg keeps its wrapper there
  it('asks one version and keeps the wrapper when the cache cannot be written', async () => {
    const dir = await tempDir('borgops-direct-nocache-');
    const cache = join(dir, 'no-state-dir', 'borg-version.json');
    const env = { PATH: '/usr/bin:/bin', BORG_BASE_DIR: join(dir, 'base'), HOME: dir };
    const target = plainTarget(dir);
    for (const round of [1, 2]) {
      const logger = debugLogger();
      const borg = createBorg({ env, logger: logger.logger, checkVersion: true, versionCache: cache });
      if (round === 1) await borg.init(target, 'none');
      else expect((await borg.list(target)).state).toBe('present');
      const versions = logger.argvs().filter((argv) => argv.endsWith('--version'));
      expect(versions, `round ${round}`).toEqual(['borg --version']);
      expect(
        logger.argvs().every((argv) => argv.startsWith('borg ')),
        `round ${round}`,
      ).toBe(true);
    }
    expect(existsSync(cache)).toBe(false);
  });

  it('keeps the wrapper when the interpreter prints another version or has no -P (Python before 3.11)', async () => {
    for (const [what, fake] of [
      ['another version', 'echo "borg 9.9.9"; exit 0'],
      ['no -P', 'echo "Unknown option: -P" >&2; exit 2'],
    ] as const) {
      const dir = await tempDir('borgops-direct-fake-');
      const bin = join(dir, 'bin');
      await mkdir(bin);
      const python = join(dir, 'python3');
      // run as the wrapper's interpreter, it is the real one; asked with -P it is not
      await writeFile(
        python,
        `#!/bin/sh\nif [ "$1" = "-P" ]; then ${fake}; fi\nexec /usr/bin/python3 "$@"\n`,
        { mode: 0o755 },
      );
      await writeFile(join(bin, 'borg'), DEBIAN(python), { mode: 0o755 });
      await mkdir(join(dir, 'state'));
      const cache = join(dir, 'state', 'borg-version.json');
      const logger = debugLogger();
      const borg = createBorg({
        env: { PATH: `${bin}:/usr/bin:/bin`, BORG_BASE_DIR: join(dir, 'base'), HOME: dir },
        logger: logger.logger,
        checkVersion: true,
        versionCache: cache,
      });
      const target = plainTarget(dir);
      await borg.init(target, 'none');
      expect((await borg.version()).text, what).toMatch(/^1\./);
      expect(JSON.parse(await readFile(cache, 'utf8')), what).toMatchObject({ direct: { ok: false } });
      expect(logger.argvs().at(-1), what).toBe(
        `borg init --log-json --lock-wait 1 --encryption none -- ${target.repo}`,
      );
    }
  });
});
