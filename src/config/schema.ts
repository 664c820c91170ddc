import { z } from 'zod';
import { repositoryProblem } from '../borg/location.js';
import { parseCalendar } from '../schedule/calendar.js';
import { RECIPIENT_PATTERN } from '../secrets/age.js';
import { DURATION_PATTERN, DURATION_RULE, durationHint } from '../util/duration.js';
import { isSystemDirectory, NAME_PATTERN, NAME_RULE, UNSAFE_TEXT, UNSAFE_TEXT_RULE } from './names.js';

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
  .refine((p) => !UNSAFE_TEXT.test(p), { error: UNSAFE_TEXT_RULE })
  // what validate refuses, as far as a pattern can say it, so editors flag it too
  .meta({ pattern: String.raw`^/(?!(.*/)?\.\.(/|$))` });

/** One line of text: no newlines or NUL, as argv and unit files need. */
const Line = z
  .string()
  .min(1, { error: 'must not be empty' })
  .refine((s) => !/[\n\r\0]/.test(s), { error: 'must be a single line' })
  .refine((s) => !UNSAFE_TEXT.test(s), { error: UNSAFE_TEXT_RULE });

/** A systemd calendar expression (OnCalendar=), checked as systemd would, so a bad one is reported with the rest. */
const Calendar = Line.superRefine((expression, ctx) => {
  const parsed = parseCalendar(expression);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message, input: expression });
});

/** Free text that is printed (descriptions, tags): no control characters or bidi overrides. */
const Text = z.string().refine((s) => !UNSAFE_TEXT.test(s), { error: UNSAFE_TEXT_RULE });

/** borg's --keep-within interval in borg 1.2 and 1.4: a positive integer and H, d, w, m or y. */
export const WITHIN_PATTERN = /^[1-9][0-9]*[Hdwmy]$/;

export { DURATION_PATTERN };

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
const HostKey = z
  .string()
  .refine((s) => !UNSAFE_TEXT.test(s), { error: UNSAFE_TEXT_RULE })
  .regex(new RegExp(`^${KEY}$`), {
    error: 'must be an SSH public key "keytype base64" (e.g. "ssh-ed25519 AAAAC3…")',
  });

/** A pinned host key: `keytype base64`, or a known_hosts line `host[,host…] keytype base64`. */
const KnownHost = z
  .string()
  .refine((s) => !UNSAFE_TEXT.test(s), { error: UNSAFE_TEXT_RULE })
  .regex(new RegExp(String.raw`^(?:[^\s#@]\S* )?${KEY}$`), {
    error: 'must be "keytype base64" or a known_hosts line "host keytype base64"',
  });

/** A verification schedule: systemd OnCalendar expression(s), or false for none. */
const VerifyCalendar = z.union([z.literal(false), Calendar, z.array(Calendar).min(1)]);

export const Verify = z
  .strictObject({
    check: VerifyCalendar.optional().describe(
      'When `borg check` runs on the repository and this machine\'s archives: OnCalendar expression(s), or false (default "monthly").',
    ),
    verifyData: VerifyCalendar.optional().describe(
      'When `borg check --verify-data` runs (reads and decrypts every chunk): OnCalendar expression(s), or false (default false).',
    ),
    drill: VerifyCalendar.optional().describe(
      'When a restore drill extracts the newest archive to a scratch directory and verifies it: OnCalendar expression(s), or false (default "monthly").',
    ),
    scratch: AbsolutePath.optional().describe(
      'Where drills extract (under --root; default <state-dir>/drill); never a state folder.',
    ),
  })
  .describe('Scheduled verification: checks of the repository and restore drills (same stagger as backups).');
export type Verify = z.infer<typeof Verify>;

export const Destination = z
  .strictObject({
    name: Name.optional().describe('Name used in archive and job names (default: the attribute name).'),
    repo: Line.refine((s) => !s.includes('::'), {
      error: 'must not contain "::" (borg archive separator)',
    })
      .check((ctx) => {
        const problem = repositoryProblem(ctx.value);
        if (problem !== undefined) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
      })
      .describe('borg repository: a local absolute path, user@host:path, or ssh://user@host:port/path.'),
    rsh: Line.optional().describe('BORG_RSH for this destination, e.g. "ssh -oPort=23 -i /run/secrets/key".'),
    knownHosts: z
      .array(KnownHost)
      .optional()
      .describe(
        'Pinned host keys for an SSH repository: "keytype base64" (for the repository\'s host) or known_hosts lines "host keytype base64"; default: accept-new.',
      ),
    verify: Verify.optional().describe("This destination's verification, over the client settings' verify."),
  })
  .describe('A borg repository this machine backs up to.');
export type Destination = z.infer<typeof Destination>;

/** A count of periods; -1 keeps every period, as borg's `--keep-daily=-1`. */
const KeepCount = z
  .int()
  .refine((count) => count >= 1 || count === -1, {
    error: 'must be a positive whole number, or -1 to keep one archive of every period',
  })
  .meta({ anyOf: [{ type: 'integer', minimum: 1 }, { const: -1 }] });

