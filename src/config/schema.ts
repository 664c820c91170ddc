import { z } from 'zod';
import { NAME_PATTERN, NAME_RULE } from './names.js';

/*
 * File schemas: strict (a typo is an error naming the key) and without defaults, because role-wide
 * and per-machine settings are merged before defaults apply (see normalize.ts, defaults.ts).
 */

export const Name = z.string().regex(NAME_PATTERN, { error: `must be a name: ${NAME_RULE}` });
export type Name = z.infer<typeof Name>;

// Record keys are checked as names in rules.ts, so a bad key does not hide problems in its value.
const nameKey = z.string().meta({ pattern: NAME_PATTERN.source });

export const AbsolutePath = z
  .string()
  .refine((p) => p.startsWith('/'), { error: 'must be an absolute path (starting with "/")' })
  .refine((p) => !p.split('/').includes('..'), { error: 'must not contain ".." segments' })
  .refine((p) => !p.includes('\0') && !p.includes('\n'), { error: 'must not contain NUL or newlines' });

/** One line of text: no newlines or NUL, as argv and unit files need. */
const Line = z
  .string()
  .min(1, { error: 'must not be empty' })
  .refine((s) => !/[\n\r\0]/.test(s), { error: 'must be a single line' });

/** borg's --keep-within interval in borg 1.2 and 1.4: a positive integer and H, d, w, m or y. */
export const WITHIN_PATTERN = /^[1-9][0-9]*[Hdwmy]$/;

/** Durations of our own settings (stagger, maxAge): 0, or a positive integer with s, m, h, d or w. */
export const DURATION_PATTERN = /^(0|[1-9][0-9]*[smhdw])$/;

/** NixOS's accepted compression forms, with levels in borg's ranges. */
export const COMPRESSION_PATTERN =
  /^(none|(auto,)?(lz4|zstd(,([1-9]|1[0-9]|2[0-2]))?|zlib(,[0-9])?|lzma(,[0-9])?))$/;

export const ENCRYPTION_MODES = [
  'repokey',
  'repokey-blake2',
  'keyfile',
  'keyfile-blake2',
  'authenticated',
  'authenticated-blake2',
  'none',
] as const;

const KEY = String.raw`(?:ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+) [A-Za-z0-9+/]+=*(?: [^\n]*)?`;

/** An SSH public host key: `keytype base64 [comment]`. */
const HostKey = z.string().regex(new RegExp(`^${KEY}$`), {
  error: 'must be an SSH public key "keytype base64" (e.g. "ssh-ed25519 AAAAC3…")',
});

/** A pinned host key: `keytype base64`, or a known_hosts line `host[,host…] keytype base64`. */
const KnownHost = z.string().regex(new RegExp(String.raw`^(?:[^\s#@]\S* )?${KEY}$`), {
  error: 'must be "keytype base64" or a known_hosts line "host keytype base64"',
});

export const Destination = z
  .strictObject({
    name: Name.optional().describe('Name used in archive and job names (default: the attribute name).'),
    repo: Line.refine((s) => !s.includes('::'), {
      error: 'must not contain "::" (borg archive separator)',
    }).describe('borg repository: a local absolute path, user@host:path, or ssh://user@host:port/path.'),
    rsh: Line.optional().describe('BORG_RSH for this destination, e.g. "ssh -oPort=23 -i /run/secrets/key".'),
    knownHosts: z
      .array(KnownHost)
      .optional()
      .describe(
        'Pinned host keys for an SSH repository: "keytype base64" (for the repository\'s host) or known_hosts lines "host keytype base64"; default: accept-new.',
      ),
  })
  .describe('A borg repository this machine backs up to.');
export type Destination = z.infer<typeof Destination>;

