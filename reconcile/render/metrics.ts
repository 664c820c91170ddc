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

/** Prometheus text exposition format (version 0.0.4) of a machine's health. */
export function renderMetrics(report: HealthReport, counters: Counters): string {
  const lines: string[] = [];
  const family = (
    name: string,
    type: 'gauge' | 'counter',
    help: string,
    samples: [Record<string, string>, number][],
  ) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [sampleLabels, value] of samples)
      lines.push(`${name}${labels(sampleLabels)} ${Number.isFinite(value) ? value : 0}`);
  };
  const machine = report.machine;
  const perDestination = (pick: (d: HealthReport['destinations'][number]) => number | undefined) =>
    report.destinations.flatMap((d): [Record<string, string>, number][] => {
      const value = pick(d);
      return value === undefined ? [] : [[{ machine, destination: d.name }, value]];
    });
  const seconds = (text: string | undefined) => (text === undefined ? undefined : Date.parse(text) / 1000);

  family(
    'borgops_last_backup_success_timestamp_seconds',
    'gauge',
    'Unix time of the last successful backup per destination.',
    perDestination((d) => seconds(d.lastSuccess)),
  );
  family(
    'borgops_last_backup_attempt_timestamp_seconds',
    'gauge',
    'Unix time of the last backup attempt per destination.',
    perDestination((d) => seconds(d.lastAttempt)),
  );
  family(
    'borgops_backup_duration_seconds',
    'gauge',
    'Duration of the last backup per destination.',
    perDestination((d) => d.durationSeconds),
  );
  family(
    'borgops_archives',
    'gauge',
    "This machine's archives per destination after the last backup.",
    perDestination((d) => d.archives),
  );
  family(
    'borgops_backup_max_age_seconds',
    'gauge',
    'How old the last successful backup may be before the machine is not Ready.',
    perDestination((d) => d.maxAgeSeconds),
  );
  family(
    'borgops_backup_stale',
    'gauge',
    '1 when the last successful backup is older than maxAge.',
    perDestination((d) => (d.stale ? 1 : 0)),
  );
  family(
    'borgops_next_backup_timestamp_seconds',
    'gauge',
    'Unix time of the next scheduled backup per destination.',
    perDestination((d) => seconds(d.nextRun)),
  );
  const served = report.served ?? [];
  const perClient = (pick: (s: NonNullable<HealthReport['served']>[number]) => number | undefined) =>
    served.flatMap((s): [Record<string, string>, number][] => {
      const value = pick(s);
      return value === undefined ? [] : [[{ machine, instance: s.instance, client: s.client }, value]];
    });
  if (served.length > 0) {
    family(
      'borgops_served_last_write_timestamp_seconds',
      'gauge',
      "Unix time of the newest committed write to a served client's repository, as the server sees it.",
      perClient((s) => seconds(s.lastWrite ?? s.createdAt)),
    );
    family(
      'borgops_served_stale',
      'gauge',
      "1 when a served client's repository has not been written within the client's maxAge.",
      perClient((s) => (s.stale ? 1 : 0)),
    );
    family(
      'borgops_served_max_age_seconds',
      'gauge',
      "The client's effective maxAge for this server, from the same commit.",
      perClient((s) => s.maxAgeSeconds),
    );
    family(
      'borgops_served_bytes',
      'gauge',
      "Size on disk of a served client's repository.",
      perClient((s) => s.bytes),
    );
    family(
      'borgops_served_quota_bytes',
      'gauge',
      'The declared storage quota of a served client repository.',
      perClient((s) => s.quotaBytes),
    );
    family(
      'borgops_served_quota_used_bytes',
      'gauge',
      'What borg counts against the storage quota (storage_quota_use of the repository hints).',
      perClient((s) => s.quotaUseBytes),
    );
    family(
      'borgops_served_growth_bytes',
      'gauge',
      'Size change between the two newest distinct observations (negative: the repository shrank).',
      perClient((s) => s.growthBytes),
    );
    family(
      'borgops_served_shrunk',
      'gauge',
      '1 when the repository got smaller since the previous observation.',
      perClient((s) => (s.shrunk ? 1 : 0)),
    );
    family(
      'borgops_served_append_only',
      'gauge',
      '1 when the client repository is served append-only.',
      perClient((s) => (s.appendOnly ? 1 : 0)),
    );
    family(
      'borgops_served_pending_deletions',
      'gauge',
      'Deleted objects still in the segments until an admin compacts (append-only clients cannot).',
      perClient((s) => s.pendingDeletions),
    );
    family(
      'borgops_served_transaction',
      'gauge',
      'The newest committed borg transaction number of the repository.',
      perClient((s) => s.transaction),
    );
  }
  family(
    'borgops_reconcile_total',
    'counter',
    'Reconciles by result since the agent started.',
    Object.entries(counters.reconciles)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([result, count]) => [{ machine, result }, count]),
  );
  family(
    'borgops_applied_commit_info',
    'gauge',
    'The applied commit of the declarations.',
    report.appliedCommit ? [[{ machine, commit: report.appliedCommit }, 1]] : [],
  );
  for (const condition of report.conditions) {
    const name = `borgops_${condition.type.toLowerCase()}`;
    family(name, 'gauge', `1 when the ${condition.type} condition is true.`, [
      [{ machine, reason: condition.reason }, condition.status ? 1 : 0],
    ]);
  }
  return `${lines.join('\n')}\n`;
}