/** The keep rules in borg's order: within, then last, minutely … monthly, 13weekly, 3monthly, yearly (plan text and the prune flags follow it). */
export const KEEP_RULES = [
  'within',
  'last',
  'minutely',
  'hourly',
  'daily',
  'weekly',
  'monthly',
  '13weekly',
  '3monthly',
  'yearly',
] as const;

/** Why a keep.within was refused, in borg's grammar (m is months there, H hours). */
function withinMessage(within: string): string {
  const rule =
    'must be borg\'s --keep-within interval: a positive integer followed by H (hours), d, w, m (months) or y, e.g. "1d"';
  const match = /^([1-9][0-9]*)\s*(h|hours?|min|mins|minutes?|s|sec|seconds?)$/i.exec(within.trim());
  if (!match) return rule;
  const unit = match[2]!.toLowerCase();
  if (unit.startsWith('h')) return `${rule}; did you mean "${match[1]}H"? (borg's hours are H; m is months)`;
  return `${rule}; borg keeps archives by hours at the finest (m is months, not minutes)`;
}

export const Keep = z
  .strictObject({
    within: z
      .string()
      .superRefine((within, ctx) => {
        if (WITHIN_PATTERN.test(within)) return;
        ctx.addIssue({ code: 'custom', message: withinMessage(within), input: within });
      })
      .optional(),
    last: KeepCount.optional(),
    minutely: KeepCount.optional(),
    hourly: KeepCount.optional(),
    daily: KeepCount.optional(),
    weekly: KeepCount.optional(),
    monthly: KeepCount.optional(),
    '13weekly': KeepCount.optional().describe(
      "borg 1.4's --keep-13weekly: quarters of 13 ISO weeks (weeks 1–13, 14–26, 27–39, 40–53 of the ISO year).",
    ),
    '3monthly': KeepCount.optional().describe(
      "borg 1.4's --keep-3monthly: calendar quarters (January–March, April–June, July–September, October–December).",
    ),
    yearly: KeepCount.optional(),
  })
  // borg refuses to prune without a rule; an empty set must never mean "prune everything"
  .refine((keep) => KEEP_RULES.some((rule) => keep[rule] !== undefined), {
    error: `at least one retention rule is needed (${KEEP_RULES.join(', ')})`,
  })
  // borg 1.4 takes --keep-13weekly and --keep-3monthly as alternatives (a mutually exclusive group)
  .refine((keep) => keep['13weekly'] === undefined || keep['3monthly'] === undefined, {
    error: 'has both 13weekly and 3monthly: they are two ways to count quarters, borg takes one; keep one',
    path: ['3monthly'],
  })
  .meta({ minProperties: 1, not: { required: ['13weekly', '3monthly'] } })
  .describe('borg prune rules (default: within 1d, daily 7, weekly 4, as clan).');
export type Keep = z.infer<typeof Keep>;

export const Encryption = z.strictObject({
  mode: z.enum(ENCRYPTION_MODES).optional().describe('borg init --encryption (default repokey).'),
  passCommand: Line.optional().describe(
    'Command printing the passphrase (BORG_PASSCOMMAND); default: a passphrase generated once by borgops.',
  ),
});
export type Encryption = z.infer<typeof Encryption>;

/** borgops's own durations (stagger, maxAge, lockWait, timeouts): the grammar of the CLI flags too. */
const Duration = z.string().superRefine((text, ctx) => {
  if (DURATION_PATTERN.test(text)) return;
  const hint = durationHint(text);
  ctx.addIssue({
    code: 'custom',
    message: `must be ${DURATION_RULE}${hint ? `; ${hint}` : ''}`,
    input: text,
  });
});

/** Events a notification receiver can ask for (`on`); `stalled` also brings the return to Ready. */
export const NOTIFY_EVENTS = ['start', 'success', 'warn', 'fail', 'stalled', 'verification'] as const;