export const Keep = z
  .strictObject({
    within: z
      .string()
      .regex(WITHIN_PATTERN, { error: 'must be a positive integer followed by H, d, w, m or y (e.g. "1d")' })
      .optional(),
    last: z.int().min(1).optional(),
    minutely: z.int().min(1).optional(),
    hourly: z.int().min(1).optional(),
    daily: z.int().min(1).optional(),
    weekly: z.int().min(1).optional(),
    monthly: z.int().min(1).optional(),
    yearly: z.int().min(1).optional(),
  })
  .describe('borg prune rules (default: within 1d, daily 7, weekly 4, as clan).');
export type Keep = z.infer<typeof Keep>;

export const Encryption = z.strictObject({
  mode: z.enum(ENCRYPTION_MODES).optional().describe('borg init --encryption (default repokey).'),
  passCommand: Line.optional().describe(
    'Command printing the passphrase (BORG_PASSCOMMAND); default: a passphrase generated once by borgops.',
  ),
});
export type Encryption = z.infer<typeof Encryption>;

const Duration = z.string().regex(DURATION_PATTERN, {
  error: 'must be 0 or a positive integer followed by s, m, h, d or w (e.g. "30m")',
});

export const ClientSettings = z
  .strictObject({
    destinations: z.record(nameKey, Destination).optional(),
    exclude: z.array(Line).optional().describe('borg exclude patterns.'),
    startAt: z
      .union([Line, z.array(Line).min(1)])
      .optional()
      .describe('systemd OnCalendar expression(s) (default "*-*-* 01:00:00").'),
    stagger: Duration.optional().describe(
      'Window over which a per-host delay is spread, derived from machine and destination (default 0).',
    ),
    maxAge: Duration.optional().describe(
      'A backup older than this makes the machine not Ready (default: 2 intervals).',
    ),
    encryption: Encryption.optional(),
    compression: z
      .string()
      .regex(COMPRESSION_PATTERN, {
        error: 'must be none, or [auto,]lz4, [auto,]zstd[,1-22], [auto,]zlib[,0-9] or [auto,]lzma[,0-9]',
      })
      .optional()
      .describe('borg --compression (default "auto,zstd").'),
    prune: z.strictObject({ keep: Keep.optional() }).optional(),
    lockWait: z.int().min(0).max(86_400).optional().describe('borg --lock-wait in seconds (default 10).'),
  })
  .describe('Settings of the client role.');
export type ClientSettings = z.infer<typeof ClientSettings>;

export const ServerSettings = z
  .strictObject({
    address: Line.optional().describe(
      'Host name or address clients reach this server at (default: machine name).',
    ),
    port: z.int().min(1).max(65_535).optional().describe('SSH port (default 22).'),
    user: z
      .string()
      .regex(/^[a-z_][a-z0-9_-]{0,31}$/, {
        error: 'must be a user name: lowercase letters, digits, "_" and "-", starting with a letter or "_"',
      })
      .optional()
      .describe('The user clients log in as and that owns the repositories (default "borg").'),
    directory: AbsolutePath.optional().describe(
      'Where client repositories live (default /var/lib/borgbackup).',
    ),
    appendOnly: z.boolean().optional().describe('Serve client repositories append-only.'),
    quota: z
      .string()
      .regex(/^[0-9]+(\.[0-9]+)?[KMGTP]?$/, { error: 'must be a size such as "500G" or "1.5T"' })
      .optional()
      .describe('borg serve --storage-quota per client repository.'),
    hostKey: HostKey.optional().describe(
      'This server\'s SSH host public key ("keytype base64", e.g. the content of /etc/ssh/ssh_host_ed25519_key.pub), pinned by clients.',
    ),
  })
  .describe('Settings of the server role.');
export type ServerSettings = z.infer<typeof ServerSettings>;

/** clan's tag names are free-form (`inventory.machines.<m>.tags`, `inventory.tags`). */
const Tag = z.string().min(1, { error: 'must not be empty' });

