// `bash -n` through long-lived bash drivers (one Node fork for a fleet's scripts): each script is
// only an argument of `bash -n`, answers never cross, and a driver that dies costs only verdicts.
import { access, chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bashSyntax } from '../../../src/host/bash-syntax.js';
import { tempDir } from '../../helpers/temp.js';

let dir: string;
let previousPath: string | undefined;

beforeEach(async () => {
  dir = await tempDir('borgops-bash-driver-');
  previousPath = process.env.PATH;
});
afterEach(() => {
  process.env.PATH = previousPath;
});

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * Source for a node -e script: `count()`, the bash processes whose environment holds `marker`
 * (the drivers of that script, started with DRIVER_MARKER; the counting shell is sh).
 */
function bashCounter(marker: string): string {
  return `const { execSync } = await import('node:child_process');
         const bashes = 'for p in /proc/[0-9]*; do grep -qs ${marker} $p/environ && [ "$(cat $p/comm 2>/dev/null)" = bash ] && echo $p; done; true';
         const count = () => execSync(bashes, { shell: '/bin/sh' }).toString().split('\\n').filter(Boolean).length;`;
}

describe('bashSyntax through the drivers', () => {
  it('gives each of many scripts its own verdict, in any order of answers', async () => {
    const scripts = Array.from({ length: 120 }, (_, i) =>
      i % 7 === 3
        ? `echo start ${i}\nif then fi ${i}\n`
        : `echo ok ${i}\nfor x in a b; do echo "$x" ${i}; done\n`,
    );
    const verdicts = await Promise.all(scripts.map((script) => bashSyntax(script)));
    verdicts.forEach((verdict, i) => {
      if (i % 7 === 3)
        expect(verdict, `script ${i}`).toMatch(/^bash -n: line 2: syntax error near unexpected token `then'/);
      else expect(verdict, `script ${i}`).toBeUndefined();
    });
  });

  // bash quotes the offending line: a 1.5 MB line with an error is over 1 MB of complaint, which
  // once read as "no verdict" and let the script through
  it('a script whose complaint is over 1 MB is refused, with a one-line message', async () => {
    const long = `echo ${'a'.repeat(1_500_000)} )\n`;
    const verdict = await bashSyntax(long);
    expect(verdict).toBe("bash -n: line 1: syntax error near unexpected token `)'");
    expect(await bashSyntax(`echo ${'a'.repeat(1_500_000)}\n`)).toBeUndefined();
  });

  it('never runs a script: quotes, substitutions and NULs stay data', async () => {
    const marker = join(dir, 'pwned');
    const hostile = [
      `touch '${marker}'`,
      `'; touch '${marker}'; '`,
      `$(touch '${marker}')`,
      `"\n$(touch '${marker}')\n"`,
      `echo a\u0000touch '${marker}'`,
      `\u0000`,
      `\\0\\0 printf '%d\\0' 1`,
    ];
    for (const script of hostile) await bashSyntax(script);
    // still answering in step after the hostile ones
    expect(await bashSyntax('echo fine after hostile')).toBeUndefined();
    expect(await bashSyntax('fi after hostile')).toMatch(
      /^bash -n: line 1: syntax error near unexpected token `fi'/,
    );
    expect(await exists(marker)).toBe(false);
  });

  it('a check killed by a signal, or a driver that dies: no verdict (never a syntax error), then new answers', async () => {
    // a bash on PATH that, asked about one of two scripts, kills itself or the driver that asked
    const bin = join(dir, 'bin');
    await mkdir(bin);
    await writeFile(
      join(bin, 'bash'),
      [
        '#!/bin/sh',
        'case "$3" in',
        '  *kill-the-check*) kill -9 $$ ;;',
        '  *kill-the-driver*)',
        '    for p in $PPID $(ps -o ppid= -p $PPID); do',
        '      case "$(ps -o args= -p $p)" in *"read -r -d"*) kill -9 $p ;; esac',
        '    done',
        '    exit 0 ;;',
        'esac',
        'exec /bin/bash "$@"',
        '',
      ].join('\n'),
    );
    await chmod(join(bin, 'bash'), 0o755);
    process.env.PATH = `${bin}:${previousPath}`;
    expect(await bashSyntax('echo kill-the-check; if then')).toBeUndefined();
    expect(await bashSyntax('echo kill-the-driver; if then')).toBeUndefined();
    // (the wrapper's bash names itself /bin/bash)
    expect(await bashSyntax('echo after the killed driver; if then')).toMatch(
      /^bash -n: .*line 1: syntax error/,
    );
    expect(await bashSyntax('echo after the killed driver')).toBeUndefined();
  });

  it('does not keep the process alive once the answers are in', async () => {
    const module = new URL('../../../dist/src/host/bash-syntax.js', import.meta.url).pathname;
    const started = Date.now();
    const result = await execa(
      'node',
      [
        '--input-type=module',
        '-e',
        `import { bashSyntax } from '${module}'; console.log(String(await bashSyntax('if then')));`,
      ],
      { timeout: 10_000 },
    );
    expect(result.stdout).toMatch(/^bash -n: line 1: syntax error/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('drivers started ahead answer later checks, and an unasked one keeps nothing alive', async () => {
    const module = new URL('../../../dist/src/host/bash-syntax.js', import.meta.url).pathname;
    const marker = `borgops-driver-ahead-${process.pid}-${Date.now()}`;
    const asked = await execa(
      'node',
      [
        '--input-type=module',
        '-e',
        `import { bashSyntax, startBashDrivers } from '${module}'; startBashDrivers(); startBashDrivers();
         ${bashCounter(marker)}
         // both drivers are up before any check, and a second call starts no more
         console.log(count());
         console.log(String(await bashSyntax('if then')), String(await bashSyntax('echo fine')));`,
      ],
      { timeout: 10_000, env: { DRIVER_MARKER: marker } },
    );
    const [count, verdicts] = asked.stdout.split('\n');
    // bash processes with this test's environment: the two drivers (the counting shell is sh)
    expect(Number(count)).toBe(2);
    expect(verdicts).toMatch(/^bash -n: line 1: syntax error.* undefined$/);
    const idle = await execa(
      'node',
      ['--input-type=module', '-e', `import { startBashDrivers } from '${module}'; startBashDrivers();`],
      { timeout: 10_000 },
    );
    expect(idle.exitCode).toBe(0);
  });

  it('drivers started with another PATH are retired when drivers are started again', async () => {
    const module = new URL('../../../dist/src/host/bash-syntax.js', import.meta.url).pathname;
    const marker = `borgops-driver-path-${process.pid}-${Date.now()}`;
    const result = await execa(
      'node',
      [
        '--input-type=module',
        '-e',
        `import { startBashDrivers } from '${module}';
         ${bashCounter(marker)}
         startBashDrivers();
         process.env.PATH = process.env.PATH + ':/nonexistent';
         startBashDrivers();
         // the first two see their input end and exit
         for (let i = 0; i < 100 && count() > 2; i++) await new Promise((r) => setTimeout(r, 20));
         console.log(count());`,
      ],
      { timeout: 10_000, env: { DRIVER_MARKER: marker } },
    );
    expect(Number(result.stdout)).toBe(2);
  });

  it('drivers end with a borgops killed mid-check (SIGKILL): none is left behind', async () => {
    const module = new URL('../../../dist/src/host/bash-syntax.js', import.meta.url).pathname;
    const marker = `borgops-driver-test-${process.pid}-${Date.now()}`;
    // a bash on PATH that is slow to answer, so the kill lands while a check runs
    const bin = join(dir, 'slow');
    await mkdir(bin);
    await writeFile(join(bin, 'bash'), '#!/bin/sh\ncase "$1" in -n) sleep 1 ;; esac\nexec /bin/bash "$@"\n');
    await chmod(join(bin, 'bash'), 0o755);
    const child = execa(
      'node',
      [
        '--input-type=module',
        '-e',
        `import { bashSyntax } from '${module}'; bashSyntax('echo a'); bashSyntax('echo b'); setInterval(() => {}, 1000);`,
      ],
      { env: { PATH: `${bin}:${previousPath}`, DRIVER_MARKER: marker }, reject: false },
    );
    const drivers = async () => {
      const found: string[] = [];
      for (const pid of await readdir('/proc').catch(() => [] as string[])) {
        if (!/^\d+$/.test(pid)) continue;
        const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
        if (environ.includes(marker) && String(pid) !== String(child.pid)) found.push(pid);
      }
      return found;
    };
    // the drivers are up and checking
    for (let i = 0; i < 50 && (await drivers()).length === 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect((await drivers()).length).toBeGreaterThan(0);
    child.kill('SIGKILL');
    await child;
    // the driver sees its input end and exits once the running check is done
    for (let i = 0; i < 150 && (await drivers()).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await drivers()).toEqual([]);
  });
});
