import { type WallTime, wallOf, wallSeconds } from './civil-time.js';
import { resolveWall, type TimeZone } from './time-zone.js';

/** What the calendar search needs of mktime: carry overflowing fields, and map a wall time to an instant. */
export interface Clock {
  normalize(wall: WallTime): WallTime;
  /** Seconds since the epoch of a normalized wall time. */
  instantOf(wall: WallTime): number;
}

/** timegm: plain wall arithmetic, as systemd computes for UTC. */
export const CIVIL_CLOCK: Clock = {
  normalize: (wall) => wallOf(wallSeconds(wall)),
  instantOf: wallSeconds,
};

/**
 * glibc's mktime (tm_isdst -1) in `zone`, as systemd's calendar calls it: a wall time shown twice
 * takes the offset of mktime's previous result (glibc remembers it), a wall time a forward change
 * skips moves forward by the gap, and seconds past :59 are added to the instant rather than to
 * the wall time. `startSeconds` is the instant the search starts from (systemd's localtime).
 */
export function zoneClock(zone: TimeZone, startSeconds: number): Clock {
  let last = zone.offsetAt(startSeconds);
  const instantOf = (wall: WallTime): number => {
    const local = wallSeconds(wall);
    const resolved = resolveWall(zone, wall);
    if (resolved.kind === 'gap') {
      last = resolved.after;
      return local - resolved.before;
    }
    const instant =
      resolved.instants.find((candidate) => local - candidate === last) ?? resolved.instants[0]!;
    last = local - instant;
    return instant;
  };
  return {
    instantOf,
    normalize(wall) {
      const overflow = Math.max(wall.second - 59, 0);
      const instant = instantOf(wallOf(wallSeconds({ ...wall, second: wall.second - overflow }))) + overflow;
      last = zone.offsetAt(instant);
      return wallOf(instant + last);
    },
  };
}
