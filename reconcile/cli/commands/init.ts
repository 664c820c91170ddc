import { access, mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { INVENTORY_FILES } from '../../../src/config/files.js';
import { scaffoldFiles } from '../../../src/config/scaffold.js';
import { BorgopsError } from '../../../src/errors.js';
import { initRepository } from '../../../src/git/init.js';
import { type Io, printJson } from '../io.js';
import { globalOptions } from '../options.js';

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

export function registerInit(program: Command, io: Io): void {
  program
    .command('init')
    .description(
      'scaffold a config repository in DIR: inventory.yaml, one machine (--machine), one state, the JSON Schemas, git init and a first commit',
    )
    .argument('[dir]', 'the directory to create or fill (default: the current directory)', '.')
    .option('--repo <repo>', "borg repository of the machine's destination (default: /srv/borg/<machine>)")
    .option('--no-commit', 'git init only; leave the files uncommitted (validate them with --worktree)')
    .action(async (dirArg: string, options: { repo?: string; commit: boolean }, command: Command) => {
      const global = globalOptions(command);
      const dir = resolve(dirArg);
      const files = scaffoldFiles({
        machine: global.machine,
        ...(options.repo === undefined ? {} : { repo: options.repo }),
      });
      const present = await readdir(dir).catch(() => [] as string[]);
      const inventory = INVENTORY_FILES.find((name) => present.includes(name));
      if (inventory !== undefined)
        throw new BorgopsError(
          'E_USAGE',
          `${dir} already has ${inventory}; borgops init never overwrites a config repository`,
        );
      const clashes: string[] = [];
      for (const path of files.keys()) if (await exists(join(dir, path))) clashes.push(path);
      if (clashes.length > 0)
        throw new BorgopsError(
          'E_USAGE',
          `${dir} already has files borgops init would write; nothing was written`,
          {
            details: clashes,
          },
        );
      for (const [path, content] of files) {
        await mkdir(dirname(join(dir, path)), { recursive: true });
        // 'wx': never overwrite, even if the file appeared since the check
        await writeFile(join(dir, path), content, { flag: 'wx' });
      }
      const paths = [...files.keys()];
      const result = await initRepository(dir, paths, options.commit);
      if (global.json) {
        printJson(io, {
          dir,
          machine: global.machine,
          files: paths,
          gitInit: result.initialized,
          commit: result.commit ?? null,
        });
        return;
      }
      for (const path of paths) io.out(`created ${join(dir, path)}\n`);
      if (result.initialized) io.out(`initialized a git repository in ${dir}\n`);
      if (result.commit !== undefined) {
        io.out(`committed ${result.commit.slice(0, 12)}`);
        io.out(result.fallbackAuthor ? ' (as "borgops init": git has no user.name/user.email)\n' : '\n');
        io.out(
          `next: edit the files, then \`borgops validate --source ${dirArg}\` and \`borgops plan --source ${dirArg}\`\n`,
        );
      } else {
        io.out(`next: \`borgops validate --worktree --source ${dirArg}\`, then commit\n`);
      }
    });
}
