import { describe, expect, it } from 'vitest';
import { expectedSeries, fleetModel, fleetTargets } from '../../../reconcile/operations/fleet.js';
import { fleetDashboard } from '../../../reconcile/operations/fleet-dashboard.js';
import { fleetRules, promDuration } from '../../../reconcile/operations/fleet-rules.js';
import { healthReport } from '../../../reconcile/operations/health.js';
import { renderMetrics } from '../../../reconcile/render/metrics.js';
import { declarationsOf } from '../../helpers/declarations.js';

function declarations(clients: string[]) {
  return declarationsOf({
    'inventory.json': {
      machines: Object.fromEntries(['nas', ...clients].map((m) => [m, {}])),
      instances: {
        main: {
          module: { name: 'borgbackup' },
          roles: {
            server: { machines: { nas: { settings: { address: 'nas.lan' } } } },
            client: {
              settings: { maxAge: '2d' },
              machines: Object.fromEntries(
                clients.map((c) => [c, { settings: { destinations: { usb: { repo: `/mnt/usb/${c}` } } } }]),
              ),
            },
          },
        },
      },
    },
    ...Object.fromEntries(
      clients.map((c) => [`machines/${c}/state.json`, { state: { app: { folders: ['/srv/app'] } } }]),
    ),
  });
}

const now = new Date('2026-11-30T12:00:00Z');

describe('fleet model, targets and rules from the declarations', () => {
  it('lists every machine that runs an agent, with its role and address', () => {
    const model = fleetModel(declarations(['jon', 'sara']), {
      address: '{machine}.lan:9797',
      addressOf: { sara: '10.0.0.9:9000' },
      now,
    });
    expect(fleetTargets(model)).toEqual([
      { targets: ['jon.lan:9797'], labels: { machine: 'jon', role: 'client', instance: 'jon' } },
      { targets: ['nas.lan:9797'], labels: { machine: 'nas', role: 'server', instance: 'nas' } },
      { targets: ['10.0.0.9:9000'], labels: { machine: 'sara', role: 'client', instance: 'sara' } },
    ]);
    expect(expectedSeries(model)).toEqual([
      'jon',
      'jon/nas',
      'jon/usb',
      'nas',
      'nas/served/main/jon',
      'nas/served/main/sara',
      'sara',
      'sara/nas',
      'sara/usb',
    ]);
  });

  it('refuses an address for a machine that is not declared', () => {
    expect(() =>
      fleetModel(declarations(['jon']), { address: '{machine}:9797', addressOf: { bob: 'x:1' }, now }),
    ).toThrow('--address-of names machine "bob", which is not declared (declared: jon, nas)');
  });

  it('writes one never-reported rule per declared machine × destination, waiting its maxAge; a removed machine drops its rules', () => {
    const rules = fleetRules(
      fleetModel(declarations(['jon', 'sara']), { address: '{machine}:9797', addressOf: {}, now }),
      {
        job: 'borgops',
      },
    );
    const never = rules.groups.flatMap((g) => g.rules).filter((r) => r.alert === 'BorgBackupNeverReported');
    expect(never.map((r) => `${r.labels.machine}/${r.labels.destination} ${r.for}`)).toEqual([
      'jon/nas 2d',
      'jon/usb 2d',
      'sara/nas 2d',
      'sara/usb 2d',
    ]);
    expect(never[0]?.expr).toBe(
      'absent(borgops_last_backup_success_timestamp_seconds{machine="jon",destination="nas"}) and on() (up{job="borgops",machine="jon"} == 1)',
    );
    const fewer = fleetRules(
      fleetModel(declarations(['jon']), { address: '{machine}:9797', addressOf: {}, now }),
      { job: 'borgops' },
    );
    const machines = new Set(fewer.groups.flatMap((g) => g.rules).map((r) => r.labels.machine));
    expect([...machines].sort()).toEqual(['jon', 'nas']);
    const served = fewer.groups.find((g) => g.name === 'borgops-fleet-servers')?.rules ?? [];
    expect(served.map((r) => r.labels.client)).toEqual(['jon']);
  });

  it('uses test-sized for: and evaluation intervals when asked', () => {
    const rules = fleetRules(
      fleetModel(declarations(['jon']), { address: '{machine}:9797', addressOf: {}, now }),
      {
        job: 'borgops',
        forSeconds: 1,
        intervalSeconds: 5,
      },
    );
    expect(new Set(rules.groups.flatMap((g) => g.rules).map((r) => r.for))).toEqual(new Set(['1s']));
    expect(rules.groups.map((g) => g.interval)).toEqual(['5s', '5s', '5s']);
  });

  it.each([
    [0, '0s'],
    [45, '45s'],
    [90, '90s'],
    [600, '10m'],
    [5400, '90m'],
    [7200, '2h'],
    [172_800, '2d'],
    [1_209_600, '2w'],
  ])('writes %i seconds as the Prometheus duration %s', (seconds, text) => {
    expect(promDuration(seconds)).toBe(text);
  });
});

describe('the Grafana dashboard', () => {
  it('queries only metrics the agents export', () => {
    const report = healthReport({
      machine: 'jon',
      status: { version: 1, appliedCommit: 'a'.repeat(40), appliedAt: now.toISOString() },
      runs: { version: 1, destinations: {} },
      destinations: [],
      now,
      served: [
        {
          instance: 'main',
          client: 'sara',
          path: '/srv/borg/sara',
          appendOnly: false,
          initialized: true,
          bytes: 1,
          shrunk: false,
          stale: false,
          lastWrite: now.toISOString(),
        },
      ],
    });
    const exported = new Set(
      [...renderMetrics(report, { reconciles: {} }).matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]),
    );
    // per-destination families are declared even without samples
    for (const name of [
      'borgops_last_backup_success_timestamp_seconds',
      'borgops_archives',
      'borgops_backup_stale',
      'borgops_backup_max_age_seconds',
    ]) {
      expect(exported.has(name)).toBe(true);
    }
    const used = new Set([...JSON.stringify(fleetDashboard()).matchAll(/borgops_[a-z_]+/g)].map((m) => m[0]));
    // the drill metric comes with verification (issue 15); everything else must be exported today
    used.delete('borgops_last_drill_success_timestamp_seconds');
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
  });
});
