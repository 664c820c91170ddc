import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { BorgopsError, errorMessage } from '../../src/errors.js';
import { orAbsent } from '../../src/host/fs-error.js';
import { compareStrings } from '../../src/util/compare.js';

/*
 * `--observed DIR`: what machines exported about their repositories, so a preview can name the
 * archives a retention change prunes. Every `*.json` file of DIR (or the one file given) is read;
 * each holds one of these (fields not named here are ignored, so richer exports still match):
 *
 *   a snapshot   {"machine": "jon", "observedAt": "2026-03-10T12:00:00Z",
 *                 "destinations": {"storagebox": {"repo": "…", "archives": [{"name": "…", "start": "…"}]}}}
 *                (`destinations` may also be a list of {"name", "repo", "archives"})
 *   an archive list   {"machine": "jon", "destination": "storagebox", "archives": [ … ]}
 *                (`borg list --json` output is one, without machine and destination)
 *   a list of either, or a list of archive rows {"machine", "destination", "name", "start"}
 *   a backups listing   {"machine", "backups": [{"destination", "repo", "archive", "start"}]}
 *                (`borgops backups list --json`: the machine's archive list)
 *   a status report   {"machine", "conditions": […], "destinations": [{"name", "repo", "archives": <count>}]}
 *                (`borgops status --json`: no archive names, so it only says which repositories
 *                exist; the machine's retention changes still ask for an archive list)
 *
 * An archive is {"name"} (or borg's {"archive"}) with an optional "start" (or borg's "time"):
 * borg's local time `YYYY-MM-DDTHH:MM:SS[.ffffff]`; without it the time in the archive's name
 * is used. Machine and destination labels are optional: a machine's archives on a destination
 * are always only those named `<machine>-<destination>-<time>` (ownArchives), whatever the labels.
 */

const Archive = z
  .looseObject({
    name: z.string().optional(),
    archive: z.string().optional(),
    start: z.string().optional(),
    time: z.string().optional(),
    machine: z.string().optional(),
    destination: z.string().optional(),
    repo: z.string().optional(),
  })
  .refine((archive) => archive.name !== undefined || archive.archive !== undefined, {
    error: 'an archive needs a name',
  });

const ArchiveList = z.looseObject({
  machine: z.string().optional(),
  destination: z.string().optional(),
  repo: z.string().optional(),
  observedAt: z.string().optional(),
  archives: z.array(Archive),
});

const DestinationEntry = z.looseObject({
  name: z.string().optional(),
  destination: z.string().optional(),
  repo: z.string().optional(),
  archives: z.array(Archive).default([]),
});

const Snapshot = z.looseObject({
  machine: z.string().optional(),
  observedAt: z.string().optional(),
  destinations: z.union([z.record(z.string(), DestinationEntry), z.array(DestinationEntry)]),
});

/** `borgops backups list --json`. */
const BackupsListing = z.looseObject({
  machine: z.string(),
  backups: z.array(
    z.looseObject({ destination: z.string(), repo: z.string(), archive: z.string(), start: z.string() }),
  ),
});

/** `borgops status --json`: archive counts, no names. */
const StatusReport = z.looseObject({
  machine: z.string(),
  conditions: z.array(z.unknown()),
  destinations: z.array(
    z.looseObject({
      name: z.string(),
      repo: z.string(),
      archives: z.number().optional(),
      lastSuccess: z.string().optional(),
    }),
  ),
});

/** borgops's own outputs, read by their shape before the generic ones. */
function ownOutput(json: unknown, out: Collected, machines: Set<string>): boolean {
  const listing = BackupsListing.safeParse(json);
  if (listing.success) {
    const { machine, backups } = listing.data;
    // the listing is the machine's whole archive list, as a snapshot is
    machines.add(machine);
    for (const backup of backups) {
      push(out, { name: backup.archive, start: backup.start }, machine, backup.destination, backup.repo);
    }
    return true;
  }
  const status = StatusReport.safeParse(json);
  if (status.success) {
    const { machine, destinations } = status.data;
    for (const destination of destinations) {
      // a repository with archives or a backup exists; the machine is not marked observed (no names)
      if ((destination.archives ?? 0) > 0 || destination.lastSuccess !== undefined)
        addRepo(out, machine, destination.name, destination.repo);
    }
    return true;
  }
  return false;
}

const Entry = z.union([Snapshot, ArchiveList, Archive]);
const ObservedFile = z.union([Snapshot, ArchiveList, z.array(Entry)]);

export interface ObservedArchive {
  name: string;
  /** borg's local start time; absent when only the name was exported. */
  start?: string;
}

interface Labelled extends ObservedArchive {
  machine: string;
  destination: string;
}

interface Collected {
  rows: Labelled[];
  /** Repositories seen per `machine\0destination`. */
  repos: Map<string, Set<string>>;
}

/** Observed archives indexed by machine and destination ('' when a file did not say). */
export interface ObservedFleet {
  /** Machines named by a snapshot, sorted. */
  machines: string[];
  /** Latest `observedAt` per machine (ISO 8601). */
  observedAt: Map<string, Date>;
  archives: Map<string, Map<string, Labelled[]>>;
  repos: Map<string, Set<string>>;
}

function nameOf(archive: z.infer<typeof Archive>): string | undefined {
  return archive.name ?? archive.archive;
}

