import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adminKey, withRecipients } from '../helpers/age.js';
import { repositoryId } from '../helpers/borg.js';
import { borgops, expectOk } from '../helpers/cli.js';
import { localConfig } from '../helpers/fleet.js';
import { gitRepo } from '../helpers/git.js';
import { tempDir } from '../helpers/temp.js';

const keyFile = 'machines/jon/secrets/local.key.age';
const STALE = 'is the key of another repository';
const UNREADABLE = 'a restore from git after losing it would fail';

// keyfile mode: the committed key is the way back after losing the machine. borg keeps opening
// the repository with the machine's own key when the committed one is stale, so nothing fails
// until the day it is needed; plan says it instead.
describe('a committed keyfile key that no longer opens the repository is a plan warning (built CLI, real borg and age)', () => {
  it('a re-initialized repository: plan names the stale key until adopt is committed; a key this machine cannot decrypt is named too', async () => {
    const base = await tempDir('borgops-kfstale-');
    const admin = await adminKey(base);
    await mkdir(join(base, 'repos'));
    const repository = join(base, 'repos/local');
    const root = join(base, 'root');
    const on = ['--machine', 'jon', '--root', root];
    const shown = await borgops(['keys', 'show', ...on]);
    expectOk(shown, 'keys show');
    const config = withRecipients(localConfig({ local: repository }, { encryption: { mode: 'keyfile' } }), [
      admin.recipient,
    ]);
    const repo = await gitRepo({ ...config, 'machines/jon/borgbackup.ssh.pub': shown.stdout });
    const converge = ['--source', repo.dir, '--scheduler', 'embedded', ...on];
    expectOk(await borgops(['secrets', 'generate', '--source', repo.dir]), 'generate');
    await repo.commit({}, 'secrets generate');
    expectOk(await borgops(['apply', ...converge]), 'apply');
    const adopt = async (message: string) => {
      const adopted = await borgops(['secrets', 'adopt', '--json', ...on]);
      expectOk(adopted, 'adopt');
      const [secret] = (JSON.parse(adopted.stdout) as { secrets: { commitAs: string; armored: string }[] })
        .secrets;
      expect(secret?.commitAs).toBe(keyFile);
      await repo.commit({ [keyFile]: secret!.armored }, message);
      return secret!.armored;
    };
    await adopt('escrow the key');
    const plan = async () => {
      const result = await borgops(['plan', ...converge, '--json']);
      expect(result.exitCode, result.stderr).toBe(0);
      return (JSON.parse(result.stdout) as { warnings: string[] }).warnings;
    };
    expect((await plan()).filter((w) => w.includes(keyFile))).toEqual([]);

    // the disk was replaced: apply makes the repository anew, with a new key
    const id = await repositoryId(repository);
    await rm(repository, { recursive: true });
    expectOk(await borgops(['apply', ...converge, '--refresh', '--allow-reinit']), 'reinit');
    const renewed = await repositoryId(repository);
    expect(renewed).not.toBe(id);
    const stale = (await plan()).filter((w) => w.includes(STALE));
    expect(stale).toEqual([
      `local: ${keyFile} is the key of another repository (${id.slice(0, 12)}…), not of this one (${renewed.slice(0, 12)}…, made anew since): a restore from git after losing this machine would fail; run \`borgops secrets adopt\` here and commit the output as ${keyFile}`,
    ]);
    // the text output says it too; backups keep working meanwhile (the machine's own key)
    expect((await borgops(['plan', ...converge])).stdout).toContain(STALE);
    expectOk(await borgops(['backups', 'create', 'jon', ...on]), 'backups create with a stale committed key');
    // an apply (the agent's, on a fleet) keeps the warning for status, /status and /metrics
    expectOk(await borgops(['apply', ...converge]), 'apply with a stale committed key');
    const status = async () =>
      JSON.parse((await borgops(['status', '--json', ...on])).stdout) as {
        lastAttempt: { warnings?: string[] };
      };
    expect((await status()).lastAttempt.warnings).toEqual(stale);
    expect((await borgops(['status', ...on])).stdout).toContain(`warning: ${stale[0]}`);

    const good = await adopt('escrow the new key');
    expect((await plan()).filter((w) => w.includes(keyFile))).toEqual([]);
    expectOk(await borgops(['apply', ...converge]), 'apply with the new key committed');
    expect((await status()).lastAttempt.warnings).toBeUndefined();

    // a key.age this machine cannot decrypt (tampered in git)
    const lines = good.split('\n');
    const middle = Math.floor(lines.length / 2);
    lines[middle] = `${lines[middle]![0] === 'A' ? 'B' : 'A'}${lines[middle]!.slice(1)}`;
    await repo.commit({ [keyFile]: lines.join('\n') }, 'tampered');
    const unreadable = (await plan()).filter((w) => w.includes(UNREADABLE));
    expect(unreadable).toHaveLength(1);
    expect(unreadable[0]).toContain(`local: cannot decrypt ${keyFile}`);
  }, 300_000);
});
