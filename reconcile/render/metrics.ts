import type { HealthReport } from '../operations/health.js';

export interface Counters {
  /** borgops_reconcile_total by result (applied, partial, failed, refused, invalid, unverified). */
  reconciles: Record<string, number>;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labels(values: Record<string, string>): string {
  const text = Object.entries(values)
    .map(([key, value]) => `${key}="${escapeLabel(value)}"`)
    .join(',');
  return text === '' ? '' : `{${text}}`;
}

type Sample = [Record<string, string>, number];
type DestinationReport = HealthReport['destinations'][number];
type ServedReport = NonNullable<HealthReport['served']>[number];

function seconds(text: string | undefined): number | undefined {
  return text === undefined ? undefined : Date.parse(text) / 1000;
}

/** Gauges per destination, in exposition order: name, help, value (none: no sample). */
const DESTINATION_GAUGES: [string, string, (d: DestinationReport) => number | undefined][] = [
  [
    'borgops_last_backup_success_timestamp_seconds',
    'Unix time of the last successful backup per destination.',
    (d) => seconds(d.lastSuccess),
  ],
  [
    'borgops_last_backup_attempt_timestamp_seconds',
    'Unix time of the last backup attempt per destination.',
    (d) => seconds(d.lastAttempt),
  ],
  [
    'borgops_backup_duration_seconds',
    'Duration of the last backup per destination.',
    (d) => d.durationSeconds,
  ],
  ['borgops_archives', "This machine's archives per destination after the last backup.", (d) => d.archives],
  [
    'borgops_backup_max_age_seconds',
    'How old the last successful backup may be before the machine is not Ready.',
    (d) => d.maxAgeSeconds,
  ],
  [
    'borgops_backup_stale',
    '1 when the last successful backup is older than maxAge.',
    (d) => (d.stale ? 1 : 0),
  ],
  [
    'borgops_next_backup_timestamp_seconds',
    'Unix time of the next scheduled backup per destination.',
    (d) => seconds(d.nextRun),
  ],
  [
    'borgops_last_check_success_timestamp_seconds',
    'Unix time of the last passing borgops check (borg check) per destination.',
    (d) => seconds(d.check?.lastSuccess),
  ],
  [
    'borgops_check_failed',
    '1 when the last borgops check of the destination failed.',
    (d) => (d.check?.ok === undefined ? undefined : d.check.ok ? 0 : 1),
  ],
  [
    'borgops_last_drill_success_timestamp_seconds',
    'Unix time of the last passing restore drill per destination.',
    (d) => seconds(d.drill?.lastSuccess),
  ],
  [
    'borgops_drill_failed',
    '1 when the last restore drill of the destination failed.',
    (d) => (d.drill?.ok === undefined ? undefined : d.drill.ok ? 0 : 1),
  ],
  [
    'borgops_drill_verified_bytes',
    'Bytes of regular files the last restore drill extracted and verified (size and sha256).',
    (d) => d.drill?.bytes,
  ],
  [
    'borgops_drill_verified_files',
    'Regular files the last restore drill extracted and verified.',
    (d) => d.drill?.files,
  ],
];

/** Gauges per served client repository (a server's), in exposition order. */
const SERVED_GAUGES: [string, string, (s: ServedReport) => number | undefined][] = [
  [
    'borgops_served_last_write_timestamp_seconds',
    "Unix time of the newest committed write to a served client's repository, as the server sees it.",
    (s) => seconds(s.lastWrite ?? s.createdAt),
  ],
  [
    'borgops_served_stale',
    "1 when a served client's repository has not been written within the client's maxAge.",
    (s) => (s.stale ? 1 : 0),
  ],
  [
    'borgops_served_max_age_seconds',
    "The client's effective maxAge for this server, from the same commit.",
    (s) => s.maxAgeSeconds,
  ],
  ['borgops_served_bytes', "Size on disk of a served client's repository.", (s) => s.bytes],
  [
    'borgops_served_quota_bytes',
    'The declared storage quota of a served client repository.',
    (s) => s.quotaBytes,
  ],
  [
    'borgops_served_quota_used_bytes',
    'What borg counts against the storage quota (storage_quota_use of the repository hints).',
    (s) => s.quotaUseBytes,
  ],
  [
    'borgops_served_growth_bytes',
    'Size change between the two newest distinct observations (negative: the repository shrank).',
    (s) => s.growthBytes,
  ],
  [
    'borgops_served_shrunk',
    '1 when the repository got smaller since the previous observation.',
    (s) => (s.shrunk ? 1 : 0),
  ],
  [
    'borgops_served_append_only',
    '1 when the client repository is served append-only.',
    (s) => (s.appendOnly ? 1 : 0),
  ],
  [
    'borgops_served_pending_deletions',
    'Deleted objects still in the segments until an admin compacts (append-only clients cannot).',
    (s) => s.pendingDeletions,
  ],
  [
    'borgops_served_transaction',
    'The newest committed borg transaction number of the repository.',
    (s) => s.transaction,
  ],
];

function family(
  lines: string[],
  name: string,
  type: 'gauge' | 'counter',
  help: string,
  samples: Sample[],
): void {
  lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  for (const [sampleLabels, value] of samples)
    lines.push(`${name}${labels(sampleLabels)} ${Number.isFinite(value) ? value : 0}`);
}

/** Prometheus text exposition format (version 0.0.4) of a machine's health. */
export function renderMetrics(report: HealthReport, counters: Counters): string {
  const lines: string[] = [];
  const machine = report.machine;
  for (const [name, help, pick] of DESTINATION_GAUGES) {
    const samples = report.destinations.flatMap((d): Sample[] => {
      const value = pick(d);
      return value === undefined ? [] : [[{ machine, destination: d.name }, value]];
    });
    family(lines, name, 'gauge', help, samples);
  }
  family(
    lines,
    'borgops_verification_overdue',
    'gauge',
    '1 when a scheduled check or drill has not passed within twice its interval.',
    report.destinations.flatMap((d): Sample[] =>
      (['check', 'drill'] as const).flatMap((kind): Sample[] => {
        const health = d[kind];
        return health === undefined ? [] : [[{ machine, destination: d.name, kind }, health.overdue ? 1 : 0]];
      }),
    ),
  );
  const served = report.served ?? [];
  for (const [name, help, pick] of served.length > 0 ? SERVED_GAUGES : []) {
    const samples = served.flatMap((s): Sample[] => {
      const value = pick(s);
      return value === undefined ? [] : [[{ machine, instance: s.instance, client: s.client }, value]];
    });
    family(lines, name, 'gauge', help, samples);
  }
  family(
    lines,
    'borgops_reconcile_total',
    'counter',
    'Reconciles by result since the agent started.',
    Object.entries(counters.reconciles)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([result, count]) => [{ machine, result }, count]),
  );
  family(
    lines,
    'borgops_notify_failures_total',
    'counter',
    'Notifications a receiver did not take after every attempt, per receiver.',
    Object.entries(report.notifyFailures ?? {})
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([receiver, count]) => [{ machine, receiver }, count]),
  );
  family(
    lines,
    'borgops_applied_commit_info',
    'gauge',
    'The applied commit of the declarations.',
    report.appliedCommit ? [[{ machine, commit: report.appliedCommit }, 1]] : [],
  );
  family(
    lines,
    'borgops_reconcile_warnings',
    'gauge',
    "Warnings of the last reconcile's plan (a passphrase or key only on this machine, a committed key that cannot restore, …); `borgops status` lists them.",
    report.lastAttempt === undefined ? [] : [[{ machine }, report.lastAttempt.warnings?.length ?? 0]],
  );
  for (const condition of report.conditions) {
    const name = `borgops_${condition.type.toLowerCase()}`;
    family(lines, name, 'gauge', `1 when the ${condition.type} condition is true.`, [
      [{ machine, reason: condition.reason }, condition.status ? 1 : 0],
    ]);
  }
  return `${lines.join('\n')}\n`;
}
