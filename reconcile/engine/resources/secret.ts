import { join } from 'node:path';
import { resourceId } from '../../../src/desired/ids.js';
import type { DesiredDestination } from '../../../src/desired/types.js';
import { generatePassphrase, type ObservedSecret, observeSecret } from '../../../src/host/secrets.js';
import type { BaseAction } from '../model.js';
import type { KindModule, PlanInput, ResourceOf } from './kind.js';
import { repositoryVerdict } from './repository.js';

/** A destination's generated passphrase (`<secretsDir>/<destination>.passphrase`, 0600), made before its repository. */

export type SecretAction = BaseAction & { op: 'secret.create'; kind: 'secret'; destination: string };

/** The destination needs a generated passphrase and its file is not there. */
export function missingPassphrase(destination: DesiredDestination, { declared, actual }: PlanInput): boolean {
  return (
    declared.has(resourceId('secret', destination.name)) && !actual.secrets[destination.name]?.passphrase
  );
}

export const secret: KindModule<
  SecretAction,
  { secrets: Record<string, ObservedSecret> },
  ResourceOf<'secret'>
> = {
  kind: 'secret',

  async observe({ context, desired }) {
    const secrets: Record<string, ObservedSecret> = {};
    for (const destination of desired.destinations)
      secrets[destination.name] = await observeSecret(context.paths.secretsDir, destination.name);
    return { secrets };
  },

  planEach(destination, input, out) {
    if (!missingPassphrase(destination, input)) return;
    const name = destination.name;
    const file = join(input.options.paths.secretsDir, `${name}.passphrase`);
    const verdict = repositoryVerdict(destination, input.actual);
    if (verdict === 'create') {
      out.actions.push({
        op: 'secret.create',
        id: resourceId('secret', name),
        kind: 'secret',
        destination: name,
        effect: 'additive',
        summary: `generate the passphrase of ${name} (${file}, 0600)`,
      });
    } else if (verdict === 'exists') {
      out.errors.push({
        id: resourceId('secret', name),
        destination: name,
        message: `${name}: the repository exists but its passphrase file ${file} is missing; restore it, or declare encryption.passCommand`,
      });
    }
  },

  async apply(action, { context }) {
    await generatePassphrase(context.paths.secretsDir, action.destination);
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
