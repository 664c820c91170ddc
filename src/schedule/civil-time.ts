/** A wall-clock date and time with no zone attached (month 1..12, like systemd prints it). */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

// Days are counted in 400-year eras of 146 097 days, from March 1 so that leap days come last.
const DAYS_PER_ERA = 146_097;
const MARCH_1_YEAR_0 = 719_468;

function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * DAYS_PER_ERA + dayOfEra - MARCH_1_YEAR_0;
}

/** Seconds since the epoch of a wall time read as if it were UTC; overflowing fields carry. */
export function wallSeconds(wall: WallTime): number {
  const months = wall.month - 1;
  const year = wall.year + Math.floor(months / 12);
  const month = months - Math.floor(months / 12) * 12 + 1;
  const days = daysFromCivil(year, month, 1) + wall.day - 1;
  return days * 86_400 + wall.hour * 3600 + wall.minute * 60 + wall.second;
}

/** The wall time of `seconds` since the epoch, read as UTC. */
export function wallOf(seconds: number): WallTime {
  const days = Math.floor(seconds / 86_400);
  const inDay = seconds - days * 86_400;
  const shifted = days + MARCH_1_YEAR_0;
  const era = Math.floor(shifted / DAYS_PER_ERA);
  const dayOfEra = shifted - era * DAYS_PER_ERA;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  return {
    year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0),
    month,
    day: dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1,
    hour: Math.floor(inDay / 3600),
    minute: Math.floor((inDay % 3600) / 60),
    second: inDay % 60,
  };
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const monthDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : (monthDays[month - 1] ?? 31);
}

/** Monday 0 … Sunday 6, systemd's weekday numbering. */
export function weekdayOf(wall: WallTime): number {
  const days = Math.floor(wallSeconds(wall) / 86_400);
  // 1970-01-01 was a Thursday
  return (((days + 3) % 7) + 7) % 7;
}
