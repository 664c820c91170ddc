import { z } from 'zod';

/** One entry of an archive as `borg list --json-lines` prints it, with the keys the drill asks for. */
export interface ArchiveItem {
  /** borg's type letter: `-` regular file, `d` directory, `l` symlink, `h` hard link, … */
  type: string;
  /** The path in the archive (`srv/app/db`), relative. */
  path: string;
  size: number;
  /** sha256 of the content, hex; empty for anything but files. */
  sha256: string;
  /** A symlink's target as stored (absolute or relative); empty for anything else. */
  linktarget?: string;
}

/** The --format keys a drill needs; with --json-lines borg adds them to each line. */
export const ITEM_FORMAT = '{type}{path}{size}{sha256}';

/** The keys a restore checks before extracting (where each member lands): metadata only. */
export const SHAPE_FORMAT = '{type}{path}{linktarget}';

// Permissive: borg adds keys between versions; these four are what a drill compares.
const ItemLine = z.looseObject({
  type: z.string(),
  path: z.string(),
  size: z.number().optional(),
  sha256: z.string().optional(),
  linktarget: z.string().optional(),
});

/** Parses `borg list --json-lines` output; a line that is not an item is an error naming it. */
export function parseItems(stdout: string): ArchiveItem[] {
  const items: ArchiveItem[] = [];
  for (const [index, line] of stdout.split('\n').entries()) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`borg list line ${index + 1} is not JSON`);
    }
    const parsed = ItemLine.safeParse(value);
    if (!parsed.success) throw new Error(`borg list line ${index + 1} is not an archive item`);
    const { type, path, size, sha256, linktarget } = parsed.data;
    items.push({
      type,
      path,
      size: size ?? 0,
      sha256: sha256 ?? '',
      ...(linktarget ? { linktarget } : {}),
    });
  }
  return items;
}

// `borg info --json REPO::ARCHIVE`: the archive's original size, for the drill's free-space check.
const InfoOutput = z.looseObject({
  archives: z.array(
    z.looseObject({
      name: z.string(),
      stats: z.looseObject({ original_size: z.number(), nfiles: z.number().optional() }),
    }),
  ),
});

export interface ArchiveInfo {
  name: string;
  originalSize: number;
  files?: number;
}

export function parseArchiveInfo(stdout: string): ArchiveInfo | undefined {
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  const parsed = InfoOutput.safeParse(value);
  const archive = parsed.success ? parsed.data.archives[0] : undefined;
  if (archive === undefined) return undefined;
  return {
    name: archive.name,
    originalSize: archive.stats.original_size,
    ...(archive.stats.nfiles === undefined ? {} : { files: archive.stats.nfiles }),
  };
}

/** What `borg check` found: nothing (ok), or the problems it reported. */
export interface CheckOutcome {
  ok: boolean;
  /** borg's error lines (a corrupted segment, a missing chunk, …). */
  problems: string[];
}

export interface CheckOptions {
  /** Only archives whose name starts with this (this machine and destination's): `--glob-archives '<prefix>*'`. */
  archivePrefix: string;
  verifyData: boolean;
  signal?: AbortSignal;
}
