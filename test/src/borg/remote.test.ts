import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { borgSandbox, sourceTree } from '../../helpers/borg.js';
import { skipWithoutSshd, sshdSkipReason, sshServer } from '../../helpers/sshd.js';

/*
 * Repositories behind a real sshd with clan's forced command
 * (`cd <dir> && borg serve --restrict-to-repository .`): what borg reports remotely differs
 * from local (server-side errors arrive as bare class names), and must classify the same.
 */
describe.skipIf(skipWithoutSshd)(
  `remote repositories over ssh (real sshd)${skipWithoutSshd ? ` (${sshdSkipReason})` : ''}`,
  () => {
    it('inits, backs up and lists through the forced command; refuses other paths and unknown keys', async () => {
      const sandbox = await borgSandbox();
      const served = join(sandbox.dir, 'served', 'jon');
      await mkdir(served, { recursive: true });
      const ssh = await sshServer(served);
      const target = sandbox.target(`${ssh.login}:.`, await sandbox.passphraseFile('remote words'), {
        destination: 'server1',
        rsh: ssh.rsh(ssh.clientKey),
      });

      // The server made the directory and nothing else: borg calls it invalid, and from the
      // client it cannot be told from a directory full of other files, so it is not `missing`.
      expect(await sandbox.borg.list(target)).toMatchObject({ state: 'failed', failure: 'not-a-repository' });
      await sandbox.borg.init(target, 'repokey');
      const cwd = await sourceTree(sandbox);
      await sandbox.borg.create(target, 'jon-server1-2026-03-01T01:00:00', {
        paths: ['data'],
        cwd,
        compression: 'auto,zstd',
        exclude: [],
      });
      const listed = await sandbox.borg.list(target);
      expect(listed.state === 'present' ? listed.archives.map((a) => a.name) : listed).toEqual([
        'jon-server1-2026-03-01T01:00:00',
      ]);

      const elsewhere = await sandbox.borg.list({ ...target, repo: `${ssh.login}:/etc` });
      expect(elsewhere).toMatchObject({ state: 'failed', failure: 'permission' });
      expect(elsewhere.state === 'failed' && elsewhere.message).toMatch(/Repository path not allowed/);
      const stranger = await sandbox.borg.list({ ...target, rsh: ssh.rsh(ssh.strangerKey) });
      // ssh refused the key: ssh failed, whether or not borg relayed ssh's words in time.
      expect(stranger).toMatchObject({ state: 'failed', failure: 'unreachable' });
    });
  },
);
