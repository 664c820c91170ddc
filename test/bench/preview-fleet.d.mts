export interface FleetSize {
  machines: number;
  destinations: number;
  states: number;
  stateFormat?: 'yaml' | 'json';
}
export type FleetChange = 'none' | 'script' | 'fleet';
export function fleetFiles(size: FleetSize, change?: FleetChange): Record<string, string>;
export function writeFleet(dir: string, files: Record<string, string>): Promise<void>;
