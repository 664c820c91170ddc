import { secretFilePath } from '../../../src/config/files.js';
import { resourceId } from '../../../src/desired/ids.js';
import type { DesiredDestination } from '../../../src/desired/types.js';
import { escrowKey, exportedKeyPath } from '../../../src/host/secrets.js';
import { borgTarget } from '../../../src/host/targets.js';
import type { BaseAction } from '../model.js';
import type { KindModule, PlanInput, PlanOutput, ResourceOf } from './kind.js';
import { missingPassphrase } from './secret.js';
import { repositoryVerdict } from './verdict.js';

/** The escrowed `borg key export` of a destination in a key mode (`<secretsDir>/<destination>.key`, 0600). */

export type KeyExportAction = BaseAction & {
  op: 'key-export.create';
  kind: 'key-export';
  destination: string;
  path: string;
};

function exportAction(name: string, input: PlanInput, why: string): KeyExportAction {
  const path = exportedKeyPath(input.options.paths.secretsDir, name);
  return {
    op: 'key-export.create',
    id: resourceId('key-export', name),
    kind: 'key-export',
    destination: name,
    path,
    effect: 'additive',
    summary: `borg key export ${name} to ${path} (0600)${why}`,
  };
}

/**
 * A repository that exists: export its key when the export is missing. keyfile modes: a missing
 * committed key, one this machine cannot decrypt, or one of another repository is a warning.
 */
function planExisting(destination: DesiredDestination, input: PlanInput, out: PlanOutput): void {
  const name = destination.name;
  if (input.declared.has(resourceId('key-export', name)) && !input.actual.secrets[name]?.key)
    out.actions.push(exportAction(name, input, ''));
  if (!destination.encryption.mode.startsWith('keyfile')) return;
  const file = secretFilePath(input.desired.machine, name, 'key');
  const adopt = `run \`borgops secrets adopt\` here and commit the output as ${file}`;
  if (destination.committed?.key === undefined) {
    out.warnings.push(`${name}: keyfile mode keeps the repository key only on this machine: ${adopt}`);
    return;
  }
  // borg opens the repository with this machine's own key meanwhile: only the way back is broken
  const secret = input.actual.secrets[name];
  const committed = secret?.committedKey;
  if (committed !== undefined && 'unreadable' in committed) {
    out.warnings.push(
      `${name}: ${committed.unreadable}: this machine opens its repository with its own key, but a restore from git after losing it would fail; ${adopt}`,
    );
  } else if (
    committed !== undefined &&
    secret?.exportedKeyRepository !== undefined &&
    committed.repository !== secret.exportedKeyRepository
  ) {
    const short = (id: string) => id.slice(0, 12);
    out.warnings.push(
      `${name}: ${file} is the key of another repository (${short(committed.repository)}…), not of this one (${short(secret.exportedKeyRepository)}…, made anew since): a restore from git after losing this machine would fail; ${adopt}`,
    );
  }
}

export const keyExport: KindModule<KeyExportAction, object, ResourceOf<'key-export'>> = {
  kind: 'key-export',

  planEach(destination, input, out) {
    const verdict = repositoryVerdict(destination, input.actual);
    if (verdict === 'blocked' || verdict === 'failed') return;
    if (verdict === 'exists') {
      if (!missingPassphrase(destination, input)) planExisting(destination, input, out);
      return;
    }
    // a new repository has a new key: an export already there is kept under its repository id
    if (!input.declared.has(resourceId('key-export', destination.name))) return;
    const kept = input.actual.secrets[destination.name]?.key;
    out.actions.push(
      exportAction(
        destination.name,
        input,
        kept ? '; the existing export is kept, named by its repository id' : '',
      ),
    );
  },

  async apply(action, { context, destinationOf, record }) {
    const destination = destinationOf(action.destination);
    await escrowKey(context.borg, borgTarget(destination, context.paths), action.path);
    await record(action.id, { kind: 'key-export', paths: [action.path] });
  },

  preview: {
    added: (item) => ({
      summary: `export the key of ${item.destination} once its repository exists (borg key export)`,
    }),
    removed: (item) => ({
      summary: `${item.destination} no longer has a key to export (the exported key stays)`,
    }),
  },
};
