import type { ResourceKind } from '../desired/types.js';
import { writeJsonAtomic } from './atomic.js';
import { readJsonFile } from './json-file.js';

/** What borgops created or last applied for one resource (Flux's inventory, per machine). */
export interface LedgerEntry {
  kind: ResourceKind;
  /** Hash of the desired spec last applied; unchanged specs need no borg process to observe. */
  spec?: string;
  /** Files borgops wrote for the resource, deleted when the resource is no longer declared. */
  paths?: string[];
  /** authorized_keys lines borgops wrote (lines it did not write are never touched). */
  lines?: string[];
  /** The scheduler backend a schedule was installed with. */
  backend?: string;
  appliedAt: string;
  commit?: string;
}

/** A destination's freshness clock: it starts at the first apply that declared it, never at a later one. */
export interface DestinationClock {
  firstAppliedAt: string;
}

export interface Ledger {
  version: 1;
  machine?: string;
  entries: Record<string, LedgerEntry>;
  /** Per declared destination: when it was first applied (the "never backed up" clock). */
  destinations?: Record<string, DestinationClock>;
}

export function emptyLedger(): Ledger {
  return { version: 1, entries: {} };
}

export async function readLedger(path: string): Promise<Ledger> {
  const ledger = await readJsonFile<Ledger>(path, emptyLedger());
  return {
    version: 1,
    ...(ledger.machine === undefined ? {} : { machine: ledger.machine }),
    entries: ledger.entries ?? {},
    ...(ledger.destinations === undefined ? {} : { destinations: ledger.destinations }),
  };
}

export async function writeLedger(path: string, ledger: Ledger): Promise<void> {
  const entries = Object.fromEntries(
    Object.entries(ledger.entries).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  await writeJsonAtomic(path, { ...ledger, entries });
}
