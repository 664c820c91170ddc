import type { FleetMachine } from './fleet.js';

export interface RuleOptions {
  /** Overrides every rule's `for:` (seconds; tests use a few). */
  forSeconds?: number;
  /** The rule groups' evaluation interval (seconds); Prometheus's global one when unset. */
  intervalSeconds?: number;
  /** The scrape job of the agents (`job` label of `up`). */
  job: string;
}

export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** A Prometheus duration: the largest unit that divides the seconds evenly (`90m`, `2d`, `45s`). */
export function promDuration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  for (const [unit, size] of [
    ['w', 604_800],
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (whole >= size && whole % size === 0) return `${whole / size}${unit}`;
  }
  return `${whole}s`;
}

/** A PromQL string literal (Go escapes, which JSON's are a subset of for these names). */
function q(value: string): string {
  return JSON.stringify(value);
}

export interface RuleGroup {
  name: string;
  interval?: string;
  rules: AlertRule[];
}

/** The alerts of one declared machine × destination: stale, never reported, check and drill failed, verification overdue. */
function destinationRules(
  m: FleetMachine,
  d: FleetMachine['destinations'][number],
  job: string,
  wait: (seconds: number) => string,
): AlertRule[] {
  const machine = q(m.machine);
  const pair = `machine=${machine},destination=${q(d.name)}`;
  const labels = { machine: m.machine, destination: d.name };
  return [
    {
      alert: 'BorgBackupStale',
      expr: `borgops_backup_stale{${pair}} == 1`,
      for: wait(900),
      labels: { severity: 'warning', ...labels },
      annotations: {
        summary: `${m.machine}: no successful backup to ${d.name} within maxAge`,
        description:
          'borgops_last_backup_success_timestamp_seconds shows when the last one succeeded; GET /status on the agent has the last error.',
      },
    },
    {
      alert: 'BorgBackupNeverReported',
      // the agent answers, yet has never reported a success for this declared destination
      expr: `absent(borgops_last_backup_success_timestamp_seconds{${pair}}) and on() (up{job=${job},machine=${machine}} == 1)`,
      for: wait(d.maxAgeSeconds ?? 86_400),
      labels: { severity: 'critical', ...labels },
      annotations: {
        summary: `${m.machine}: no successful backup to ${d.name} was ever reported`,
        description: `Declared in git, but the agent has reported no success for ${d.name} within its maxAge.`,
      },
    },
    {
      alert: 'BorgCheckFailed',
      expr: `borgops_check_failed{${pair}} == 1`,
      for: wait(0),
      labels: { severity: 'critical', ...labels },
      annotations: {
        summary: `${m.machine}: borg check of ${d.name} failed`,
        description:
          "The repository or this machine's archives in it are damaged; see `borgops status` on the machine.",
      },
    },
    {
      alert: 'BorgDrillFailed',
      expr: `borgops_drill_failed{${pair}} == 1`,
      for: wait(0),
      labels: { severity: 'critical', ...labels },
      annotations: {
        summary: `${m.machine}: the restore drill of ${d.name} failed`,
        description:
          'The newest backup did not restore and verify; see `borgops status` on the machine for the failing state.',
      },
    },
    {
      alert: 'BorgVerificationOverdue',
      expr: `borgops_verification_overdue{${pair}} == 1`,
      for: wait(3600),
      labels: { severity: 'warning', ...labels },
      annotations: {
        summary: `${m.machine}: the {{ $labels.kind }} of ${d.name} has not passed within twice its interval`,
        description: 'Scheduled checks and drills are not running or not passing.',
      },
    },
  ];
}

export function fleetRules(fleet: readonly FleetMachine[], options: RuleOptions): { groups: RuleGroup[] } {
  const wait = (seconds: number) => promDuration(options.forSeconds ?? seconds);
  const job = q(options.job);
  const agents: AlertRule[] = [];
  const backups: AlertRule[] = [];
  const servers: AlertRule[] = [];
  for (const m of fleet) {
    const machine = q(m.machine);
    agents.push(
      {
        alert: 'BorgopsAgentDown',
        expr: `up{job=${job},machine=${machine}} == 0 or absent(up{job=${job},machine=${machine}})`,
        for: wait(600),
        labels: { severity: 'warning', machine: m.machine },
        annotations: {
          summary: `${m.machine}: the borgops agent is not answering at ${m.address}`,
          description:
            'Nothing this machine reports can be trusted while its agent is down: its backups may have stopped too.',
        },
      },
      {
        alert: 'BorgopsStalled',
        expr: `borgops_stalled{machine=${machine}} == 1`,
        for: wait(600),
        labels: { severity: 'warning', machine: m.machine },
        annotations: {
          summary: `${m.machine}: borgops cannot apply the config repository ({{ $labels.reason }})`,
          description:
            'A commit was refused (invalid, unsigned or refused by a guard); the last applied declarations stay in force. See GET /status on the agent.',
        },
      },
      {
        alert: 'BorgopsPlanWarnings',
        expr: `borgops_reconcile_warnings{machine=${machine}} > 0`,
        for: wait(3600),
        labels: { severity: 'warning', machine: m.machine },
        annotations: {
          summary: `${m.machine}: the last reconcile's plan warned ({{ $value }})`,
          description:
            'Backups run, but something is wrong that only shows later: a passphrase or repository key that lives only on this machine (lost with it), a committed key that cannot restore, a public key a server will refuse. `borgops status` on the machine (or GET /status, lastAttempt.warnings) lists them.',
        },
      },
    );
    for (const d of m.destinations) backups.push(...destinationRules(m, d, job, wait));
    for (const s of m.served) {
      servers.push({
        alert: 'BorgServedClientStale',
        expr: `borgops_served_stale{machine=${machine},instance=${q(s.instance)},client=${q(s.client)}} == 1`,
        for: wait(900),
        labels: { severity: 'warning', machine: m.machine, client: s.client, destination: m.machine },
        annotations: {
          summary: `${m.machine}: client ${s.client} (${s.instance}) has not written its repository within maxAge`,
          description: 'Seen by the server alone: the alert a broken or compromised client cannot silence.',
        },
      });
    }
  }
  const interval =
    options.intervalSeconds === undefined ? {} : { interval: promDuration(options.intervalSeconds) };
  return {
    groups: [
      { name: 'borgops-fleet-agents', ...interval, rules: agents },
      { name: 'borgops-fleet-backups', ...interval, rules: backups },
      { name: 'borgops-fleet-servers', ...interval, rules: servers },
    ],
  };
}