function role<S extends z.ZodType>(settings: S) {
  return z.strictObject({
    settings: settings.optional(),
    machines: z.record(nameKey, z.strictObject({ settings: settings.optional() })).optional(),
    tags: z
      .union([z.array(Tag), z.record(Tag, z.strictObject({ settings: settings.optional() }))])
      .optional()
      .describe(
        'clan: every machine with one of these tags has the role ("all" is every machine); as `nix eval` prints it, tag → {settings}.',
      ),
    extraModules: z.array(z.unknown()).optional().describe('clan: NixOS modules; ignored by borgops.'),
  });
}

export const ClientRole = role(ClientSettings);
export type ClientRole = z.infer<typeof ClientRole>;
export const ServerRole = role(ServerSettings);
export type ServerRole = z.infer<typeof ServerRole>;

export const Instance = z.strictObject({
  module: z
    .strictObject({
      name: z
        .string()
        .optional()
        .describe(
          'The clan service module; borgops serves "borgbackup" (also "@clan/borgbackup"); default: the instance name, as in clan.',
        ),
      input: z.string().optional().describe('The flake input the module comes from (informational).'),
    })
    .optional(),
  roles: z.strictObject({ client: ClientRole.optional(), server: ServerRole.optional() }),
});
export type Instance = z.infer<typeof Instance>;

/** clan's `inventory.machines.<m>`: borgops reads `tags` and `machineClass` (for the "nixos"/"darwin" tags). */
export const MachineMeta = z.strictObject({
  name: z.string().optional(),
  description: z.string().optional(),
  icon: z.string().optional(),
  tags: z.array(Tag).optional(),
  machineClass: z.string().optional(),
  installedAt: z.number().optional(),
  deploy: z
    .strictObject({
      targetHost: z.string().optional(),
      buildHost: z.string().optional(),
      forwardAgent: z.boolean().optional(),
    })
    .optional(),
});

export const Inventory = z
  .strictObject({
    $schema: z.string().optional(),
    meta: z
      .strictObject({
        name: z.string().optional(),
        description: z.string().optional(),
        icon: z.string().optional(),
        tld: z.string().optional(),
        domain: z.string().optional(),
      })
      .optional(),
    machines: z.record(nameKey, MachineMeta).optional(),
    tags: z
      .record(Tag, z.array(z.string()))
      .optional()
      .describe('clan: tag → machines (adds the tag to those machines).'),
    modules: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('clan: module sources; ignored by borgops.'),
    instances: z.record(nameKey, Instance),
  })
  .describe('borgops inventory: clan-style service instances with client and server roles.');
export type Inventory = z.infer<typeof Inventory>;

/** What a state declares; the file form below also takes clan's read-only fields. */
export interface State {
  folders?: string[];
  preBackupScript?: string;
  postBackupScript?: string;
  preRestoreScript?: string;
  postRestoreScript?: string;
}

const derived = (what: string) =>
  z
    .string()
    .optional()
    .describe(`clan's read-only ${what} (checked against the name borgops derives, then ignored).`);

export const StateEntry = z
  .strictObject({
    folders: z.array(AbsolutePath).optional().describe('Absolute paths backed up for this state.'),
    preBackupScript: z.string().optional(),
    postBackupScript: z.string().optional(),
    preRestoreScript: z.string().optional(),
    postRestoreScript: z.string().optional(),
    name: derived("name (the state's key)"),
    preBackupCommand: derived('"pre-backup-<name>"'),
    postBackupCommand: derived('"post-backup-<name>"'),
    preRestoreCommand: derived('"pre-restore-<name>"'),
    postRestoreCommand: derived('"post-restore-<name>"'),
  })
  .describe('clan.core.state.<name>: folders and the scripts run around a backup and a restore.');
export type StateEntry = z.infer<typeof StateEntry>;

export const StateMap = z.record(nameKey, StateEntry);
export type StateMap = z.infer<typeof StateMap>;

export const StateFile = z
  .strictObject({
    $schema: z.string().optional(),
    state: StateMap,
  })
  .describe('machines/<machine>/state.json: the states of one machine.');
export type StateFile = z.infer<typeof StateFile>;
