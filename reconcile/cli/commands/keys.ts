import type { Command } from 'commander';
import { generateSshKey, observeSshKey } from '../../../src/host/ssh-key.js';
import { ageRecipientOfSshKey } from '../../../src/secrets/ssh-age.js';
import { type Io, printJson } from '../io.js';
import { machineToActFor, requireDeclaredMachine } from '../machine.js';
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
  /** The age recipient derived from the key (ssh-to-age): what this machine's committed secrets are encrypted to. */
  ageRecipient: string;
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
    .option(
      '--age',
      'print the age recipient (age1…) derived from the key as ssh-to-age does, instead of the key',
    )
    .action(async (flags: { age?: boolean }, command: Command) => {
      const global = globalOptions(command);
      const options = { ...global, machine: await machineToActFor(command, global) };
      await requireDeclaredMachine(options.machine, options);
      const { paths } = options;
      const before = await observeSshKey(paths.sshKey);
      const publicKey = await generateSshKey(paths.sshKey, `borgops@${options.machine}`);
      const shown: ShownKey = {
        machine: options.machine,
        publicKey,
        privateKey: paths.sshKey,
        commitAs: `machines/${options.machine}/borgbackup.ssh.pub`,
        generated: !before.exists,
        ageRecipient: ageRecipientOfSshKey(publicKey),
      };
      if (options.json) {
        printJson(io, shown);
        return;
      }
      if (flags.age) {
        io.out(`${shown.ageRecipient}\n`);
        if (shown.generated) io.err(`borgops: generated ${paths.sshKey} (ed25519, 0600)\n`);
        io.err(
          `borgops: secrets for ${options.machine} are encrypted to this recipient once ${shown.commitAs} is committed\n`,
        );
        return;
      }
      io.out(`${publicKey}\n`);
      // on stderr, so `borgops keys show > machines/<m>/borgbackup.ssh.pub` writes the key alone
      if (shown.generated) io.err(`borgops: generated ${paths.sshKey} (ed25519, 0600)\n`);
      io.err(`borgops: commit this line as ${shown.commitAs} in the config repository\n`);
    });
}
