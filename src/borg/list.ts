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

export function parseArchives(stdout: string): Archive[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  const parsed = ListOutput.safeParse(value);
  if (!parsed.success) return undefined;
  return parsed.data.archives.map(({ name, id, start }) => ({ name, id, start }));
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
    const archives = parseArchives(outcome.stdout);
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
