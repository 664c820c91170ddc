// `bash -n` verdicts remembered in the state directory: only acceptance, only for the same bash.
// A real bash behind a counting wrapper on PATH, so what is asked is seen.
import { chmod, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rememberingBashSyntax } from '../../../src/host/bash-syntax.js';
import { tempDir } from '../../helpers/temp.js';

let dir: string;
let previousPath: string | undefined;

/** A `bash` on PATH that logs each script it is asked about, then is the real bash. */
async function countingBash(name: string): Promise<{ bin: string; asked: () => Promise<string[]> }> {
  const bin = join(dir, name);
  await mkdir(bin);
  const log = join(dir, `${name}.log`);
  await writeFile(
    join(bin, 'bash'),
    `#!/bin/sh\nprintf '%s\\n' "$3" | head -n 1 >> '${log}'\nexec /bin/bash "$@"\n`,
  );
  await chmod(join(bin, 'bash'), 0o755);
  return {
    bin,
    asked: async () => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean),
  };
}

beforeEach(async () => {
  dir = await tempDir('borgops-bash-memory-');
  previousPath = process.env.PATH;
});
afterEach(() => {
  process.env.PATH = previousPath;
});

describe('rememberingBashSyntax', () => {
  it('asks bash only about scripts it has not accepted before; a refusal is asked again', async () => {
    const bash = await countingBash('a');
    process.env.PATH = `${bash.bin}:${previousPath}`;
    const file = join(dir, 'bash-syntax.json');
    const first = await rememberingBashSyntax(file);
    expect(await first.check('echo one')).toBeUndefined();
    expect(await first.check('echo (broken')).toMatch(/^bash -n: /);
    await first.save();
    expect(await bash.asked()).toEqual(['echo one', 'echo (broken']);

    const second = await rememberingBashSyntax(file);
    expect(await second.check('echo one')).toBeUndefined();
    expect(await second.check('echo (broken')).toMatch(/^bash -n: /);
    expect(await second.check('echo two')).toBeUndefined();
    await second.save();
    // "echo one" was not asked again; the refused one was, and the new one
    expect(await bash.asked()).toEqual(['echo one', 'echo (broken', 'echo (broken', 'echo two']);
  });

  // a check killed, or a bash that cannot run, says nothing about the script: remembering it as
  // accepted would skip it on every later run
  it('does not remember a script bash gave no answer about; it is asked again', async () => {
    const bash = await countingBash('silent');
    // this bash answers nothing about a script holding NOANSWER (as if killed: 137)
    await writeFile(
      join(bash.bin, 'bash'),
      `#!/bin/sh\nprintf '%s\\n' "$3" | head -n 1 >> '${join(dir, 'silent.log')}'\nif [ "$1" = -n ] && printf '%s' "$3" | grep -q NOANSWER; then exit 137; fi\nexec /bin/bash "$@"\n`,
    );
    process.env.PATH = `${bash.bin}:${previousPath}`;
    const file = join(dir, 'bash-syntax.json');
    const first = await rememberingBashSyntax(file);
    expect(await first.check('echo NOANSWER (broken')).toBeUndefined();
    expect(await first.check('echo fine')).toBeUndefined();
    await first.save();
    const second = await rememberingBashSyntax(file);
    expect(await second.check('echo NOANSWER (broken')).toBeUndefined();
    expect(await second.check('echo fine')).toBeUndefined();
    const asked = (await bash.asked()).filter((line) => !line.startsWith('while'));
    expect(asked).toEqual(['echo NOANSWER (broken', 'echo fine', 'echo NOANSWER (broken']);
  });

  it('asks again for another bash, and after a damaged or linked file (never read through the link)', async () => {
    const file = join(dir, 'bash-syntax.json');
    const a = await countingBash('a');
    process.env.PATH = `${a.bin}:${previousPath}`;
    const first = await rememberingBashSyntax(file);
    await first.check('echo three');
    await first.save();

    const b = await countingBash('b');
    process.env.PATH = `${b.bin}:${previousPath}`;
    await (await rememberingBashSyntax(file)).check('echo three');
    expect(await b.asked()).toEqual(['echo three']);

    process.env.PATH = `${a.bin}:${previousPath}`;
    await writeFile(file, '{"fingerprint": 1');
    const damaged = await rememberingBashSyntax(file);
    await damaged.check('echo three');
    await damaged.save();
    expect(JSON.parse(await readFile(file, 'utf8')).accepted).toHaveLength(1);

    const elsewhere = join(dir, 'elsewhere.json');
    await writeFile(elsewhere, await readFile(file));
    const linked = join(dir, 'linked.json');
    await symlink(elsewhere, linked);
    await (await rememberingBashSyntax(linked)).check('echo three');
    expect(await a.asked()).toEqual(['echo three', 'echo three', 'echo three']);
  });
});
