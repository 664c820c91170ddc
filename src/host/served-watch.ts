import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BorgopsError } from '../errors.js';
import { type Packed, unpack } from '../util/msgpack.js';
import { errnoCode as errno } from './fs-error.js';
import { readSmall } from './small-file.js';

/**
 * What a server sees of one client's borg 1.x repository without any passphrase and without
 * reading archive data: directory listings and file metadata, plus the repository's own small
 * metadata files (`config`, `hints.N`). Symlinks are never followed: the directory belongs to the
 * borg user, whom a server does not trust.
 */
export interface ServedObservation {
  exists: boolean;
  /** Why the path cannot be observed (not a directory, a symlink, unreadable). */
  problem?: string;
  /** borg has initialized a repository here (`config` exists). */
  initialized: boolean;
  /** When the directory was made (birth time where the filesystem has one, else its ctime). */
  createdAt?: string;
  /** The newest committed write: `index.N` / `hints.N` / `integrity.N` and the newest segment. */
  lastWrite?: string;
  /** The newest transaction number N (the suffix of `index.N`). */
  transaction?: number;
  /** Apparent size of every regular file in the repository. */
  bytes: number;
  segments: number;
  /** From the repository's `config` (`append_only = 1`). */
  appendOnly?: boolean;
  /** What borg counts against `--storage-quota` (`storage_quota_use` in `hints.N`). */
  quotaUseBytes?: number;
  /**
   * Objects deleted (by a prune or delete) whose data is still in the segments until someone
   * runs `borg compact` (`shadow_index` of `hints.N`, the manifest excluded). In an append-only
   * repository only the server's admin can compact, so these are the client's pending deletions.
   */
  pendingDeletions?: number;
  /** Bytes a `borg compact` would free (`compact` of `hints.N`). */
  compactableBytes?: number;
}

const maxMetadataFile = 16 * 1024 * 1024;
const manifestId = '\0'.repeat(32);

function get(map: Packed, key: string): Packed | undefined {
  return map instanceof Map ? map.get(key) : undefined;
}

/** The parts of `hints.N` a server reports: quota use, pending deletions, compactable bytes. */
export function readHints(
  content: Uint8Array,
): Pick<ServedObservation, 'quotaUseBytes' | 'pendingDeletions' | 'compactableBytes'> {
  const hints = unpack(content);
  const out: Pick<ServedObservation, 'quotaUseBytes' | 'pendingDeletions' | 'compactableBytes'> = {};
  const quota = get(hints, 'storage_quota_use');
  if (typeof quota === 'number') out.quotaUseBytes = quota;
  const shadow = get(hints, 'shadow_index');
  if (shadow instanceof Map)
    out.pendingDeletions = [...shadow.keys()].filter((id) => id !== manifestId).length;
  const compact = get(hints, 'compact');
  if (compact instanceof Map) {
    out.compactableBytes = [...compact.values()].reduce<number>(
      (sum, value) => sum + (typeof value === 'number' ? value : 0),
      0,
    );
  }
  return out;
}

interface Listing {
  bytes: number;
  segments: number;
  newestSegment?: number;
}

/**
 * What the agent keeps between observations of a repository, so a scrape every few seconds does
 * not stat every segment and parse the hints again: the sizes of closed segments (borg never
 * writes to a segment once a newer one exists; compaction writes new ones and deletes old ones)
 * and the facts of the last hints file read.
 */
interface RepositoryMemo {
  closedSegments: Map<string, number>;
  hints?: { key: string; facts: ReturnType<typeof readHints> };
}
const memos = new Map<string, RepositoryMemo>();

