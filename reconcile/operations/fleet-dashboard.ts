// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's own variable syntax, meant literally
const ds = { type: 'prometheus', uid: '${datasource}' };
const sel = 'machine=~"$machine"';

function instant(refId: string, expr: string) {
  return { refId, datasource: ds, expr, instant: true, format: 'table' };
}

function range(refId: string, expr: string, legend: string) {
  return { refId, datasource: ds, expr, legendFormat: legend };
}

/** The fleet table: one row per machine and destination. */
function fleetTable(): Record<string, unknown> {
  return {
    id: 4,
    type: 'table',
    title: 'Fleet',
    gridPos: { x: 0, y: 4, w: 24, h: 10 },
    datasource: ds,
    targets: [
      instant('A', `time() - borgops_last_backup_success_timestamp_seconds{${sel}}`),
      instant('B', `borgops_archives{${sel}}`),
      instant('C', `time() - borgops_last_drill_success_timestamp_seconds{${sel}}`),
      instant('D', `borgops_backup_stale{${sel}}`),
    ],
    transformations: [
      { id: 'merge', options: {} },
      {
        id: 'organize',
        options: {
          excludeByName: { Time: true, __name__: true, job: true, instance: true, role: true },
          renameByName: {
            'Value #A': 'last backup age',
            'Value #B': 'archives',
            'Value #C': 'last drill age',
            'Value #D': 'stale',
          },
        },
      },
    ],
    fieldConfig: {
      defaults: {},
      overrides: [
        {
          matcher: { id: 'byName', options: 'last backup age' },
          properties: [{ id: 'unit', value: 's' }],
        },
        {
          matcher: { id: 'byName', options: 'last drill age' },
          properties: [{ id: 'unit', value: 's' }],
        },
      ],
    },
  };
}

/**
 * A Grafana dashboard of the fleet, on the metrics the agents export and nothing else: a fleet
 * table (machine, destination, last backup age, archives, last drill, stale) and, per machine,
 * the age of its last backup per destination and, on servers, its clients' last writes.
 */
export function fleetDashboard(): Record<string, unknown> {
  return {
    title: 'borgops fleet',
    uid: 'borgops-fleet',
    tags: ['borgops', 'borg', 'backup'],
    schemaVersion: 39,
    editable: true,
    refresh: '1m',
    time: { from: 'now-7d', to: 'now' },
    templating: {
      list: [
        { name: 'datasource', type: 'datasource', query: 'prometheus', label: 'Prometheus' },
        {
          name: 'machine',
          type: 'query',
          datasource: ds,
          query: 'label_values(borgops_ready, machine)',
          refresh: 2,
          multi: true,
          includeAll: true,
          current: { text: 'All', value: '$__all' },
        },
      ],
    },
    panels: [
      {
        id: 1,
        type: 'stat',
        title: 'Machines not Ready',
        gridPos: { x: 0, y: 0, w: 6, h: 4 },
        datasource: ds,
        targets: [range('A', `count(borgops_ready{${sel}} == 0) or vector(0)`, 'not ready')],
      },
      {
        id: 2,
        type: 'stat',
        title: 'Stale destinations',
        gridPos: { x: 6, y: 0, w: 6, h: 4 },
        datasource: ds,
        targets: [range('A', `count(borgops_backup_stale{${sel}} == 1) or vector(0)`, 'stale')],
      },
      {
        id: 3,
        type: 'stat',
        title: 'Agents down',
        gridPos: { x: 12, y: 0, w: 6, h: 4 },
        datasource: ds,
        targets: [range('A', `count(up{job="borgops",${sel}} == 0) or vector(0)`, 'down')],
      },
      fleetTable(),
      {
        id: 5,
        type: 'timeseries',
        title: 'Last backup age — $machine',
        repeat: 'machine',
        repeatDirection: 'h',
        maxPerRow: 3,
        gridPos: { x: 0, y: 14, w: 8, h: 8 },
        datasource: ds,
        fieldConfig: { defaults: { unit: 's' }, overrides: [] },
        targets: [
          range(
            'A',
            'time() - borgops_last_backup_success_timestamp_seconds{machine="$machine"}',
            '{{destination}}',
          ),
          range('B', 'borgops_backup_max_age_seconds{machine="$machine"}', '{{destination}} maxAge'),
        ],
      },
      {
        id: 6,
        type: 'timeseries',
        title: 'Served clients: last write age',
        gridPos: { x: 0, y: 22, w: 24, h: 8 },
        datasource: ds,
        fieldConfig: { defaults: { unit: 's' }, overrides: [] },
        targets: [
          range(
            'A',
            `time() - borgops_served_last_write_timestamp_seconds{${sel}}`,
            '{{machine}}: {{client}}',
          ),
        ],
      },
    ],
  };
}