// A receiver URL is a secret (a healthchecks UUID, a topic, a hook token): messages never echo it.
const ReceiverUrl = Line.refine(
  (s) => {
    try {
      const url = new URL(s);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  },
  { error: 'must be an http:// or https:// URL (the value is not shown: receiver URLs are secrets)' },
);

const urlFields = {
  url: ReceiverUrl.optional().describe('The receiver URL (a secret: never shown by borgops; it is in git).'),
  urlCommand: Line.optional().describe(
    'Command printing the URL instead (e.g. "cat /run/secrets/hc-url"), so it stays out of git.',
  ),
};

export const HealthchecksReceiver = z
  .strictObject({
    ...urlFields,
    failOnWarning: z
      .boolean()
      .optional()
      .describe('Ping /fail on a warning (borg exit 1) instead of success with the warning in the body.'),
  })
  .describe('healthchecks.io (or a self-hosted Healthchecks): <url>/start, <url> on success, <url>/fail.');

export const WebhookReceiver = z
  .strictObject({
    ...urlFields,
    secretCommand: Line.optional().describe(
      'Command printing the HMAC secret; the body is signed in X-Borgops-Signature-256: sha256=<hex>.',
    ),
  })
  .describe('A JSON POST per event, signed with HMAC-SHA256 when a secret is given.');

export const NtfyReceiver = z
  .strictObject({
    ...urlFields,
    tokenCommand: Line.optional().describe('Command printing an access token (Authorization: Bearer).'),
  })
  .describe('ntfy: a POST to the topic URL with a title and a priority by event.');

export const Receiver = z
  .strictObject({
    healthchecks: HealthchecksReceiver.optional(),
    webhook: WebhookReceiver.optional(),
    ntfy: NtfyReceiver.optional(),
    on: z
      .array(z.enum(NOTIFY_EVENTS))
      .optional()
      .describe('The events sent to this receiver (default [fail]).'),
    destinations: z
      .array(Name)
      .optional()
      .describe('Only backups to these destinations (default: every destination).'),
    timeout: Duration.optional().describe(
      'How long one attempt may take, and the most a run waits for this receiver (default 10s).',
    ),
  })
  .describe('A notification receiver: exactly one of healthchecks, webhook or ntfy.');
export type Receiver = z.infer<typeof Receiver>;

/** The scheduler backends (`scheduler` setting, `--scheduler`): auto is systemd where it is PID 1 and --root is /, else embedded. */
export const SCHEDULER_BACKENDS = ['auto', 'systemd', 'embedded'] as const;
export type SchedulerBackend = (typeof SCHEDULER_BACKENDS)[number];

export const ClientSettings = z
  .strictObject({
    destinations: z.record(nameKey, Destination).optional(),
    exclude: z
      .array(
        Line.refine((pattern) => !pattern.startsWith('-'), {
          error:
            'must not start with "-" (borg would read it as an option); write e.g. "*/-cache" or "sh:**/-cache"',
        }),
      )
      .optional()
      .describe('borg exclude patterns.'),
    startAt: z
      .union([Calendar, z.array(Calendar).min(1)])
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
    lockWait: z
      .union([z.int().min(0).max(86_400), Duration])
      .optional()
      .describe('borg --lock-wait: a duration ("10s", "2m") or a number of seconds (default 10s).'),
    verify: Verify.optional(),
    notify: z
      .record(nameKey, Receiver)
      .optional()
      .describe('Notification receivers by name: healthchecks pings, a signed webhook, ntfy.'),
    scheduler: z
      .enum(SCHEDULER_BACKENDS, { error: `must be one of ${SCHEDULER_BACKENDS.join(', ')}` })
      .optional()
      .describe(
        'The scheduler backend every command uses (plan, apply, watch, preview): systemd timers, the embedded schedule run by `watch`, or auto (systemd when it is PID 1 and --root is /; the default). `--scheduler` overrides it for one run, with a warning.',
      ),
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
    directory: AbsolutePath.refine((p) => !isSystemDirectory(p), {
      error:
        'must not be a system directory (/, /etc, /home, /root, /srv, /usr, /var, /var/lib, …): borgops makes it the home of the borg user; use a directory of its own such as /var/lib/borgbackup',
    })
      .optional()
      .describe('Where client repositories live (default /var/lib/borgbackup).'),
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
const Tag = z
  .string()
  .min(1, { error: 'must not be empty' })
  .refine((s) => !UNSAFE_TEXT.test(s), { error: UNSAFE_TEXT_RULE });

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
        // the names validate serves; other modules' instances are set aside before this schema applies
        .meta({ enum: ['borgbackup', '@clan/borgbackup'] })
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
  name: Text.optional(),
  description: Text.optional(),
  icon: Text.optional(),
  tags: z.array(Tag).optional(),
  machineClass: Text.optional(),
  installedAt: z.number().optional(),
  deploy: z
    .strictObject({
      targetHost: Text.optional(),
      buildHost: Text.optional(),
      forwardAgent: z.boolean().optional(),
    })
    .optional(),
});

export const AgeRecipient = z.string().regex(RECIPIENT_PATTERN, {
  error: 'must be an age X25519 recipient "age1…" (62 characters), as `age-keygen` prints it',
});

export const Secrets = z
  .strictObject({
    recipients: z
      .array(AgeRecipient)
      .optional()
      .describe(
        "Admins' age public keys: every committed secret (machines/<m>/secrets/*.age) is encrypted to them and to its machine.",
      ),
  })
  .describe('age-encrypted secrets in the config repository (borgops secrets generate | rekey | verify).');
export type Secrets = z.infer<typeof Secrets>;

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
    secrets: Secrets.optional(),
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
  /** Run by a restore drill against the restored copy (`verify-<state>`, with RESTORE_DIR). */
  verifyScript?: string;
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
    verifyScript: z
      .string()
      .optional()
      .describe(
        'Run by a restore drill against the restored copy, with RESTORE_DIR (e.g. sqlite3 "$RESTORE_DIR/var/db.sqlite3" "pragma integrity_check").',
      ),
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