async function segmentsOf(data: string, memo: RepositoryMemo): Promise<Listing> {
  const listing: Listing = { bytes: 0, segments: 0 };
  const dirs = await readdir(data, { withFileTypes: true }).catch((error: unknown) => {
    if (errno(error) === 'ENOENT') return [];
    throw error;
  });
  const files: { path: string; segment?: number }[] = [];
  for (const dir of dirs) {
    if (!dir.isDirectory()) continue;
    for (const entry of await readdir(join(data, dir.name), { withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const path = join(data, dir.name, entry.name);
      files.push(/^\d+$/.test(entry.name) ? { path, segment: Number(entry.name) } : { path });
    }
  }
  const newest = files.reduce((max, f) => Math.max(max, f.segment ?? -1), -1);
  const closed = new Map<string, number>();
  for (const file of files) {
    const isClosed = file.segment !== undefined && file.segment < newest;
    let size = isClosed ? memo.closedSegments.get(file.path) : undefined;
    if (size === undefined) {
      const info = await lstat(file.path);
      size = info.size;
      if (file.segment === newest) listing.newestSegment = info.mtimeMs;
    }
    if (isClosed) closed.set(file.path, size);
    listing.bytes += size;
    if (file.segment !== undefined) listing.segments++;
  }
  memo.closedSegments = closed;
  return listing;
}

/** The facts of `hints.<transaction>`, read again only when the file changed since the last observation. */
async function hintsOf(
  path: string,
  transaction: number,
  stats: ReadonlyMap<string, { size: number; mtimeMs: number }>,
  memo: RepositoryMemo,
): Promise<ReturnType<typeof readHints>> {
  const name = `hints.${transaction}`;
  const stat = stats.get(name);
  const key = stat === undefined ? undefined : `${name}:${stat.size}:${stat.mtimeMs}`;
  if (key !== undefined && memo.hints?.key === key) return memo.hints.facts;
  const content = await readSmall(join(path, name), maxMetadataFile);
  let facts: ReturnType<typeof readHints> = {};
  if (content !== undefined) {
    try {
      facts = readHints(content);
    } catch {
      // a hints file borg is rewriting or one of another format: report what the listing shows
      return {};
    }
  }
  if (key !== undefined) memo.hints = { key, facts };
  else delete memo.hints;
  return facts;
}

export async function observeServedRepository(path: string): Promise<ServedObservation> {
  let info: Awaited<ReturnType<typeof lstat>>;
  try {
    info = await lstat(path);
  } catch (error: unknown) {
    if (errno(error) === 'ENOENT') return { exists: false, initialized: false, bytes: 0, segments: 0 };
    throw new BorgopsError('E_HOST', `cannot observe the served repository ${path}`, { cause: error });
  }
  const created = new Date(info.birthtimeMs > 0 ? info.birthtimeMs : info.ctimeMs).toISOString();
  if (!info.isDirectory()) {
    const what = info.isSymbolicLink() ? 'a symlink' : 'not a directory';
    return { exists: true, problem: `${path} is ${what}`, initialized: false, bytes: 0, segments: 0 };
  }
  const entries = await readdir(path, { withFileTypes: true });
  const memo = memos.get(path) ?? { closedSegments: new Map() };
  memos.set(path, memo);
  let bytes = 0;
  let newest: number | undefined;
  let transaction: number | undefined;
  const stats = new Map<string, { size: number; mtimeMs: number }>();
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const file = await lstat(join(path, entry.name));
    stats.set(entry.name, file);
    bytes += file.size;
    const match = /^(index|hints|integrity)\.(\d+)$/.exec(entry.name);
    if (!match) continue;
    newest = Math.max(newest ?? 0, file.mtimeMs);
    transaction = Math.max(transaction ?? 0, Number(match[2]));
  }
  const segments = await segmentsOf(join(path, 'data'), memo);
  if (segments.newestSegment !== undefined) newest = Math.max(newest ?? 0, segments.newestSegment);
  const config = (await readSmall(join(path, 'config'), 64 * 1024))?.toString('utf8');
  const fromHints = transaction === undefined ? {} : await hintsOf(path, transaction, stats, memo);
  return {
    exists: true,
    initialized: config !== undefined,
    createdAt: created,
    ...(newest === undefined ? {} : { lastWrite: new Date(newest).toISOString() }),
    ...(transaction === undefined ? {} : { transaction }),
    bytes: bytes + segments.bytes,
    segments: segments.segments,
    ...(config === undefined ? {} : { appendOnly: /^\s*append_only\s*=\s*1\s*$/m.test(config) }),
    ...fromHints,
  };
}
