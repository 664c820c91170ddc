import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { borgops, expectOk } from '../helpers/cli.js';
import { localConfig } from '../helpers/fleet.js';
import { gitRepo } from '../helpers/git.js';
import { tempDir } from '../helpers/temp.js';

const TIMEOUT = 300_000;
const TOKEN = 'hvs-TOKEN-8f3a1c';

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

describe('a failing passCommand never shows its text (built CLI, real borg)', () => {
  it(
    'a token in it is not in stdout, stderr, --json, debug logs, runs.json, status.json or any state file',
    async () => {
      // fails, prints the token on stderr, and carries it in its argv
      const passCommand = `sh -c "echo token $0 >&2; exit 7" --token=${TOKEN}`;
      const base = await tempDir('borgops-passcmd-');
      await mkdir(join(base, 'repos'));
      const root = join(base, 'root');
      const pass = join(base, 'pass');
      await writeFile(pass, 'a-working-passphrase\n');
      const repository = join(base, 'repos/local');
      const repo = await gitRepo(
        localConfig({ local: repository }, { encryption: { passCommand: `cat ${pass}` } }),
      );
      const args = ['--source', repo.dir, '--machine', 'jon', '--root', root, '--scheduler', 'embedded'];
      const here = ['--root', root];
      const env = { BORGOPS_LOG_LEVEL: 'debug' };
      expectOk(await borgops(['apply', ...args]), 'apply with a working passCommand');
      expectOk(await borgops(['backups', 'create', 'jon', ...here]), 'a first backup');
      // the secret store rotates the command; it now fails and carries a token
      await repo.commit(localConfig({ local: repository }, { encryption: { passCommand } }), 'rotate');
      const outputs = [
        await borgops(['apply', ...args, '--json'], { env }),
        await borgops(['backups', 'create', 'jon', ...here, '--json'], { env }),
        await borgops(['backups', 'create', 'jon', ...here], { env }),
        await borgops(['status', '--machine', 'jon', ...here, '--json'], { env }),
      ];
      const failed = outputs[2];
      expect(failed?.exitCode).toBe(1);
      expect(`${failed?.stdout}${failed?.stderr}`).toContain('local: encryption.passCommand failed');
      for (const result of outputs) {
        expect(result.stdout).not.toContain(TOKEN);
        expect(result.stderr).not.toContain(TOKEN);
      }
      const stateFiles = await filesUnder(join(root, 'var/lib/borgops'));
      expect(stateFiles.map((f) => f.slice(root.length))).toContain('/var/lib/borgops/runs.json');
      // applied/ is this machine's copy of the reviewed commit (backups run from it); nothing else holds the text
      for (const file of stateFiles.filter((f) => !f.includes('/var/lib/borgops/applied/')))
        expect(await readFile(file, 'utf8'), file).not.toContain(TOKEN);
      const runs = await readFile(join(root, 'var/lib/borgops/runs.json'), 'utf8');
      expect(runs).toContain('encryption.passCommand failed');
    },
    TIMEOUT,
  );
});
