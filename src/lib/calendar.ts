// Dates in integers: days since 1970-01-01 and a civil (proleptic
// Gregorian) date, both ways, by the days-from-civil algorithm (H. Hinnant,
// "chrono-Compatible Low-Level Date Algorithms"): years are counted from
// March, so the leap day ends a year, and in eras of 400 years (146097
// days), so every year an i64 count of days reaches is exact. And BCD, the
// encoding PC clocks keep dates in. Portable: no allocation, no floats.

export const SECS_PER_DAY: i64 = 86400;
const DAYS_PER_ERA: i64 = 146097;
const EPOCH_FROM_0000_03_01: i64 = 719468;  // days from 0000-03-01 to 1970-01-01

// The quotient rounded toward minus infinity, and the remainder that goes
// with it (0 <= r < b for b > 0).
@inline export function floorDiv(a: i64, b: i64): i64 {
  const q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

@inline export function floorMod(a: i64, b: i64): i64 {
  return a - floorDiv(a, b) * b;
}

// Days from 1970-01-01 to `day` of `month` (1..12) of `year`. Days past
// the month's end (or before its first, day 0 and below) run on into the
// next (or previous) months, as mktime's do.
export function daysFromCivil(year: i64, month: u32, day: i64): i64 {
  const y = month <= 2 ? year - 1 : year;
  const era = floorDiv(y, 400);
  const yoe = y - era * 400;                                  // [0, 399]
  const mp = <i64>((month + 9) % 12);                         // March = 0
  const doy = (153 * mp + 2) / 5 + day - 1;                   // [0, 365] for a day of the month
  const doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;          // [0, 146096]
  return era * DAYS_PER_ERA + doe - EPOCH_FROM_0000_03_01;
}

// A civil date, filled in by civilFromDays.
@final
export class CivilDate {
  year: i64 = 1970;
  month: u32 = 1;   // 1..12
  day: u32 = 1;     // 1..31
}

// The date `days` after 1970-01-01, into `out`.
export function civilFromDays(days: i64, out: CivilDate): void {
  const z = days + EPOCH_FROM_0000_03_01;
  const era = floorDiv(z, DAYS_PER_ERA);
  const doe = z - era * DAYS_PER_ERA;                                   // [0, 146096]
  const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;    // [0, 399]
  const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                  // [0, 365]
  const mp = (5 * doy + 2) / 153;                                       // [0, 11], March = 0
  const month = <u32>(mp < 10 ? mp + 3 : mp - 9);
  out.day = <u32>(doy - (153 * mp + 2) / 5 + 1);
  out.month = month;
  out.year = yoe + era * 400 + (month <= 2 ? 1 : 0);
}

// The day of the week `days` after 1970-01-01 (a Thursday): 0 = Sunday.
@inline export function weekday(days: i64): u32 {
  return <u32>floorMod(days + 4, 7);
}

// BCD: two decimal digits a byte. A nibble above 9 counts as its value
// (0x5a is 60), as Linux's bcd2bin takes it.
@inline export function bcdToBin(b: u32): u32 {
  return ((b >> 4) & 0xf) * 10 + (b & 0xf);
}

// `v` (0..99) in BCD.
@inline export function binToBcd(v: u32): u32 {
  return ((v / 10) << 4) | (v % 10);
}

// Whether `b` is a BCD byte (both nibbles 0..9).
@inline export function isBcd(b: u32): bool {
  return (b & 0xf) <= 9 && ((b >> 4) & 0xf) <= 9;
}
