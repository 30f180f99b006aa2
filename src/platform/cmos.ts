// The host's real-time clock (MC146818-compatible, ports 0x70/0x71): the
// wall-clock time at boot, which domains' RTCs start from. Read as Linux's
// mc146818_get_time does: outside the update window, twice until two reads
// agree, BCD or binary and 12/24 hour as register B says.
import { inb, outb } from "../arch/hw";
import {
  RTC_INDEX_PORT, RTC_DATA_PORT, RTC_NMI_DISABLE, RTC_SECONDS, RTC_MINUTES, RTC_HOURS, RTC_DAY_OF_MONTH,
  RTC_MONTH, RTC_YEAR, RTC_REG_A, RTC_REG_B, RTC_A_UIP, RTC_B_DM, RTC_B_24H, RTC_HOURS_PM, CMOS_CENTURY,
} from "../arch/mc146818";
import { SECS_PER_DAY, daysFromCivil, bcdToBin } from "../lib/calendar";

// Reads keep NMIs masked (bit 7 of the index), as firmware leaves them.
function cmos(reg: u8): u32 {
  outb(RTC_INDEX_PORT, reg | RTC_NMI_DISABLE);
  return inb(RTC_DATA_PORT);
}

// Seconds since 1970-01-01 UTC by the host's RTC (taken to hold UTC, as
// Linux and Xen take it), or -1 if it does not answer sensibly.
export function hostRtcTime(): i64 {
  let last: i64 = -2;
  for (let attempt = 0; attempt < 8; attempt++) {
    let spins = 0;
    while ((cmos(RTC_REG_A) & RTC_A_UIP) != 0 && spins < 1000000) spins++;
    const t = readOnce();
    if (t == last) return t;
    last = t;
  }
  return last >= 0 ? last : -1;
}

// A clock byte as a number.
function field(r: u8, binary: bool): u32 {
  const x = cmos(r);
  return binary ? x : bcdToBin(x);
}

function readOnce(): i64 {
  const b = cmos(RTC_REG_B);
  const binary = (b & RTC_B_DM) != 0;
  const sec = field(RTC_SECONDS, binary), min = field(RTC_MINUTES, binary), day = field(RTC_DAY_OF_MONTH, binary), mon = field(RTC_MONTH, binary);
  const yy = field(RTC_YEAR, binary);
  const rawHour = cmos(RTC_HOURS);
  let hour = binary ? rawHour & 0x7f : bcdToBin(rawHour & 0x7f);
  if ((b & RTC_B_24H) == 0) hour = (hour % 12) + ((rawHour & RTC_HOURS_PM) != 0 ? 12 : 0);
  let century = field(CMOS_CENTURY, binary);
  if (century < 19 || century > 99) century = yy < 70 ? 20 : 19;   // no century byte: Linux's rule
  if (sec > 59 || min > 59 || hour > 23 || day < 1 || day > 31 || mon < 1 || mon > 12 || yy > 99) return -1;
  const days = daysFromCivil(<i64>(century * 100 + yy), mon, <i64>day);
  return days * SECS_PER_DAY + <i64>(hour * 3600 + min * 60 + sec);
}