function rowsOf(entry: z.infer<typeof Entry>, out: Collected): void {
  const snapshot = Snapshot.safeParse(entry);
  if (snapshot.success) {
    const { machine, destinations } = snapshot.data;
    const list = Array.isArray(destinations)
      ? destinations.map((d) => [d.name ?? d.destination ?? '', d] as const)
      : Object.entries(destinations);
    for (const [destination, value] of list) {
      if (value.repo !== undefined) addRepo(out, machine ?? '', destination, value.repo);
      for (const archive of value.archives) push(out, archive, machine, destination, value.repo);
    }
    return;
  }
  const list = ArchiveList.safeParse(entry);
  if (list.success) {
    const { machine, destination, repo, archives } = list.data;
    for (const archive of archives) push(out, archive, machine, destination, repo);
    return;
  }
  const archive = Archive.safeParse(entry);
  if (archive.success) push(out, archive.data, undefined, undefined, undefined);
}

function addRepo(out: Collected, machine: string, destination: string, repo: string): void {
  const key = `${machine}\0${destination}`;
  out.repos.set(key, (out.repos.get(key) ?? new Set()).add(repo));
}

function push(
  out: Collected,
  archive: z.infer<typeof Archive>,
  machine: string | undefined,
  destination: string | undefined,
  repo: string | undefined,
): void {
  const name = nameOf(archive);
  if (name === undefined) return;
  const start = archive.start ?? archive.time;
  const row: Labelled = {
    name,
    ...(start === undefined ? {} : { start }),
    machine: archive.machine ?? machine ?? '',
    destination: archive.destination ?? destination ?? '',
  };
  out.rows.push(row);
  const label = archive.repo ?? repo;
  if (label !== undefined) addRepo(out, row.machine, row.destination, label);
}

function snapshotsOf(value: z.infer<typeof ObservedFile>): { machine?: string; observedAt?: string }[] {
  const entries: unknown[] = Array.isArray(value) ? value : [value];
  return entries.flatMap((entry) => {
    const header = z.looseObject({ machine: z.string().optional(), observedAt: z.string().optional() });
    const parsed = header.safeParse(entry);
    return parsed.success ? [parsed.data] : [];
  });
}

/** Parses the observed files (name → JSON text), pure; throws E_USAGE naming a file that matches no shape. */
export function parseObserved(files: ReadonlyMap<string, string>): ObservedFleet {
  const collected: Collected = { rows: [], repos: new Map() };
  const machines = new Set<string>();
  const observedAt = new Map<string, Date>();
  for (const [file, text] of [...files].sort(([a], [b]) => compareStrings(a, b))) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error: unknown) {
      throw new BorgopsError('E_USAGE', `--observed: ${file} is not JSON: ${errorMessage(error)}`);
    }
    if (ownOutput(json, collected, machines)) continue;
    const parsed = ObservedFile.safeParse(json);
    if (!parsed.success) {
      throw new BorgopsError(
        'E_USAGE',
        `--observed: ${file} is neither a snapshot {machine, destinations: {<name>: {archives: [{name, start}]}}} (\`borgops observe --export\`), an archive list {archives: […]}, \`borgops backups list --json\`, \`borgops status --json\` nor a list of them`,
      );
    }
    for (const entry of Array.isArray(parsed.data) ? parsed.data : [parsed.data]) rowsOf(entry, collected);
    for (const snapshot of snapshotsOf(parsed.data)) {
      if (snapshot.machine === undefined) continue;
      machines.add(snapshot.machine);
      if (snapshot.observedAt === undefined) continue;
      const at = new Date(snapshot.observedAt);
      if (Number.isNaN(at.getTime()))
        throw new BorgopsError('E_USAGE', `--observed: ${file}: observedAt is not an ISO 8601 time`);
      const known = observedAt.get(snapshot.machine);
      if (known === undefined || at > known) observedAt.set(snapshot.machine, at);
    }
  }
  const archives = new Map<string, Map<string, Labelled[]>>();
  for (const row of collected.rows) {
    if (row.machine !== '') machines.add(row.machine);
    let byDestination = archives.get(row.machine);
    if (byDestination === undefined) {
      byDestination = new Map();
      archives.set(row.machine, byDestination);
    }
    const list = byDestination.get(row.destination);
    if (list === undefined) byDestination.set(row.destination, [row]);
    else list.push(row);
  }
  return { machines: [...machines].sort(compareStrings), observedAt, archives, repos: collected.repos };
}

/** Archives that may be (machine, destination)'s, labelled so or unlabelled, each name once, in listed order. */
export function candidates(fleet: ObservedFleet, machine: string, destination: string): ObservedArchive[] {
  const seen = new Set<string>();
  const out: ObservedArchive[] = [];
  for (const m of [machine, '']) {
    for (const d of [destination, '']) {
      for (const row of fleet.archives.get(m)?.get(d) ?? []) {
        if (seen.has(row.name)) continue;
        seen.add(row.name);
        out.push(row.start === undefined ? { name: row.name } : { name: row.name, start: row.start });
      }
    }
  }
  return out;
}

/** The repositories a snapshot saw for (machine, destination): an existing repository there needs no init. */
export function observedRepos(fleet: ObservedFleet, machine: string, destination: string): string[] {
  return [...(fleet.repos.get(`${machine}\0${destination}`) ?? [])];
}

/** Reads `--observed`: a directory of `*.json` files, or one file. */
export async function readObserved(path: string): Promise<ObservedFleet> {
  const info = await orAbsent(stat(path), 'read --observed', path);
  if (!info) throw new BorgopsError('E_USAGE', `--observed: ${path} does not exist`);
  const files = new Map<string, string>();
  if (info.isDirectory()) {
    const names = (await readdir(path)).filter((name) => name.endsWith('.json')).sort(compareStrings);
    for (const name of names) files.set(name, await readFile(join(path, name), 'utf8'));
  } else {
    files.set(basename(path), await readFile(path, 'utf8'));
  }
  return parseObserved(files);
}
