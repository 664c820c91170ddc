import { join } from 'node:path';
import { committedKeyRepository } from '../../../src/borg/key-file.js';
import { secretFilePath } from '../../../src/config/files.js';
import { resourceId } from '../../../src/desired/ids.js';
import type { DesiredDestination } from '../../../src/desired/types.js';
import type { HostPaths } from '../../../src/host/paths.js';
import {
  exportedKeyPath,
  exportedKeyRepositoryId,
  generatePassphrase,
  type ObservedSecret,
  observeSecret,
} from '../../../src/host/secrets.js';
import { borgTarget } from '../../../src/host/targets.js';
import type { BaseAction } from '../model.js';
import type { KindModule, PlanInput, PlanOutput, ResourceOf } from './kind.js';
import { committedPassphrase, repositoryVerdict } from './verdict.js';

/**
 * A destination's passphrase: the committed one (age-encrypted, decrypted in memory with the
 * machine's key), or one generated here (`<secretsDir>/<destination>.passphrase`, 0600) before
 * its repository is made.
 */

export type SecretAction = BaseAction & { op: 'secret.create'; kind: 'secret'; destination: string };

/** The destination needs a generated passphrase and its file is not there. */
export function missingPassphrase(destination: DesiredDestination, { declared, actual }: PlanInput): boolean {
  return (
    declared.has(resourceId('secret', destination.name)) &&
    committedPassphrase(destination) === undefined &&
    !actual.secrets[destination.name]?.passphrase
  );
}

/**
 * keyfile modes: which repository the committed key is of, next to the one this machine exported
 * (apply renews that export when it makes the repository anew). No borg process.
 */
async function observeCommittedKey(
  destination: DesiredDestination,
  paths: HostPaths,
  exportedKey: boolean,
): Promise<Pick<ObservedSecret, 'committedKey' | 'exportedKeyRepository'>> {
  const committed = borgTarget(destination, paths).key;
  if (committed === undefined) return {};
  const [named, exported] = await Promise.all([
    committedKeyRepository(committed),
    // observeSecret found no export (its lstat): nothing to read
    exportedKey ? exportedKeyRepositoryId(exportedKeyPath(paths.secretsDir, destination.name)) : undefined,
  ]);
  return {
    committedKey: named.ok ? { repository: named.id } : { unreadable: named.reason },
    ...(exported === undefined ? {} : { exportedKeyRepository: exported }),
  };
}

/** The errors of a committed passphrase this machine cannot use; true when there is one. */
function committedErrors(destination: DesiredDestination, input: PlanInput, out: PlanOutput): boolean {
  if (repositoryVerdict(destination, input.actual) !== 'blocked') return false;
  const name = destination.name;
  const { paths } = input.options;
  const committedPath = secretFilePath(input.desired.machine, name, 'passphrase');
  const localPath = join(paths.secretsDir, `${name}.passphrase`);
  const message =
    input.actual.secrets[name]?.committed === 'unreadable'
      ? `${name}: this machine's key (${paths.sshKey}) cannot decrypt ${committedPath}: commit its key (\`borgops keys show\`) as machines/${input.desired.machine}/borgbackup.ssh.pub and have an admin run \`borgops secrets rekey\``
      : `${name}: ${committedPath} is not the passphrase generated on this machine (${localPath}), which its repository may have been made with; replace the committed file with \`borgops secrets adopt\`'s output, or delete ${localPath} if the committed one is right`;
  out.errors.push({ id: resourceId('secret', name), destination: name, message });
  return true;
}

export const secret: KindModule<
  SecretAction,
  { secrets: Record<string, ObservedSecret> },
  ResourceOf<'secret'>
> = {
  kind: 'secret',

  async observe({ context, desired }) {
    const secrets: Record<string, ObservedSecret> = {};
    for (const destination of desired.destinations) {
      const committed = committedPassphrase(destination);
      const observed = await observeSecret(
        context.paths.secretsDir,
        destination.name,
        committed === undefined ? undefined : { armored: committed.armored, identity: context.paths.sshKey },
      );
      secrets[destination.name] = {
        ...observed,
        ...(await observeCommittedKey(destination, context.paths, observed.key)),
      };
    }
    return { secrets };
  },

  planEach(destination, input, out) {
    if (committedErrors(destination, input, out)) return;
    const name = destination.name;
    const localPath = join(input.options.paths.secretsDir, `${name}.passphrase`);
    if (input.declared.has(resourceId('secret', name)) && committedPassphrase(destination) === undefined) {
      out.warnings.push(
        `${name}: its passphrase exists only on this machine (${localPath}) and dies with it: run \`borgops secrets adopt\` here and commit the output as ${secretFilePath(input.desired.machine, name, 'passphrase')} (or declare encryption.passCommand)`,
      );
    }
    if (!missingPassphrase(destination, input)) return;
    const verdict = repositoryVerdict(destination, input.actual);
    if (verdict === 'create') {
      out.actions.push({
        op: 'secret.create',
        id: resourceId('secret', name),
        kind: 'secret',
        destination: name,
        effect: 'additive',
        summary: `generate the passphrase of ${name} (${localPath}, 0600)`,
      });
    } else if (verdict === 'exists') {
      out.errors.push({
        id: resourceId('secret', name),
        destination: name,
        message: `${name}: the repository exists but its passphrase file ${localPath} is missing; restore it, commit it (\`borgops secrets adopt\` on the old machine, or an admin's copy), or declare encryption.passCommand`,
      });
    }
  },

  async apply(action, { context, record }) {
    await generatePassphrase(context.paths.secretsDir, action.destination);
    // the re-init guard tells "generated, no repository made yet" from "a repository's passphrase"
    await record(action.id, { kind: 'secret' });
  },

  preview: {
    added: (item) => ({
      summary: `generate the passphrase of ${item.destination} when its repository is created`,
    }),
    removed: (item) => ({
      summary: `${item.destination} no longer uses a generated passphrase (the file stays)`,
    }),
  },
};
