import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ageRecipientOfSshKey } from '../../src/secrets/ssh-age.js';
import { adminKey, ageDecrypt, filesContaining, withRecipients } from '../helpers/age.js';
import { borgops } from '../helpers/cli.js';
import { localConfig } from '../helpers/fleet.js';
import { gitRepo } from '../helpers/git.js';
import { tempDir } from '../helpers/temp.js';

const secretFile = 'machines/jon/secrets/local.passphrase.age';

describe('borgops secrets generate | verify | rekey and keys show --age (built CLI, real age)', () => {
  it('generates once, never overwrites, warns on stale recipients and rekeys to a new admin', async () => {
    const base = await tempDir('borgops-secrets-');
    const admin = await adminKey(base);
    const root = join(base, 'root');
    const shown = await borgops(['keys', 'show', '--machine', 'jon', '--root', root]);
    expect(shown.exitCode).toBe(0);
    const age = await borgops(['keys', 'show', '--age', '--machine', 'jon', '--root', root]);
    expect(age.exitCode).toBe(0);
    const jonRecipient = ageRecipientOfSshKey(shown.stdout.trim());
    expect(age.stdout).toBe(`${jonRecipient}\n`);

    const files = withRecipients(localConfig({ local: join(base, 'repos/local') }), [admin.recipient]);
    const repo = await gitRepo({ ...files, 'machines/jon/borgbackup.ssh.pub': shown.stdout });

    const missing = await borgops(['validate', '--source', repo.dir]);
    expect(missing.exitCode).toBe(0);
    expect(missing.stdout).toContain(`${secretFile}:1: warning: not committed: destination "local" of jon`);

    const generated = await borgops(['secrets', 'generate', '--source', repo.dir, '--json']);
    expect(generated.exitCode).toBe(0);
    expect(JSON.parse(generated.stdout).secrets).toEqual([
      {
        machine: 'jon',
        destination: 'local',
        file: secretFile,
        outcome: 'written',
        recipients: [admin.recipient, jonRecipient].sort(),
      },
    ]);
    const armored = await readFile(join(repo.dir, secretFile), 'utf8');
    expect(armored).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n/);
    const passphrase = await ageDecrypt(admin.file, join(repo.dir, secretFile));
    expect(passphrase).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // the passphrase is nowhere in clear: not in the checkout, not in what the command printed
    expect(await filesContaining(repo.dir, passphrase)).toEqual([]);
    expect(generated.stdout + generated.stderr).not.toContain(passphrase);

    const again = await borgops(['secrets', 'generate', '--source', repo.dir]);
    expect(again.stdout).toBe(`kept  ${secretFile}\n0 secrets written, 1 kept\n`);
    expect(await readFile(join(repo.dir, secretFile), 'utf8')).toBe(armored);
    await repo.commit({}, 'secrets');

    const clean = await borgops(['validate', '--source', repo.dir]);
    expect(clean.stdout).not.toContain('secrets/');
    expect(
      (await borgops(['secrets', 'verify', '--source', repo.dir, '--identity', admin.file])).exitCode,
    ).toBe(0);

    // a second admin joins: the file is stale until an admin who can decrypt it rekeys
    const second = await adminKey(base, 'second.key');
    await repo.commit(withRecipients(files, [admin.recipient, second.recipient]), 'second admin');
    const stale = await borgops(['validate', '--source', repo.dir]);
    expect(stale.stdout).toContain(
      `${secretFile}:1: warning: recipients out of date: not encrypted to admin ${second.recipient}; run \`borgops secrets rekey --identity FILE\``,
    );
    const verify = await borgops(['secrets', 'verify', '--source', repo.dir, '--identity', admin.file]);
    expect(verify.exitCode).toBe(2);
    expect(verify.stdout).toContain(
      `${secretFile}: decrypts; recipients out of date: not encrypted to admin`,
    );
    const refused = await borgops(['secrets', 'rekey', '--source', repo.dir, '--identity', second.file]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stdout).toContain(`FAILED  ${secretFile}: cannot decrypt with ${second.file}`);
    expect(await readFile(join(repo.dir, secretFile), 'utf8')).toBe(armored);

    const rekeyed = await borgops(['secrets', 'rekey', '--source', repo.dir, '--identity', admin.file]);
    expect(rekeyed.exitCode).toBe(0);
    expect(rekeyed.stdout).toContain(`rekeyed ${secretFile}`);
    expect(await ageDecrypt(second.file, join(repo.dir, secretFile))).toBe(passphrase);
    expect(await ageDecrypt(admin.file, join(repo.dir, secretFile))).toBe(passphrase);
    expect(await filesContaining(repo.dir, passphrase)).toEqual([]);
    const verified = await borgops(['secrets', 'verify', '--source', repo.dir, '--identity', second.file]);
    expect(verified.stdout).toBe(`${secretFile}: decrypts\n1 secret: 0 undecryptable, 0 stale, 0 missing\n`);
    expect(verified.exitCode).toBe(0);
  }, 300_000);

  it('validate rejects a committed secret that is not armored age', async () => {
    const base = await tempDir('borgops-secrets-');
    const admin = await adminKey(base);
    const files = withRecipients(localConfig({ local: join(base, 'repos/local') }), [admin.recipient]);
    const repo = await gitRepo({ ...files, [secretFile]: 'plaintext-passphrase\n' });
    const invalid = await borgops(['validate', '--source', repo.dir]);
    expect(invalid.exitCode).toBe(1);
    expect(invalid.stdout).toContain(`${secretFile}:1: is not an ASCII-armored age file`);
  }, 120_000);
});
