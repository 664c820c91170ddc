import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic.js';
import { orAbsent } from './fs-error.js';

/** Where ssh connects for a repository: its host and, when not given, port 22. */
export interface SshEndpoint {
  host: string;
  port: number;
}

// ssh://[user@]host[:port]/path, host possibly a bracketed IPv6 address
const SSH_URL = /^ssh:\/\/(?:[^@/]+@)?(\[[^\]]+\]|[^:/]+)(?::(\d+))?\//;
// [user@]host:path (borg 1.2's scp style)
const SCP = /^(?:[^@:/]+@)?(\[[^\]]+\]|[^:/[\]]+):/;
// the port a declared rsh sets: -p N, -pN, -oPort=N, -o Port=N, -o Port N
const RSH_PORT = /(?:^|\s)(?:-p\s*(\d+)|-o\s*Port[=\s]\s*(\d+))(?=\s|$)/i;

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** The host and port ssh connects to for a remote repository (the rsh's port wins over none in the URL). */
export function sshEndpoint(repo: string, rsh?: string): SshEndpoint | undefined {
  const url = SSH_URL.exec(repo);
  const scp = url ? undefined : SCP.exec(repo);
  const host = url?.[1] ?? scp?.[1];
  if (host === undefined || repo.startsWith('/') || repo.startsWith('file://')) return undefined;
  const rshPort = rsh === undefined ? undefined : RSH_PORT.exec(rsh);
  const port = url?.[2] ?? rshPort?.[1] ?? rshPort?.[2];
  return { host: unbracket(host), port: port === undefined ? 22 : Number(port) };
}

/** How known_hosts names an endpoint: `host` on port 22, `[host]:port` elsewhere (as ssh looks it up). */
export function knownHostsPattern(endpoint: SshEndpoint): string {
  return endpoint.port === 22 ? endpoint.host : `[${endpoint.host}]:${endpoint.port}`;
}

const KEY_TYPE = /^(?:ssh-|ecdsa-sha2-|sk-)/;

/**
 * known_hosts lines for declared pins: `keytype base64` gets the repository's host pattern;
 * a line naming the repository's host bare while ssh uses another port gets `[host]:port`
 * (ssh would never match it); any other host pattern is kept as written.
 */
export function pinnedLines(endpoint: SshEndpoint, pins: readonly string[]): string[] {
  const pattern = knownHostsPattern(endpoint);
  return pins.map((pin) => {
    const [first = '', ...rest] = pin.trim().split(/\s+/);
    if (KEY_TYPE.test(first)) return `${pattern} ${pin.trim()}`;
    return first === endpoint.host ? `${pattern} ${rest.join(' ')}` : pin.trim();
  });
}

/** The content of a destination's pinned known_hosts file. */
export function pinnedKnownHosts(
  destination: string,
  endpoint: SshEndpoint,
  pins: readonly string[],
): string {
  const header = `# host keys pinned for destination ${destination} by the declarations; written by borgops before each connection`;
  return `${[header, ...pinnedLines(endpoint, pins)].join('\n')}\n`;
}

/** Writes a pinned known_hosts file when its content differs (public data, derived from the declarations). */
export async function ensureKnownHostsFile(path: string, content: string): Promise<void> {
  const current = await orAbsent(readFile(path, 'utf8'), 'read', path);
  if (current === content) return;
  await writeFileAtomic(path, content, { mode: 0o644 });
}
