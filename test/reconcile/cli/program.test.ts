import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Io } from '../../../reconcile/cli/io.js';
import { run } from '../../../reconcile/cli/program.js';
import { localConfig } from '../../helpers/fleet.js';
import { gitRepo } from '../../helpers/git.js';
import { tempDir } from '../../helpers/temp.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
    interactive: false,
  };
  const code = await run(args, io);
  return { code, out, err };
}

describe('file system errors reach the user as one named line, not "internal error"', () => {
  it('a missing --webhook-secret-file', async () => {
    const base = await tempDir();
    const secret = join(base, 'no-secret');
    const result = await cli([
      'watch',
      '--source',
      base,
      '--machine',
      'jon',
      '--root',
      base,
      '--webhook-secret-file',
      secret,
    ]);
    expect(result).toEqual({
      code: 1,
      out: '',
      err: `borgops: cannot read --webhook-secret-file ${secret}: no such file or directory (ENOENT)\n`,
    });
  });

  it('an unwritable plan --out', async () => {
    const base = await tempDir();
    const repo = await gitRepo(localConfig({ local: join(base, 'repos', 'local') }));
    const out = join(base, 'plan.json');
    await mkdir(out);
    const args = [
      '--source',
      repo.dir,
      '--machine',
      'jon',
      '--root',
      join(base, 'root'),
      '--scheduler',
      'embedded',
    ];
    const result = await cli(['plan', ...args, '--out', out, '--json']);
    expect([result.code, result.err]).toEqual([
      1,
      `borgops: cannot write the plan to ${out}: is a directory (EISDIR)\n`,
    ]);
  });

  it('a state file that cannot be read, or has the wrong shape', async () => {
    const root = await tempDir();
    const state = join(root, 'var/lib/borgops');
    await mkdir(join(state, 'status.json'), { recursive: true });
    const unreadable = await cli(['status', '--machine', 'jon', '--root', root]);
    expect([unreadable.code, unreadable.err]).toEqual([
      1,
      `borgops: cannot read ${join(state, 'status.json')}: is a directory (EISDIR)\n`,
    ]);
    await rm(join(state, 'status.json'), { recursive: true });
    await writeFile(join(state, 'runs.json'), '{"version": 1, "destinations": []}');
    const wrong = await cli(['status', '--machine', 'jon', '--root', root]);
    expect([wrong.code, wrong.err]).toEqual([
      1,
      `borgops: ${join(state, 'runs.json')} is not a borgops run record (version 1); move it away\n  destinations: Invalid input: expected record, received array\n`,
    ]);
  });
});
