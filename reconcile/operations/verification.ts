import type { HookRun } from '../../src/host/run-hook.js';
import { updateRun, type VerificationRecord } from '../../src/host/runs.js';
import type { DeliveryReport } from '../../src/notify/notifier.js';

/*
 * The results of `borgops check` and `borgops drill`: what the commands print (--json), what
 * runs.json records per destination, and what a notifier sends. One shape for both kinds.
 */

export type VerificationKind = 'check' | 'drill';

/**
 * Why a check or drill did not pass. borg's own classes (`unreachable`, `locked`,
 * `passphrase`, `missing`, `aborted`, …) and ours:
 * - `corrupt`: borg found damage (check errors, an integrity error while reading)
 * - `no-archive`: the destination holds no archive of this machine
 * - `stale`: the newest archive is older than the destination's maxAge
 * - `space`: the scratch directory's filesystem has less free space than the archive's size
 * - `unsafe-scratch`: the scratch directory overlaps a live state folder
 * - `unsafe-archive`: borg extract would write an item through a symlink it restores (outside the scratch directory)
 * - `mismatch`: an extracted file's size or sha256 differs from what borg recorded
 * - `verify-script`: a state's verifyScript failed
 */
export type VerificationFailureClass =
  | 'corrupt'
  | 'no-archive'
  | 'stale'
  | 'space'
  | 'unsafe-scratch'
  | 'unsafe-archive'
  | 'mismatch'
  | 'verify-script'
  | (string & {});

export interface VerificationFailure {
  class: VerificationFailureClass;
  message: string;
}

/** One state of a drill: its folders extracted, files verified, verifyScript run. */
export interface DrillStateResult {
  state: string;
  folders: string[];
  status: 'passed' | 'failed' | 'skipped';
  files: number;
  bytes: number;
  /** The verifyScript run (`verify-<state>`), when the state declares one. */
  script?: HookRun;
  warnings: string[];
  failure?: VerificationFailure;
}

/** The result of one check or drill of one destination. */
export interface VerificationResult {
  kind: VerificationKind;
  machine: string;
  destination: string;
  repo: string;
  ok: boolean;
  startedAt: string;
  durationSeconds: number;
  /** check: whether it read every chunk. */
  verifyData?: boolean;
  /** check: problems borg reported. */
  problems?: string[];
  /** drill: the archive restored, and its time as borg printed it. */
  archive?: string;
  archiveStart?: string;
  /** drill: regular files and bytes verified against borg's record. */
  files?: number;
  bytes?: number;
  states?: DrillStateResult[];
  failure?: VerificationFailure;
}

/** A `borgops check` or `borgops drill` run over a machine's destinations. */
export interface VerificationRun {
  kind: VerificationKind;
  machine: string;
  commit?: string;
  ok: boolean;
  interrupted: boolean;
  results: VerificationResult[];
  /** What the receivers that want `verification` answered (failures are also counted in /metrics). */
  notifications: DeliveryReport[];
}

/**
 * Records a result in runs.json under its destination (`check` or `drill`), keeping the last
 * success. Returns the record it replaced (a pass after a failure is a recovery).
 */
export async function recordVerification(
  path: string,
  result: VerificationResult,
): Promise<VerificationRecord | undefined> {
  let replaced: VerificationRecord | undefined;
  await updateRun(path, result.destination, (previous) => {
    const before = previous?.[result.kind];
    replaced = before;
    const record: VerificationRecord = {
      lastAttempt: result.startedAt,
      ok: result.ok,
      durationSeconds: result.durationSeconds,
    };
    const lastSuccess = result.ok ? result.startedAt : before?.lastSuccess;
    if (lastSuccess !== undefined) record.lastSuccess = lastSuccess;
    if (result.archive !== undefined) record.archive = result.archive;
    if (result.files !== undefined) record.files = result.files;
    if (result.bytes !== undefined) record.bytes = result.bytes;
    if (result.verifyData !== undefined) record.verifyData = result.verifyData;
    const dataSuccess =
      result.ok && result.verifyData === true ? result.startedAt : before?.lastVerifyDataSuccess;
    if (dataSuccess !== undefined) record.lastVerifyDataSuccess = dataSuccess;
    if (result.failure) {
      record.failure = result.failure.class;
      record.error = result.failure.message;
    }
    return { ...previous, [result.kind]: record };
  });
  return replaced;
}
