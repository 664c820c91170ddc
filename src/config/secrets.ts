import { isArmored, labelledRecipients } from '../secrets/age.js';
import { ageRecipientOfSshKey } from '../secrets/ssh-age.js';
import { compareStrings } from '../util/compare.js';
import type { ParsedFile } from './document.js';
import { type ConfigFile, type SecretKind, secretFilePath } from './files.js';
import type { Declarations } from './model.js';
import type { Problem } from './problem.js';

type SecretFile = Extract<ConfigFile, { kind: 'secret' }>;

/** The committed secrets by machine and destination; a file that is not armored age is an error. */
export function readSecrets(
  files: ReadonlyMap<string, string>,
  paths: readonly SecretFile[],
  problems: Problem[],
): Declarations['secrets'] {
  const secrets: Declarations['secrets'] = {};
  for (const file of paths) {
    const armored = files.get(file.path) ?? '';
    if (!isArmored(armored)) {
      problems.push({
        file: file.path,
        line: 1,
        path: '',
        message:
          'is not an ASCII-armored age file (-----BEGIN AGE ENCRYPTED FILE-----); `borgops secrets generate` writes one, `age -a` too',
        severity: 'error',
      });
      continue;
    }
    const machine = secrets[file.machine] ?? {};
    machine[file.destination] = { ...machine[file.destination], [file.secret]: { file: file.path, armored } };
    secrets[file.machine] = machine;
  }
  return secrets;
}

/** The age recipient of a machine: derived from its committed ed25519 key (ssh-to-age); undefined without one. */
export function machineRecipient(
  declarations: Pick<Declarations, 'publicKeys'>,
  machine: string,
): string | undefined {
  const key = declarations.publicKeys[machine]?.key;
  if (key === undefined || !key.startsWith('ssh-ed25519 ')) return undefined;
  try {
    return ageRecipientOfSshKey(key);
  } catch {
    return undefined;
  }
}

/** Everyone a machine's secrets must be encrypted to: the admins and the machine itself. */
export function recipientsFor(
  declarations: Pick<Declarations, 'publicKeys' | 'recipients'>,
  machine: string,
): string[] {
  const own = machineRecipient(declarations, machine);
  return [...new Set([...declarations.recipients, ...(own === undefined ? [] : [own])])].sort(compareStrings);
}

/** A destination that needs a passphrase borgops provides (encrypted, no passCommand), by machine. */
export interface SecretNeed {
  machine: string;
  destination: string;
  mode: string;
}

export function secretNeeds(declarations: Pick<Declarations, 'clients' | 'states'>): SecretNeed[] {
  const needs = new Map<string, SecretNeed>();
  for (const client of declarations.clients) {
    // clan: a client with no state has no backup jobs and no repositories
    if (Object.keys(declarations.states[client.machine]?.states ?? {}).length === 0) continue;
    if (client.encryption.mode === 'none' || client.encryption.passCommand !== undefined) continue;
    for (const destination of client.destinations) {
      needs.set(`${client.machine}/${destination.name}`, {
        machine: client.machine,
        destination: destination.name,
        mode: client.encryption.mode,
      });
    }
  }
  return [...needs.values()].sort(
    (a, b) => compareStrings(a.machine, b.machine) || compareStrings(a.destination, b.destination),
  );
}

export interface RecipientDrift {
  missing: string[];
  extra: string[];
  /** The file names no recipients (not written by borgops): whom it is encrypted to is unknown. */
  unknown: boolean;
}

/** How a committed file's recipients differ from the declared ones (public label stanzas; no key needed). */
export function recipientDrift(armored: string, expected: readonly string[]): RecipientDrift | undefined {
  const labelled = labelledRecipients(armored) ?? [];
  if (labelled.length === 0) return { missing: [...expected], extra: [], unknown: true };
  const missing = expected.filter((r) => !labelled.includes(r));
  const extra = labelled.filter((r) => !expected.includes(r));
  return missing.length === 0 && extra.length === 0 ? undefined : { missing, extra, unknown: false };
}

