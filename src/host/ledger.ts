import { z } from 'zod';
import { RESOURCE_ORDER } from '../desired/compile.js';
import type { ResourceKind } from '../desired/types.js';
import { writeJsonAtomic } from './atomic.js';
import { readStateFile, type StateFile, versioned } from './json-file.js';

const Kind = z.custom<ResourceKind>(
  (value) => typeof value === 'string' && (RESOURCE_ORDER as readonly string[]).includes(value),
  { message: `expected a resource kind: ${RESOURCE_ORDER.join(', ')}` },
);

/** What borgops created or last applied for one resource (Flux's inventory, per machine). */
export const LedgerEntry = z.object({
  kind: Kind,
  /** Hash of the desired spec last applied; unchanged specs need no borg process to observe. */
  spec: z.string().optional(),
  /** Files borgops wrote for the resource, deleted when the resource is no longer declared. */
  paths: z.array(z.string()).optional(),
  /** authorized_keys lines borgops wrote (lines it did not write are never touched). */
  lines: z.array(z.string()).optional(),
  /** The scheduler backend a schedule was installed with. */
  backend: z.string().optional(),
  appliedAt: z.string(),
  commit: z.string().optional(),
});
export type LedgerEntry = z.infer<typeof LedgerEntry>;

/** A destination's freshness clock: it starts at the first apply that declared it, never at a later one. */
export const DestinationClock = z.object({ firstAppliedAt: z.string() });
export type DestinationClock = z.infer<typeof DestinationClock>;

export const Ledger = versioned({
  machine: z.string().optional(),
  entries: z.record(z.string(), LedgerEntry).default({}),
  /** Per declared destination: when it was first applied (the "never backed up" clock). */
  destinations: z.record(z.string(), DestinationClock).optional(),
});
export type Ledger = z.infer<typeof Ledger>;

const ledgerFile: StateFile<Ledger> = { what: 'ledger', schema: Ledger };

export function emptyLedger(): Ledger {
  return { version: 1, entries: {} };
}

export async function readLedger(path: string): Promise<Ledger> {
  return (await readStateFile(path, ledgerFile)) ?? emptyLedger();
}

export async function writeLedger(path: string, ledger: Ledger): Promise<void> {
  const entries = Object.fromEntries(
    Object.entries(ledger.entries).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  await writeJsonAtomic(path, { ...ledger, entries });
}
