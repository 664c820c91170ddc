import { createHash } from 'node:crypto';

/**
 * A delay in [0, window) that depends only on machine and destination, so a fleet spreads over
 * the window and each host keeps its slot across reboots (a random delay would not).
 */
export function staggerOffset(machine: string, destination: string, windowSeconds: number): number {
  if (windowSeconds <= 0) return 0;
  const digest = createHash('sha256').update(`${machine}\0${destination}`).digest();
  return digest.readUInt32BE(0) % windowSeconds;
}
