import type { DesiredDestination } from '../../src/desired/types.js';
import { hashOf } from '../../src/util/hash.js';

/**
 * What, if changed, means a repository must be looked at again (the ledger keeps the last applied
 * one): where it is, how it is encrypted, and how ssh reaches it (a new rsh or host key pin is
 * tried at plan time, not first at the next backup). Unset fields are left out, so the spec of a
 * plain destination is what it always was.
 */
export function repositorySpec(destination: DesiredDestination): string {
  return hashOf({
    repo: destination.repo,
    encryption: destination.encryption.mode,
    ...(destination.rsh === undefined ? {} : { rsh: destination.rsh }),
    ...(destination.knownHosts.length === 0 ? {} : { knownHosts: destination.knownHosts }),
  });
}

export function retentionSpec(destination: DesiredDestination): string {
  return hashOf({ keep: destination.keep, prefix: destination.archivePrefix });
}
