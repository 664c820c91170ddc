import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { simpleGit } from 'simple-git';
import { describe, expect, it } from 'vitest';
import { borgops, cliPath } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

const ESC = '\u001b';

interface JsonError {
  error: { code: string; message: string; details: string[] };
}

describe("a newcomer's path, in a fresh directory", () => {
  it('init, validate --worktree before a commit, commit, apply, backups create on a terminal, --json errors', async () => {
    const base = await tempDir('borgops-newcomer-path-');
    const dir = join(base, 'config');
    const root = join(base, 'root');
    const repos = join(base, 'repos');
    await mkdir(repos);

    const init = await borgops([
      'init',
      dir,
      '--machine',
      'alpha',
      '--repo',
      join(repos, 'local'),
      '--no-commit',
    ]);
    expect(init.exitCode, init.stderr).toBe(0);
    // a second destination, as a newcomer adds one
    const inventoryFile = join(dir, 'inventory.yaml');
    const inventory = await readFile(inventoryFile, 'utf8');
    const local = `repo: "${join(repos, 'local')}"`;
    expect(inventory).toContain(local);
    await writeFile(
      inventoryFile,
      inventory.replace(
        local,
        `${local}\n                spare:\n                  repo: "${join(repos, 'spare')}"`,
      ),
    );
    await mkdir(join(root, 'var/lib/example'), { recursive: true });
    await writeFile(join(root, 'var/lib/example/data.txt'), 'first backup\n');

    // before any commit: the working tree validates
    const draft = await borgops(['validate', '--source', dir, '--worktree']);
    expect(draft.exitCode, draft.stdout).toBe(0);
    expect(draft.stdout).toContain('declarations in the working tree are valid: 0 errors, 0 warnings');

    const git = simpleGit({ baseDir: dir });
    await git.addConfig('user.name', 'Newcomer').addConfig('user.email', 'new@example.org');
    await git.add('.').commit('first declarations');

    const apply = await borgops([
      'apply',
      '--source',
      dir,
      '--machine',
      'alpha',
      '--root',
      root,
      '--scheduler',
      'embedded',
    ]);
    expect(apply.exitCode, apply.stderr).toBe(0);
    expect(apply.stdout).toMatch(/^borgops plan for alpha at [0-9a-f]{12} /);
    expect(apply.stdout).toMatch(/Apply complete: \d+ applied, 0 failed \(.*\)\.\n$/);
    expect(apply.stderr).toMatch(/^\[1\/\d+\] /);

    // on a terminal: one progress line per destination, each result as it happens
    const screenFile = join(base, 'screen');
    const created = await execa(
      'script',
      ['-qfec', `node ${cliPath} backups create alpha --root ${root}`, screenFile],
      {
        reject: false,
        env: { TERM: 'xterm', COLUMNS: '100' },
      },
    );
    expect(created.exitCode, created.stdout).toBe(0);
    const screen = await readFile(screenFile, 'utf8');
    expect(screen).toContain('local: borg create…');
    expect(screen).toContain('spare: borg create…');
    for (const destination of ['local', 'spare']) {
      const at = screen.search(new RegExp(`✓ ${destination}: created alpha-${destination}-`));
      expect(at).toBeGreaterThan(0);
      // the result starts on a line the progress was erased from
      const before = screen.slice(Math.max(0, at - 12), at);
      expect(before.endsWith(`${ESC}[J`) || before.endsWith(`${ESC}[K`)).toBe(true);
    }
    expect(screen).toContain('Backup complete: 2 of 2 destinations backed up in ');

    // three failing commands under --json: one document each, the error and the exit code
    const failures: [string[], string, RegExp][] = [
      [
        ['keys', 'show', '--machine', 'nobody', '--source', dir, '--root', root],
        'E_CONFIG',
        /machine "nobody" is not declared/,
      ],
      [
        ['backups', 'create', 'bob', '--root', root],
        'E_CONFIG',
        /machine "bob" is not declared \(declared machines: alpha\)/,
      ],
      [
        ['watch', '--source', dir, '--machine', 'alpha', '--root', root, '--interval', '5min'],
        'E_USAGE',
        /did you mean "5m"\?/,
      ],
    ];
    for (const [args, code, message] of failures) {
      const result = await borgops([...args, '--json']);
      expect(result.exitCode, result.stderr).toBe(1);
      const document = JSON.parse(result.stdout) as JsonError;
      expect(Object.keys(document)).toEqual(['error']);
      expect(document.error.code).toBe(code);
      expect(document.error.message).toMatch(message);
    }
  });
});
