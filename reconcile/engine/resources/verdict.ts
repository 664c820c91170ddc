import type { DesiredDestination } from '../../../src/desired/types.js';
import type { ActualMachine } from '../model.js';

/*
 * What the plan does about one destination, shared by the kinds that plan it together (secret,
 * repository, key-export, retention): stop at an unusable committed passphrase, report the
 * repository's failure, create the repository, or use the one there.
 */

/** The committed passphrase borgops uses for a destination: none when a passCommand wins or nothing is encrypted. */
export function committedPassphrase(destination: DesiredDestination) {
  if (destination.encryption.mode === 'none' || destination.encryption.passCommand !== undefined)
    return undefined;
  return destination.committed?.passphrase;
}

export type Verdict = 'blocked' | 'failed' | 'create' | 'exists';

/** blocked: the committed passphrase does not decrypt or is not the local one (the secret kind reports it). */
export function repositoryVerdict(
  destination: DesiredDestination,
  actual: Pick<ActualMachine, 'repositories' | 'secrets'>,
): Verdict {
  const secret = actual.secrets[destination.name];
  if (
    committedPassphrase(destination) !== undefined &&
    (secret?.committed === 'unreadable' || secret?.differs === true)
  )
    return 'blocked';
  const repository = actual.repositories[destination.name];
  // a server's empty client directory looks like "not a repository" from the client; borg init refuses anything but empty
  const emptyServed =
    repository?.state === 'failed' &&
    repository.failure === 'not-a-repository' &&
    destination.server !== undefined;
  if (repository?.state === 'failed' && !emptyServed) return 'failed';
  if (repository?.state === 'missing' || emptyServed) return 'create';
  return 'exists';
}
