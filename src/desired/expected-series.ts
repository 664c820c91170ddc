/** What a machine reports on Prometheus, as far as `borgops fleet targets` writes rules for it. */
export interface ReportingMachine {
  machine: string;
  destinations: readonly { name: string }[];
  served: readonly { instance: string; client: string }[];
}

/**
 * The series the fleet's alert rules expect of one machine that runs an agent: the agent itself,
 * each destination, each served client. One naming for `fleet targets` and for the preview's
 * count of series a change adds or removes.
 */
export function expectedSeriesOf(m: ReportingMachine): string[] {
  return [
    m.machine,
    ...m.destinations.map((d) => `${m.machine}/${d.name}`),
    ...m.served.map((s) => `${m.machine}/served/${s.instance}/${s.client}`),
  ];
}
