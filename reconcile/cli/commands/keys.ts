import type { Command } from 'commander';
import { generateSshKey, observeSshKey } from '../../../src/host/ssh-key.js';
import { type Io, printJson } from '../io.js';
import { globalOptions } from '../options.js';

/** What `keys show` prints with --json. */
export interface ShownKey {
  machine: string;
  publicKey: string;
  /** The private key borgops's ssh uses (`<state-dir>/ssh/borgbackup.ssh`). */
  privateKey: string;
  /** Where the public key belongs in the config repository. */
  commitAs: string;
  /** True when this call generated the key. */
  generated: boolean;
}

/**
 * `borgops keys show`: this machine's public key for the servers it backs up to, generated once
 * if needed (the same key apply would generate), so it can be committed before the first apply:
 * a server cannot authorize a key that does not exist yet.
 */
export function registerKeys(program: Command, io: Io): void {
  const keys = program.command('keys').description("this machine's SSH key for its server destinations");
  keys
    .command('show')
    .description(
      "print this machine's public key (generated once if needed), to commit as machines/<machine>/borgbackup.ssh.pub",
    )
    .action(async (_flags: unknown, command: Command) => {
      const options = globalOptions(command);
      const { paths } = options;
      const before = await observeSshKey(paths.sshKey);
      const publicKey = await generateSshKey(paths.sshKey, `borgops@${options.machine}`);
      const shown: ShownKey = {
        machine: options.machine,
        publicKey,
        privateKey: paths.sshKey,
        commitAs: `machines/${options.machine}/borgbackup.ssh.pub`,
        generated: !before.exists,
      };
      if (options.json) {
        printJson(io, shown);
        return;
      }
      io.out(`${publicKey}\n`);
      // on stderr, so `borgops keys show > machines/<m>/borgbackup.ssh.pub` writes the key alone
      if (shown.generated) io.err(`borgops: generated ${paths.sshKey} (ed25519, 0600)\n`);
      io.err(`borgops: commit this line as ${shown.commitAs} in the config repository\n`);
    });
}
