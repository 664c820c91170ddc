import { join } from 'node:path';
import { z } from 'zod';
import { type LoadResult, loadDeclarations } from '../config/load.js';
import { BorgopsError } from '../errors.js';
import { writeJsonAtomic } from './atomic.js';
import { readStateFile, type StateFile, versioned } from './json-file.js';

/** The declarations last applied on this machine: what scheduled backups run against, without git. */
export const AppliedSnapshot = versioned({
  commit: z.string().optional(),
  appliedAt: z.string(),
  /** Declaration files by path, as committed. */
  files: z.record(z.string(), z.string()),
});
export type AppliedSnapshot = z.infer<typeof AppliedSnapshot>;

const snapshotFile: StateFile<AppliedSnapshot> = { what: 'applied snapshot', schema: AppliedSnapshot };

function snapshotPath(appliedDir: string): string {
  return join(appliedDir, 'declarations.json');
}

export async function saveApplied(
  appliedDir: string,
  commit: string | undefined,
  files: ReadonlyMap<string, string>,
): Promise<void> {
  const snapshot: AppliedSnapshot = {
    version: 1,
    ...(commit === undefined ? {} : { commit }),
    appliedAt: new Date().toISOString(),
    files: Object.fromEntries([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  };
  await writeJsonAtomic(snapshotPath(appliedDir), snapshot);
}

export async function readApplied(appliedDir: string): Promise<AppliedSnapshot | undefined> {
  return readStateFile(snapshotPath(appliedDir), snapshotFile);
}

/** The applied declarations, validated again (they were valid when applied). */
export async function loadApplied(
  appliedDir: string,
): Promise<{ snapshot: AppliedSnapshot; result: LoadResult }> {
  const snapshot = await readApplied(appliedDir);
  if (!snapshot) {
    throw new BorgopsError(
      'E_CONFIG',
      `no applied declarations in ${appliedDir}; run \`borgops apply\` first`,
    );
  }
  return { snapshot, result: loadDeclarations(new Map(Object.entries(snapshot.files)), snapshot.commit) };
}
