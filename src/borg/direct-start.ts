import { type Executable, locateExecutable } from '../host/executable.js';
import { readSmall } from '../host/small-file.js';

/*
 * Debian's `/usr/bin/borg` is setuptools' console-script wrapper: before it calls
 * `borg.archiver:main` it looks that entry point up in the installed packages' metadata
 * (importlib.metadata), ~35 ms of every borg process on a small machine (~13 % of a `borg
 * --version`). borgops starts the same interpreter on the same function instead:
 *
 *   /usr/bin/python3 -P -c "import sys; sys.argv[0] = '/usr/bin/borg'; from borg.archiver import main; sys.exit(main())"
 *
 * Only for a wrapper that is exactly that template (any other shape, a wrapper that changes
 * sys.path, a binary build, a shell script: borg is started as it is), and only once the
 * adapter has seen both forms print the same `--version` (remembered per wrapper and
 * interpreter, src/borg/adapter.ts). `-P` keeps the working directory off sys.path: a wrapper
 * started by path does not put it there either, and a `msgpack.py` where borg runs must never be
 * imported. An interpreter without `-P` (before Python 3.11) fails that check and is not used.
 */

const VERSION = '([0-9][0-9A-Za-z.+!-]*)';

// Debian bookworm's borgbackup 1.2.4 wrapper, its version and interpreter left open
const SETUPTOOLS_TEMPLATE = [
  '#!INTERPRETER',
  "# EASY-INSTALL-ENTRY-SCRIPT: 'borgbackup==VERSION','console_scripts','borg'",
  'import re',
  'import sys',
  '',
  '# for compatibility with easy_install; see #2198',
  "__requires__ = 'borgbackup==VERSION'",
  '',
  'try:',
  '    from importlib.metadata import distribution',
  'except ImportError:',
  '    try:',
  '        from importlib_metadata import distribution',
  '    except ImportError:',
  '        from pkg_resources import load_entry_point',
  '',
  '',
  'def importlib_load_entry_point(spec, group, name):',
  "    dist_name, _, _ = spec.partition('==')",
  '    matches = (',
  '        entry_point',
  '        for entry_point in distribution(dist_name).entry_points',
  '        if entry_point.group == group and entry_point.name == name',
  '    )',
  '    return next(matches).load()',
  '',
  '',
  "globals().setdefault('load_entry_point', importlib_load_entry_point)",
  '',
  '',
  "if __name__ == '__main__':",
  "    sys.argv[0] = re.sub(r'(-script\\.pyw?|\\.exe)?$', '', sys.argv[0])",
  "    sys.exit(load_entry_point('borgbackup==VERSION', 'console_scripts', 'borg')())",
  '',
].join('\n');

const escaped = (text: string) => text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');

const SETUPTOOLS = new RegExp(
  `^${escaped(SETUPTOOLS_TEMPLATE)
    .replace('INTERPRETER', '(/[A-Za-z0-9._/+-]*/python3(?:\\.[0-9]+)?)')
    .replaceAll('VERSION', VERSION)}$`,
);

/** The interpreter of a wrapper that is exactly the template, with one version throughout. */
export function wrapperInterpreter(text: string): string | undefined {
  const match = SETUPTOOLS.exec(text);
  if (match === null) return undefined;
  const [, interpreter, ...versions] = match;
  return versions.every((version) => version === versions[0]) ? interpreter : undefined;
}

export interface DirectStart {
  /** The argv that runs borg without its wrapper. */
  command: readonly [string, ...string[]];
  /** The interpreter's fingerprint: another Python makes the adapter check the form again. */
  interpreter: string;
}

/** The Python argv that runs `borg.archiver.main` as the wrapper at `script` would. */
export function directCommand(interpreter: string, script: string): [string, ...string[]] {
  const code = `import sys; sys.argv[0] = ${JSON.stringify(script)}; from borg.archiver import main; sys.exit(main())`;
  return [interpreter, '-P', '-c', code];
}

/**
 * How to start the borg `wrapper` is (as locateExecutable found it) without the wrapper;
 * undefined for anything but the known wrapper (its real path read without following a link).
 */
export async function findDirectStart(wrapper: Executable): Promise<DirectStart | undefined> {
  try {
    const text = (await readSmall(wrapper.real, 16 * 1024))?.toString('utf8');
    const interpreter = text === undefined ? undefined : wrapperInterpreter(text);
    if (interpreter === undefined) return undefined;
    const python = await locateExecutable(interpreter, undefined);
    if (python === undefined) return undefined;
    // the path the kernel would hand the interpreter (the wrapper's argv[0]), not its real path
    return { command: directCommand(interpreter, wrapper.path), interpreter: python.fingerprint };
  } catch {
    return undefined;
  }
}
