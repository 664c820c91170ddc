import type { DesiredDestination } from '../src/desired/types.js';
import { hashOf } from '../src/util/hash.js';

/** What, if changed, means a repository must be looked at again (the ledger keeps the last applied one). */
export function repositorySpec(destination: DesiredDestination): string {
  return hashOf({ repo: destination.repo, encryption: destination.encryption.mode });
}

export function retentionSpec(destination: DesiredDestination): string {
  return hashOf({ keep: destination.keep, prefix: destination.archivePrefix });
}
