import type { Command } from 'commander';
import { readIdentities } from '../../../src/secrets/age.js';
import { plural } from '../../../src/util/words.js';
import { generateSecrets, rekeySecrets, verifySecrets } from '../../operations/secrets-admin.js';
import { adoptSecrets } from '../../operations/secrets-adopt.js';
import { type Io, printJson } from '../io.js';
import { globalOptions } from '../options.js';
import { machineOf } from './backups.js';

const IDENTITY = [
  '--identity <file>',
  'an admin age identity (age-keygen) or an ed25519 SSH private key',
] as const;

/**
 * `borgops secrets …`: passphrases in the config repository, age-encrypted to each machine (its
 * ed25519 SSH key, converted as ssh-to-age does) and to the admins (`secrets.recipients`).
 * generate, rekey and verify run in a checkout (its working tree); adopt runs on a machine.
 */
export function registerSecrets(program: Command, io: Io, setExit: (code: number) => void): void {
  const secrets = program
    .command('secrets')
    .description(
      'age-encrypted passphrases in the config repository (machines/<m>/secrets/<d>.passphrase.age)',
    );

  secrets
    .command('generate')
    .description(
      'write a random passphrase, encrypted to the machine and the admins, for every destination that needs one and has none (never overwrites, never writes plaintext)',
    )
    .action(async (_flags: unknown, command: Command) => {
      const options = globalOptions(command);
      const results = await generateSecrets({ source: options.source });
      if (options.json) return printJson(io, { secrets: results });
      for (const result of results) {
        io.out(`${result.outcome === 'written' ? 'wrote' : 'kept '} ${result.file}\n`);
        if (result.note) io.err(`borgops: ${result.file}: ${result.note}\n`);
      }
      const written = results.filter((r) => r.outcome === 'written').length;
      io.out(
        `${plural(written, 'secret')} written, ${results.length - written} kept${written > 0 ? '; commit them' : ''}\n`,
      );
    });

  secrets
    .command('rekey')
    .description(
      'decrypt with an admin identity and encrypt again to the current recipients every secret whose recipients changed',
    )
    .requiredOption(...IDENTITY)
    .action(async (flags: { identity: string }, command: Command) => {
      const options = globalOptions(command);
      const identities = await readIdentities(flags.identity);
      const results = await rekeySecrets({ source: options.source, identities });
      const failed = results.filter((r) => r.outcome === 'failed');
      setExit(failed.length > 0 ? 1 : 0);
      if (options.json) return printJson(io, { secrets: results });
      for (const result of results) {
        if (result.outcome === 'current') continue;
        io.out(
          result.outcome === 'rekeyed'
            ? `rekeyed ${result.file} (was: ${result.stale})\n`
            : `FAILED  ${result.file}: cannot decrypt with ${flags.identity}: ${result.error}\n`,
        );
      }
      const rekeyed = results.filter((r) => r.outcome === 'rekeyed').length;
      io.out(
        `${rekeyed} rekeyed, ${results.length - rekeyed - failed.length} current, ${failed.length} failed${rekeyed > 0 ? '; commit them' : ''}\n`,
      );
    });

  secrets
    .command('verify')
    .description(
      'check that every committed secret decrypts with an identity, and name those whose recipients are out of date (exit 1: undecryptable, 2: stale)',
    )
    .requiredOption(...IDENTITY)
    .action(async (flags: { identity: string }, command: Command) => {
      const options = globalOptions(command);
      const identities = await readIdentities(flags.identity);
      const { secrets: results, missing } = await verifySecrets({ source: options.source, identities });
      const broken = results.filter((r) => !r.decrypts).length;
      const stale = results.filter((r) => r.stale !== undefined).length;
      setExit(broken > 0 ? 1 : stale > 0 ? 2 : 0);
      if (options.json) return printJson(io, { secrets: results, missing });
      for (const result of results) {
        const state = !result.decrypts ? `does not decrypt: ${result.error}` : 'decrypts';
        io.out(
          `${result.file}: ${state}${result.stale ? `; recipients out of date: ${result.stale}` : ''}\n`,
        );
      }
      for (const file of missing) io.out(`${file}: not committed\n`);
      io.out(
        `${plural(results.length, 'secret')}: ${broken} undecryptable, ${stale} stale, ${missing.length} missing\n`,
      );
    });

  registerAdopt(secrets, io);
}

/** `borgops secrets adopt`: on a machine, its local-only secrets encrypted for the admin to commit. */
function registerAdopt(secrets: Command, io: Io): void {
  secrets
    .command('adopt')
    .description(
      'on a machine: print its local-only passphrases (and keyfile-mode keys) encrypted to itself and the admins, for the admin to commit; once committed, the local file is no longer used',
    )
    .option(
      '--destination <name>',
      'only this destination: prints the bare armored file (redirect it to the path shown)',
    )
    .action(async (flags: { destination?: string }, command: Command) => {
      const options = globalOptions(command);
      const adopted = await adoptSecrets(options.paths, machineOf(command, undefined), flags.destination);
      if (options.json) return printJson(io, { secrets: adopted });
      if (adopted.length === 0) {
        io.err('borgops: no local-only secret to adopt\n');
        return;
      }
      for (const secret of adopted) {
        if (flags.destination === undefined) io.out(`# commit as ${secret.commitAs}\n`);
        io.out(secret.armored);
        io.err(`borgops: commit this as ${secret.commitAs} in the config repository\n`);
      }
    });
}
