// The test files .ci/run runs a second time with borg 1.4 first on PATH. Not every file that
// starts borg: the pass would take as long as the first one (56 files, ~8 min) and prove the same
// borgops code again. These are the files that, together, run every borg command borgops uses
// and every place where borg 1.2 and 1.4 differ (exit codes, messages, key files, checkpoints,
// prune's rules, `borg serve`). `--all` lists every file that starts a real borg, for a full run
// by hand: PATH=/opt/borg-1.4/bin:$PATH npx vitest run $(node test/borg-test-files.mjs --all)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

const SECOND_PASS = {
  'test/src/borg/version.test.ts': 'borg --version, and that the pass really ran borg 1.4',
  'test/src/borg/adapter.test.ts': 'init, create, list, info, delete, compact, extract through the adapter',
  'test/src/borg/failures.test.ts': "borg's exit codes and messages (1.4 has its own codes)",
  'test/src/borg/retention-examples.test.ts': 'our retention against the real borg prune',
  'test/src/borg/key-file.test.ts': 'keyfile repositories, BORG_KEY_FILE, the key mismatch message',
  'test/src/borg/remote.test.ts': 'a repository behind ssh',
  'test/src/borg/secrets.test.ts': 'passphrases handed to borg',
  'test/e2e/backups-faults.test.ts': 'interrupted creates, checkpoints, locks, corrupt repositories',
  'test/e2e/ssh-server.test.ts': 'borg serve --restrict-to-path, append-only',
  'test/e2e/verify.test.ts': 'borg check and restore drills',
  'test/e2e/restore-hostile.test.ts': 'extract of hostile archives (import-tar)',
  'test/e2e/key-escrow.test.ts': 'borg key export',
  'test/e2e/keyfile-stale.test.ts':
    "a re-initialized keyfile repository: the committed key's id against the export's",
  'test/src/borg/repository-state.test.ts':
    'the repository files read without borg (index.N, integrity.N, locks)',
  'test/reconcile/operations/retention-record.test.ts':
    'deletions decided on the record while the repository is unchanged; a restored copy refused',
};

const USES_BORG = /helpers\/(borg|borg-prune|backups|converge|sshd|cli|fleet)\.js'|execa\(\s*'borg'/;

function* testFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'bench') yield* testFiles(path);
    else if (entry.name.endsWith('.test.ts')) yield path;
  }
}

if (process.argv.includes('--all')) {
  for (const file of testFiles(join(root, 'test'))) {
    if (USES_BORG.test(readFileSync(file, 'utf8'))) console.log(relative(root, file));
  }
} else {
  for (const file of Object.keys(SECOND_PASS)) {
    // a renamed file must not silently drop out of the pass
    if (!existsSync(join(root, file))) {
      console.error(`borg-test-files: ${file} is gone; update SECOND_PASS`);
      process.exit(1);
    }
    console.log(file);
  }
}