export function describeDrift(drift: RecipientDrift, names: ReadonlyMap<string, string>): string {
  const name = (r: string) => names.get(r) ?? r;
  if (drift.unknown) return 'its recipients are unknown (not written by borgops)';
  return [
    drift.missing.length > 0 ? `not encrypted to ${drift.missing.map(name).join(', ')}` : '',
    drift.extra.length > 0 ? `still encrypted to ${drift.extra.map(name).join(', ')}` : '',
  ]
    .filter((part) => part !== '')
    .join('; ');
}

/** Who a recipient is, for messages: "machine jon (age1…)" or "admin age1…". */
export function recipientNames(
  declarations: Pick<Declarations, 'publicKeys' | 'recipients' | 'machines'>,
): Map<string, string> {
  const names = new Map<string, string>();
  for (const recipient of declarations.recipients) names.set(recipient, `admin ${recipient}`);
  for (const machine of Object.keys(declarations.publicKeys)) {
    const recipient = machineRecipient(declarations, machine);
    if (recipient !== undefined) names.set(recipient, `machine ${machine} (${recipient})`);
  }
  return names;
}

/** validate's warnings: secrets a destination needs that are not committed, stale recipients, unused files. */
export function checkSecrets(declarations: Declarations, inventoryFile: ParsedFile): Problem[] {
  const problems: Problem[] = [];
  const warn = (file: string, message: string, path = '', line = 1) =>
    problems.push({ file, line, path, message, severity: 'warning' });
  const adminsDeclared = declarations.recipients.length > 0;
  // a fleet without admins or committed secrets (10,000 machines × destinations) needs no list of needs
  if (!adminsDeclared && Object.keys(declarations.secrets).length === 0) return problems;
  const names = recipientNames(declarations);
  const needs = secretNeeds(declarations);
  const needed = new Set(needs.map((n) => `${n.machine}/${n.destination}`));

  for (const need of needs) {
    const committed = declarations.secrets[need.machine]?.[need.destination]?.passphrase;
    if (committed === undefined && adminsDeclared) {
      warn(
        secretFilePath(need.machine, need.destination, 'passphrase'),
        `not committed: destination "${need.destination}" of ${need.machine} would use a passphrase that exists only on ${need.machine} and dies with it; run \`borgops secrets generate\` (new repository) or \`borgops secrets adopt\` on ${need.machine} (existing one) and commit the file`,
      );
    }
  }
  for (const [machine, destinations] of Object.entries(declarations.secrets)) {
    const expected = recipientsFor(declarations, machine);
    const own = machineRecipient(declarations, machine);
    for (const [destination, committed] of Object.entries(destinations)) {
      for (const kind of ['passphrase', 'key'] as const satisfies SecretKind[]) {
        const secret = committed[kind];
        if (secret === undefined) continue;
        if (kind === 'passphrase' && !needed.has(`${machine}/${destination}`)) {
          warn(
            secret.file,
            `not used: ${machine} has no destination "${destination}" that needs a passphrase from borgops (none declared, unencrypted, or it declares encryption.passCommand)`,
          );
          continue;
        }
        if (own === undefined) {
          warn(
            secret.file,
            `${machine} cannot decrypt it: commit its ed25519 key as machines/${machine}/borgbackup.ssh.pub (\`borgops keys show\` on ${machine}), then \`borgops secrets rekey --identity FILE\``,
          );
        }
        const drift = recipientDrift(secret.armored, expected);
        if (drift) {
          warn(
            secret.file,
            `recipients out of date: ${describeDrift(drift, names)}; run \`borgops secrets rekey --identity FILE\``,
          );
        }
      }
    }
  }
  if (!adminsDeclared && Object.keys(declarations.secrets).length > 0) {
    problems.push({
      file: inventoryFile.file,
      line: 1,
      path: 'secrets.recipients',
      message:
        "no admin recipients: committed secrets can be decrypted only by their machine; add admins' age keys (`age-keygen`) so a lost machine can be restored",
      severity: 'warning',
    });
  }
  return problems;
}
