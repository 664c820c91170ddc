import { parseBorgSize } from '../../src/borg/size.js';
import type { Declarations } from '../../src/config/model.js';
import { compile } from '../../src/desired/compile.js';
import type { DesiredDestination, ServedRepository } from '../../src/desired/types.js';
import { underlyingErrno } from '../../src/host/fs-error.js';
import { type HostPaths, underRoot } from '../../src/host/paths.js';
import {
  nextRecord,
  readServedHistory,
  recordServedSamples,
  type ServedHistory,
  type ServedSample,
} from '../../src/host/served-history.js';
import { observeServedRepository } from '../../src/host/served-watch.js';
import { mapBounded } from '../../src/util/pool.js';
import { maxAgeOf } from './health.js';

/**
 * A served client repository as its server sees it, with no client passphrase: the freshness
 * signal a broken or compromised client cannot silence.
 */
export interface ServedHealth {
  instance: string;
  client: string;
  /** The declared path (`<directory>/<client>`). */
  path: string;
  appendOnly: boolean;
  quota?: string;
  quotaBytes?: number;
  initialized: boolean;
  createdAt?: string;
  lastWrite?: string;
  transaction?: number;
  bytes: number;
  quotaUseBytes?: number;
  /** Size change between the two newest distinct observations (negative: it shrank). */
  growthBytes?: number;
  /** The repository got smaller since the previous observation (an admin's compact, or a compromised client's prune on a repository that is not append-only). */
  shrunk: boolean;
  pendingDeletions?: number;
  compactableBytes?: number;
  /** The client's effective maxAge for this server (declared, or twice its schedule interval). */
  maxAgeSeconds?: number;
  /** No write within maxAge (counted from the repository's creation when it was never written). */
  stale: boolean;
  problem?: string;
}

/** The client's destination that is this server, compiled from the same declarations. */
function clientDestination(
  declarations: Declarations,
  server: string,
  served: ServedRepository,
): DesiredDestination | undefined {
  try {
    return compile(declarations, served.client).destinations.find(
      (d) => d.server === server && d.instance === served.instance,
    );
  } catch {
    return undefined;
  }
}

export interface ServedHealthInput {
  paths: HostPaths;
  server: string;
  declarations: Declarations;
  served: readonly ServedRepository[];
  now: Date;
  /** Keep this observation in `served.json` (growth and shrinks are measured between recorded ones). */
  record: boolean;
}

export async function servedHealth(input: ServedHealthInput): Promise<ServedHealth[]> {
  const { paths, now } = input;
  if (input.served.length === 0) return [];
  const history: ServedHistory = await readServedHistory(paths.served);
  const observed = await mapBounded(input.served, 8, async (served) => ({
    served,
    observation: await observeServedRepository(underRoot(paths.root, served.path)),
  }));
  // clients usually share a schedule, and estimating a calendar's interval is the costly part
  const maxAges = new Map<string, number | undefined>();
  const maxAgeFor = (destination: DesiredDestination): number | undefined => {
    const key = JSON.stringify([destination.maxAgeSeconds, destination.startAt, destination.staggerSeconds]);
    if (!maxAges.has(key)) maxAges.set(key, maxAgeOf(destination, now));
    return maxAges.get(key);
  };
  // served.json is written only when a repository changed: /metrics is scraped every few seconds
  const changed = new Map<string, ServedSample>();
  const results = observed.map(({ served, observation }): ServedHealth => {
    const destination = clientDestination(input.declarations, input.server, served);
    const maxAge = destination === undefined ? undefined : maxAgeFor(destination);
    const known = history.repositories[served.path];
    const sample: ServedSample = {
      at: now.toISOString(),
      bytes: observation.bytes,
      ...(observation.transaction === undefined ? {} : { transaction: observation.transaction }),
    };
    const record = nextRecord(known, sample);
    if (observation.exists && record !== known) changed.set(served.path, sample);
    const growth = record.previous === undefined ? undefined : record.current.bytes - record.previous.bytes;
    const since = observation.lastWrite ?? observation.createdAt;
    const quotaBytes = served.quota === undefined ? undefined : parseBorgSize(served.quota);
    return {
      instance: served.instance,
      client: served.client,
      path: served.path,
      appendOnly: served.appendOnly,
      ...(served.quota === undefined ? {} : { quota: served.quota }),
      ...(quotaBytes === undefined ? {} : { quotaBytes }),
      initialized: observation.initialized,
      ...(observation.createdAt === undefined ? {} : { createdAt: observation.createdAt }),
      ...(observation.lastWrite === undefined ? {} : { lastWrite: observation.lastWrite }),
      ...(observation.transaction === undefined ? {} : { transaction: observation.transaction }),
      bytes: observation.bytes,
      ...(observation.quotaUseBytes === undefined ? {} : { quotaUseBytes: observation.quotaUseBytes }),
      ...(growth === undefined ? {} : { growthBytes: growth }),
      shrunk: growth !== undefined && growth < 0,
      ...(observation.pendingDeletions === undefined
        ? {}
        : { pendingDeletions: observation.pendingDeletions }),
      ...(observation.compactableBytes === undefined
        ? {}
        : { compactableBytes: observation.compactableBytes }),
      ...(maxAge === undefined ? {} : { maxAgeSeconds: maxAge }),
      stale: maxAge !== undefined && since !== undefined && now.getTime() - Date.parse(since) > maxAge * 1000,
      ...(observation.problem === undefined
        ? observation.exists
          ? {}
          : { problem: 'the repository directory does not exist (apply creates it)' }
        : { problem: observation.problem }),
    };
  });
  if (input.record && changed.size > 0) {
    try {
      await recordServedSamples(paths.served, changed);
    } catch (error: unknown) {
      // a status read by a user who cannot write the state directory still reports; growth waits for the agent
      // (the write's error is borgops's, naming the file; the errno is its cause)
      const code = underlyingErrno(error);
      if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') throw error;
    }
  }
  return results;
}
