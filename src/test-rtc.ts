// Test-only entry points for the MC146818 RTC (src/devices/rtc.ts,
// tests/unit/rtc.test.ts) and the calendar it counts with
// (src/lib/calendar.ts). A rig of a guest clock set by hand, a timer queue
// fired by hand as the run loop would, and an interrupt controller that
// records each input's level and rising edges. Accesses go through
// devRead/devWrite (src/exports.ts) at offsets 0 (port 0x70) and 1 (0x71).
import { RtcDevice, RtcState, RTC_BLOCK_SIZE, RTC_CMOS, RTC_KIND, cmosWritePcLayout } from "./devices/rtc";
import { ManualClock } from "./devices/clock";
import { TimerQueue } from "./devices/timer";
import { IrqController, IrqLine } from "./devices/irq";
import { CivilDate, civilFromDays, daysFromCivil, weekday } from "./lib/calendar";

export { RTC_BLOCK_SIZE, RTC_KIND };

const RIG_INPUTS: u32 = 16;

class RecordingIrqs extends IrqController {
  levels: StaticArray<bool> = new StaticArray<bool>(RIG_INPUTS);
  rises: StaticArray<u32> = new StaticArray<u32>(RIG_INPUTS);

  setLevel(input: u32, level: bool): void {
    if (input >= RIG_INPUTS) return;
    if (level) unchecked(this.rises[input]++);
    unchecked(this.levels[input] = level);
  }
}

let rigClock: ManualClock = new ManualClock(1);
let rigQueue: TimerQueue = new TimerQueue();
let rigIrqs: RecordingIrqs = new RecordingIrqs();

// A fresh rig whose guest TSC runs at `hz` and reads 0.
export function rtcRig(hz: u64): void {
  rigClock = new ManualClock(hz);
  rigQueue = new TimerQueue();
  rigIrqs = new RecordingIrqs();
}

// An RTC on the rig starting at `start` (seconds since 1970), its IRQ on
// input `input` of the recording controller.
export function rtcCreate(start: i64, input: u32): RtcDevice {
  return new RtcDevice(rigClock, rigQueue, new IrqLine(rigIrqs, input), start);
}

export function rtcClockSet(t: u64): void { rigClock.t = t; }
export function rtcClockNow(): u64 { return rigClock.t; }

// Fires every timer of the rig due at the clock's now, as timersFire does
// for a domain (src/domain/timer.ts); how many fired.
export function rtcFire(): u32 {
  let n: u32 = 0;
  let t = rigQueue.head;
  while (t !== null) {
    const next = t.next;
    if (<i64>(rigClock.t - t.deadline) >= 0) {
      t.cancel();
      t.client.expired(t);
      n++;
    }
    t = next;
  }
  return n;
}

// The earliest armed deadline on the rig's queue (0: none), and how many.
export function rtcNextDeadline(): u64 {
  let best: u64 = 0;
  let t = rigQueue.head;
  while (t !== null) {
    if (best == 0 || t.deadline < best) best = t.deadline;
    t = t.next;
  }
  return best;
}

export function rtcArmed(): u32 {
  let n: u32 = 0;
  let t = rigQueue.head;
  while (t !== null) {
    n++;
    t = t.next;
  }
  return n;
}

export function rtcIrqLevel(input: u32): bool { return input < RIG_INPUTS && unchecked(rigIrqs.levels[input]); }
export function rtcIrqRises(input: u32): u32 { return input < RIG_INPUTS ? unchecked(rigIrqs.rises[input]) : 0; }

export function rtcNmiMasked(d: RtcDevice): bool { return d.nmiMasked(); }
export function rtcRam(d: RtcDevice, i: u32): u32 { return d.ram(i); }
export function rtcSetRam(d: RtcDevice, i: u32, v: u32): bool { return d.setRam(i, <u8>v); }
export function rtcPcLayout(d: RtcDevice, below4g: u64, above4g: u64): void { cmosWritePcLayout(d, below4g, above4g); }
export function rtcTime(d: RtcDevice): i64 { return d.time(); }

// The block's layout as src/devices/rtc.ts draws it.
export function rtcLayoutCheck(): u32 {
  let bad: u32 = 0;
  if (offsetof<RtcState>() != RTC_CMOS) bad |= 1;
  if (offsetof<RtcState>("chainSecs") != 8 || offsetof<RtcState>("syncTsc") != 16 || offsetof<RtcState>("resume") != 24) bad |= 2;
  if (offsetof<RtcState>("index") != 32 || offsetof<RtcState>("nmiMasked") != 33 || offsetof<RtcState>("reserved1") != 36) bad |= 4;
  return bad;
}

// ── The calendar (src/lib/calendar.ts) ────────────────────────────────────
const testDate = new CivilDate();
export function calDaysFromCivil(year: i64, month: u32, day: i64): i64 { return daysFromCivil(year, month, day); }
// civilFromDays into a date read back by the three accessors.
export function calCivilFromDays(days: i64): void { civilFromDays(days, testDate); }
export function calYear(): i64 { return testDate.year; }
export function calMonth(): u32 { return testDate.month; }
export function calDay(): u32 { return testDate.day; }
export function calWeekday(days: i64): u32 { return weekday(days); }
