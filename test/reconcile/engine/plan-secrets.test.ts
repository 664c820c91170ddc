import { describe, expect, it } from 'vitest';
import type { ActualMachine } from '../../../reconcile/engine/model.js';
import { plan } from '../../../reconcile/engine/plan.js';
import { compile } from '../../../src/desired/compile.js';
import type { DesiredMachine } from '../../../src/desired/types.js';
import { declarationsOf } from '../../helpers/declarations.js';
import { localConfig } from '../../helpers/fleet.js';
import { observed, planOptions } from '../../helpers/plan.js';

// The pure planner's secret precedence, with hand-made observations (the e2e tests run real borg and age).
const options = planOptions();
const armored = '-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n';

function desiredOf(files: Record<string, string> = {}, extra: Record<string, unknown> = {}): DesiredMachine {
  return compile(declarationsOf({ ...localConfig({ local: '/srv/borg/local' }, extra), ...files }), 'jon');
}

const committed = { 'machines/jon/secrets/local.passphrase.age': armored };

function actual(
  secret: ActualMachine['secrets'][string],
  state: 'missing' | 'recorded' = 'missing',
): ActualMachine {
  return observed({
    repositories: { local: state === 'missing' ? { state, via: 'borg' } : { state, via: 'ledger' } },
    secrets: { local: secret },
    sshKey: { exists: true },
  });
}

const ops = (result: ReturnType<typeof plan>) =>
  result.actions.filter((a) => a.kind !== 'hook' && a.kind !== 'schedule').map((a) => a.id);

describe('plan: where the passphrase comes from', () => {
  it('a local-only passphrase is generated and warned about, naming `borgops secrets adopt`', () => {
    const result = plan(desiredOf(), actual({ passphrase: false, key: false }), options);
    expect(ops(result)).toEqual(['secret/local', 'repository/local', 'key-export/local']);
    expect(result.warnings).toContain(
      'local: its passphrase exists only on this machine (/tmp/root/var/lib/borgops/secrets/local.passphrase) and dies with it: run `borgops secrets adopt` here and commit the output as machines/jon/secrets/local.passphrase.age (or declare encryption.passCommand)',
    );
  });

  it('a committed secret the machine decrypts: no local passphrase, no warning', () => {
    const result = plan(
      desiredOf(committed),
      actual({ passphrase: false, key: false, committed: 'readable' }),
      options,
    );
    expect(ops(result)).toEqual(['repository/local', 'key-export/local']);
    expect(result.warnings.filter((w) => w.includes('passphrase'))).toEqual([]);
    expect(result.errors).toEqual([]);
  });

  it('a committed secret this machine cannot decrypt: an error, and no init', () => {
    const result = plan(
      desiredOf(committed),
      actual({ passphrase: false, key: false, committed: 'unreadable' }),
      options,
    );
    expect(ops(result)).toEqual([]);
    expect(result.errors.map((e) => e.message)).toEqual([
      "local: this machine's key (/tmp/root/var/lib/borgops/ssh/borgbackup.ssh) cannot decrypt machines/jon/secrets/local.passphrase.age: commit its key (`borgops keys show`) as machines/jon/borgbackup.ssh.pub and have an admin run `borgops secrets rekey`",
    ]);
  });

  it('a committed secret that differs from the local one the repository was made with: refused, not guessed', () => {
    const secret = { passphrase: true, key: true, committed: 'readable', differs: true } as const;
    const result = plan(desiredOf(committed), actual(secret, 'recorded'), options);
    expect(result.errors[0]?.message).toContain(
      'machines/jon/secrets/local.passphrase.age is not the passphrase generated on this machine',
    );
  });

  it('a passCommand wins over a committed secret; the key export is planned once the repository exists', () => {
    const desired = desiredOf(committed, { encryption: { passCommand: 'cat /run/pass' } });
    const result = plan(desired, actual({ passphrase: false, key: false }, 'recorded'), options);
    expect(ops(result)).toEqual(['key-export/local']);
    expect(result.warnings.filter((w) => w.includes('passphrase'))).toEqual([]);
  });

  it('keyfile mode warns until the exported key is committed', () => {
    const desired = desiredOf(committed, { encryption: { mode: 'keyfile' } });
    const result = plan(
      desired,
      actual({ passphrase: false, key: true, committed: 'readable' }, 'recorded'),
      options,
    );
    expect(result.warnings).toContain(
      'local: keyfile mode keeps the repository key only on this machine: run `borgops secrets adopt` here and commit the output as machines/jon/secrets/local.key.age',
    );
    const done = desiredOf(
      { ...committed, 'machines/jon/secrets/local.key.age': armored },
      { encryption: { mode: 'keyfile' } },
    );
    const quiet = plan(
      done,
      actual({ passphrase: false, key: true, committed: 'readable' }, 'recorded'),
      options,
    );
    expect(quiet.warnings.filter((w) => w.includes('keyfile'))).toEqual([]);
  });

  // the committed key is the way back after losing the machine: one that cannot open the
  // repository is said, although borg still opens it with the machine's own key
  it('keyfile mode warns when the committed key is of another repository, or cannot be decrypted', () => {
    const [old, renewed] = ['a'.repeat(64), 'b'.repeat(64)];
    const desired = desiredOf(
      { ...committed, 'machines/jon/secrets/local.key.age': armored },
      { encryption: { mode: 'keyfile' } },
    );
    const planned = (secret: Partial<ActualMachine['secrets'][string]>) =>
      plan(
        desired,
        actual({ passphrase: false, key: true, committed: 'readable', ...secret }, 'recorded'),
        options,
      ).warnings.filter((w) => w.includes('local.key.age'));
    expect(planned({ committedKey: { repository: old }, exportedKeyRepository: renewed })).toEqual([
      `local: machines/jon/secrets/local.key.age is the key of another repository (aaaaaaaaaaaa…), not of this one (bbbbbbbbbbbb…, made anew since): a restore from git after losing this machine would fail; run \`borgops secrets adopt\` here and commit the output as machines/jon/secrets/local.key.age`,
    ]);
    const unreadable = 'cannot decrypt machines/jon/secrets/local.key.age with /k (no identity matched)';
    expect(planned({ committedKey: { unreadable } })).toEqual([
      `local: ${unreadable}: this machine opens its repository with its own key, but a restore from git after losing it would fail; run \`borgops secrets adopt\` here and commit the output as machines/jon/secrets/local.key.age`,
    ]);
    // the same repository, or no export here yet to compare with: nothing to say
    expect(planned({ committedKey: { repository: old }, exportedKeyRepository: old })).toEqual([]);
    expect(planned({ committedKey: { repository: old } })).toEqual([]);
    // repokey mode keeps its key in the repository: a committed key file is not read at all
    const repokey = plan(
      desiredOf({ ...committed, 'machines/jon/secrets/local.key.age': armored }),
      actual(
        { passphrase: false, key: true, committed: 'readable', committedKey: { unreadable } },
        'recorded',
      ),
      options,
    );
    expect(repokey.warnings.filter((w) => w.includes('local.key.age'))).toEqual([]);
  });
});
