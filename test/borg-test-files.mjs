// The test files that run a real borg: they import a helper that starts borg (or the built CLI,
// which does), or start one themselves. .ci/run runs them a second time with borg 1.4 first on PATH.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const USES_BORG = /helpers\/(borg|borg-prune|backups|converge|sshd|cli|fleet)\.js'|execa\(\s*'borg'/;

function* testFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'bench') yield* testFiles(path);
    else if (entry.name.endsWith('.test.ts')) yield path;
  }
}

for (const file of testFiles(join(root, 'test'))) {
  if (USES_BORG.test(readFileSync(file, 'utf8'))) console.log(relative(root, file));
}
