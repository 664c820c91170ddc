import { hash } from 'node:crypto';

/** The hash of each machine and destination asked for: a preview compiles both sides of a fleet. */
const seeds = new Map<string, number>();
const SEEDS_KEPT = 100_000;

/**
 * A delay in [0, window) that depends only on machine and destination, so a fleet spreads over
 * the window and each host keeps its slot across reboots (a random delay would not).
 */
export function staggerOffset(machine: string, destination: string, windowSeconds: number): number {
  if (windowSeconds <= 0) return 0;
  const key = `${machine}\0${destination}`;
  let seed = seeds.get(key);
  if (seed === undefined) {
    if (seeds.size >= SEEDS_KEPT) seeds.clear();
    // the first 4 bytes of sha256, big-endian (one-shot hash: no Hash object per key)
    seed = Number.parseInt(hash('sha256', key, 'hex').slice(0, 8), 16);
    seeds.set(key, seed);
  }
  return seed % windowSeconds;
}
