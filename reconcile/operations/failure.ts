import { isBorgError } from '../../src/borg/errors.js';
import type { RepositoryObservation } from '../../src/borg/types.js';
import { errorMessage } from '../../src/errors.js';

/** A failure as the backups commands report and record it: a message for people and its class. */
export interface Failure {
  message: string;
  /** borg's failure class (`missing`, `passphrase`, `locked`, `unreachable`, `aborted`, …) or ours. */
  failure: string;
}

const ADVICE: Readonly<Record<string, string>> = {
  missing: 'run `borgops apply` to initialize it',
  passphrase: "check the destination's passphrase file or encryption.passCommand",
};

function advised(message: string, failure: string): string {
  const advice = ADVICE[failure];
  return advice === undefined ? message : `${message}; ${advice}`;
}

export function failureOf(error: unknown): Failure {
  if (isBorgError(error))
    return { message: advised(error.shortMessage, error.failure), failure: error.failure };
  return { message: errorMessage(error), failure: 'other' };
}

/** A `borg list` that did not give archives, as a failure (a missing repository included). */
export function observationFailure(
  destination: string,
  observation: Exclude<RepositoryObservation, { state: 'present' }>,
): Failure {
  if (observation.state === 'missing') {
    return { message: advised(`${destination}: repository does not exist`, 'missing'), failure: 'missing' };
  }
  return { message: advised(observation.message, observation.failure), failure: observation.failure };
}
