import type { Declarations } from '../../src/config/model.js';
import { compile } from '../../src/desired/compile.js';
import { BorgopsError } from '../../src/errors.js';
import { maxAgeOf } from './health.js';

/**
 * The fleet as Prometheus should see it, from the declarations alone: which machine runs an
 * agent, which destinations it must report, which clients each server serves. Prometheus cannot
 * alert on a series that never appeared; this is what lets it.
 */
export interface FleetMachine {
  machine: string;
  roles: ('client' | 'server')[];
  /** `host:port` Prometheus scrapes. */
  address: string;
  destinations: { name: string; maxAgeSeconds?: number }[];
  served: { instance: string; client: string }[];
}

export interface FleetOptions {
  /** `{machine}:9797` by default; `{machine}` is replaced by each machine's name. */
  address: string;
  /** Per-machine addresses that win over the template. */
  addressOf: Record<string, string>;
  now: Date;
}

export const DEFAULT_ADDRESS = '{machine}:9797';

export function fleetModel(declarations: Declarations, options: FleetOptions): FleetMachine[] {
  for (const machine of Object.keys(options.addressOf)) {
    if (!declarations.machines.includes(machine)) {
      throw new BorgopsError(
        'E_USAGE',
        `--address-of names machine "${machine}", which is not declared (declared: ${declarations.machines.join(', ') || 'none'})`,
      );
    }
  }
  const machines: FleetMachine[] = [];
  for (const machine of declarations.machines) {
    const isClient = declarations.clients.some((c) => c.machine === machine);
    const isServer = declarations.servers.some((s) => s.machine === machine);
    if (!isClient && !isServer) continue;
    const desired = compile(declarations, machine);
    machines.push({
      machine,
      roles: [...(isClient ? (['client'] as const) : []), ...(isServer ? (['server'] as const) : [])],
      address: options.addressOf[machine] ?? options.address.replaceAll('{machine}', machine),
      destinations: desired.destinations.map((d) => {
        const maxAge = maxAgeOf(d, options.now);
        return { name: d.name, ...(maxAge === undefined ? {} : { maxAgeSeconds: maxAge }) };
      }),
      served: desired.served.map((s) => ({ instance: s.instance, client: s.client })),
    });
  }
  return machines;
}

/** Prometheus `file_sd` targets: one per machine that runs an agent. */
export function fleetTargets(
  fleet: readonly FleetMachine[],
): { targets: string[]; labels: Record<string, string> }[] {
  return fleet.map((m) => ({
    targets: [m.address],
    labels: { machine: m.machine, role: m.roles.join(','), instance: m.machine },
  }));
}

/** The series a fleet is expected to report, one name per machine, destination and served client. */
export function expectedSeries(fleet: readonly FleetMachine[]): string[] {
  return fleet.flatMap((m) => [
    `${m.machine}`,
    ...m.destinations.map((d) => `${m.machine}/${d.name}`),
    ...m.served.map((s) => `${m.machine}/served/${s.instance}/${s.client}`),
  ]);
}
