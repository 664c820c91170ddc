import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { BorgopsError } from '../errors.js';
import { hostFsError, isNotFound } from './fs-error.js';

/** The version of every state file this borgops writes and reads. */
export const STATE_VERSION = 1;

/** A file borgops writes and reads back: its name for people and its schema. */
export interface StateFile<T> {
  /** `ledger` in "<path> is not a borgops ledger (version 1); move it away". */
  what: string;
  schema: z.ZodType<T>;
  /** What to do about a wrong file (default `move it away`). */
  remedy?: string;
}

/**
 * The schema of a state file of version 1. The previous release wrote some files (locks) with no
 * `version` at all: a file without one is read as version 1, so existing state directories keep
 * working. Keys the schema does not name are dropped on read (a new field goes in the schema).
 */
export function versioned<Shape extends z.ZodRawShape>(shape: Shape) {
  return z.object({ version: z.literal(STATE_VERSION).default(STATE_VERSION), ...shape });
}

function versionOf(value: unknown): unknown {
  return typeof value === 'object' && value !== null && 'version' in value ? value.version : undefined;
}

function problems(error: z.ZodError): string[] {
  const lines = error.issues.map(
    (issue) => `${issue.path.length === 0 ? '(top)' : issue.path.join('.')}: ${issue.message}`,
  );
  return lines.length > 5 ? [...lines.slice(0, 5), `… and ${lines.length - 5} more`] : lines;
}

/** Checks a value read from `path` against a state file's schema; a wrong shape is a named error. */
export function parseStateFile<T>(path: string, file: StateFile<T>, value: unknown): T {
  const version = versionOf(value);
  if (version !== undefined && version !== STATE_VERSION) {
    throw new BorgopsError(
      'E_HOST',
      `${path} is not a borgops ${file.what} (version ${STATE_VERSION}); ${file.remedy ?? 'move it away'}`,
      { details: [`version: ${JSON.stringify(version)}, this borgops reads version ${STATE_VERSION} only`] },
    );
  }
  const parsed = file.schema.safeParse(value);
  if (!parsed.success) {
    throw new BorgopsError(
      'E_HOST',
      `${path} is not a borgops ${file.what} (version ${STATE_VERSION}); ${file.remedy ?? 'move it away'}`,
      {
        details: problems(parsed.error),
        cause: parsed.error,
      },
    );
  }
  return parsed.data;
}

/** The text of a file, or `undefined` when it does not exist. Any other read error is an error. */
export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error: unknown) {
    if (isNotFound(error)) return undefined;
    throw hostFsError('read', path, error);
  }
}

/**
 * A state file borgops owns, parsed with its schema, or `undefined` when it does not exist
 * (ENOENT only). A corrupt or wrong-shaped file is an error, never silently reset.
 */
export async function readStateFile<T>(path: string, file: StateFile<T>): Promise<T | undefined> {
  const text = await readTextIfExists(path);
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error: unknown) {
    throw new BorgopsError(
      'E_HOST',
      `${path} is not a borgops ${file.what} (not valid JSON); ${file.remedy ?? 'move it away to start over'}`,
      { details: [error instanceof Error ? error.message : String(error)], cause: error },
    );
  }
  return parseStateFile(path, file, value);
}
