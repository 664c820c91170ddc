import { readdir } from 'node:fs/promises';
import { z } from 'zod';
import { type Diagnosis, diagnose } from './classify.js';
import { FAILURE_TEXT } from './errors.js';
import { localRepositoryPath } from './location.js';
import type { BorgOutcome } from './run.js';
import type { Archive, BorgTarget, RepositoryObservation } from './types.js';

// Permissive: borg adds fields between versions; we read these three.
const ListOutput = z.looseObject({
  archives: z.array(z.looseObject({ name: z.string(), id: z.string(), start: z.string() })),
});

const UTC_START = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/**
 * A start borg printed in UTC as borg would print it in this process's time zone, plus its
 * instant. Anything unexpected is passed through unchanged, for retention to refuse by name.
 */
export function fromUtcStart(start: string): { start: string; epochMicros?: number } {
  const match = UTC_START.exec(start);
  if (match === null) return { start };
  const [, year, month, day, hour, minute, second, fraction] = match;
  const ms = Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
  );
  // a month 13 or an hour 99 is no time borg prints: Date.UTC would roll it over into another
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 19) !== start.slice(0, 19)) return { start };
  const local = new Date(ms);
  const wall =
    `${pad(local.getFullYear(), 4)}-${pad(local.getMonth() + 1)}-${pad(local.getDate())}` +
    `T${pad(local.getHours())}:${pad(local.getMinutes())}:${pad(local.getSeconds())}`;
  const micros = fraction === undefined ? 0 : Number(fraction.padEnd(6, '0'));
  return {
    start: fraction === undefined ? wall : `${wall}.${fraction}`,
    epochMicros: ms * 1000 + micros,
  };
}

/** `borg list --json`'s archives; `utc` when borg ran with TZ=UTC (starts become local + instant). */
export function parseArchives(stdout: string, utc = false): Archive[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  const parsed = ListOutput.safeParse(value);
  if (!parsed.success) return undefined;
  return parsed.data.archives.map(({ name, id, start }) =>
    utc ? { name, id, ...fromUtcStart(start) } : { name, id, start },
  );
}

/** True only for an existing, empty, local directory: `borg init` accepts exactly that. */
async function isEmptyLocalDirectory(repo: string): Promise<boolean> {
  const path = localRepositoryPath(repo);
  if (path === undefined) return false;
  try {
    return (await readdir(path)).length === 0;
  } catch {
    return false;
  }
}

export function failureMessage(destination: string, diagnosis: Diagnosis): string {
  return `${destination}: ${FAILURE_TEXT[diagnosis.failure]}: ${diagnosis.message}`;
}

/**
 * The observation of one `borg list --json`. `missing` only when borg says the repository does
 * not exist, or for a local empty directory (borg calls it invalid, init accepts it). A lock,
 * a wrong passphrase, ssh, a file or a foreign directory are failures, never `missing`: that
 * is the NixOS flaw (any list failure triggers init) this avoids.
 */
export async function observation(target: BorgTarget, outcome: BorgOutcome): Promise<RepositoryObservation> {
  if (outcome.exitCode === 0 || outcome.exitCode === 1) {
    const archives = parseArchives(outcome.stdout, true);
    if (archives !== undefined) return { state: 'present', archives };
    return {
      state: 'failed',
      failure: 'other',
      message: `${target.destination}: borg list printed no archive list (exit code ${outcome.exitCode})`,
    };
  }
  const diagnosis = diagnose(outcome.exitCode, outcome.messages, outcome.text, outcome.ssh);
  if (diagnosis.failure === 'missing') return { state: 'missing' };
  const invalid =
    diagnosis.msgid === undefined ? outcome.exitCode === 15 : diagnosis.msgid.endsWith('InvalidRepository');
  if (invalid && (await isEmptyLocalDirectory(target.repo))) return { state: 'missing' };
  const failure = diagnosis.failure === 'aborted' ? 'other' : diagnosis.failure;
  return { state: 'failed', failure, message: failureMessage(target.destination, diagnosis) };
}
