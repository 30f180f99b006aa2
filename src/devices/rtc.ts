// The Motorola MC146818A real-time clock and its CMOS RAM, at ports 0x70
// (index; bit 7 is the PC's NMI mask) and 0x71 (data) of a domain: a pure
// state machine on the guest's clock (clock.ts), its IRQ output on an
// interrupt line (irq.ts, IRQ 8 on a PC), one device timer (timer.ts).
// Registers follow the MC146818A data sheet; what Linux reads
// (drivers/rtc/rtc-mc146818-lib.c, rtc-cmos.c) behaves as on the chip.
//
// Time is kept, not counted. While updates run (DV = 010, SET = 0) the time
// is `chainSecs`, the second just begun at `chainTsc` (a second boundary of
// the divider chain, on the guest TSC), plus the whole seconds of guest TSC
// since: no drift, no timer needed to advance it. The time, calendar and
// century bytes are made from it at each read, in the format register B
// asks for now (BCD or binary, 12 or 24 hours). While updates are halted
// (SET, or the divider stopped or in reset) those bytes are what the clock
// showed when it halted, or what the guest wrote since; when updates
// resume they are read back as the new time (out-of-range fields carry
// into the next, as mktime's do; the day of the week is derived from the
// date, as QEMU's and bhyve's models do). UIP is set for the 244 us
// before each update (data sheet, Table 6: tBUC), which is what a reader
// that waits for UIP to fall relies on; the update itself (1984 us on the
// chip) takes no time here, so the bytes are never seen in transition.
//
// Interrupt flags are brought up to date lazily: every access first
// accounts for what happened since the last one (sync): a periodic edge
// sets PF, an update UF, an update to a time the alarm matches AF, whatever
// the enables say (the data sheet sets them "independent of" PIE, AIE,
// UIE). The timer is armed only for the next event that would set IRQF,
// and not at all while IRQF is set: the line stays high until register C
// is read, as on the chip, and a guest that never reads it gets nothing
// more (no storm, nothing that grows).
//
// The state block, at the RtcState pointer (offsets in bytes), plain data
// saved and restored as it is (src/devices/device.ts):
//
//   ┌─────────────────────────────────┐ 0
//   │ chainTsc  u64  a second boundary│     guest TSC; while DV = 010
//   │ chainSecs i64  second begun then│ 8   seconds since 1970-01-01 UTC
//   │ syncTsc   u64  flags up to here │ 16
//   │ resume    u64  DV != 010: ticks │ 24  from DV = 010 to the first update
//   │ index u8  nmiMasked u8  0 u16   │ 32
//   │ 0 u32                           │ 36
//   ├─────────────────────────────────┤ 40 (RTC_CMOS)
//   │ cmos      u8[128]               │   the chip's bytes by index; the
//   │                                 │   time bytes only while halted
//   └─────────────────────────────────┘ 168 (RTC_BLOCK_SIZE)
import { Access, Device, DEV_OK } from "./device";
import { Clock, ticksIn, tscFor } from "./clock";
import { IrqLine } from "./irq";
import { Timer, TimerClient, TimerQueue } from "./timer";
import {
  CivilDate, SECS_PER_DAY, bcdToBin, binToBcd, civilFromDays, daysFromCivil, floorDiv, floorMod, isBcd, weekday,
} from "../lib/calendar";
import {
  CMOS_SIZE, RTC_INDEX_MASK, RTC_NMI_DISABLE,
  RTC_SECONDS, RTC_SECONDS_ALARM, RTC_MINUTES, RTC_MINUTES_ALARM, RTC_HOURS, RTC_HOURS_ALARM,
  RTC_DAY_OF_WEEK, RTC_DAY_OF_MONTH, RTC_MONTH, RTC_YEAR, RTC_REG_A, RTC_REG_B, RTC_REG_C, RTC_REG_D, RTC_RAM,
  RTC_HOURS_PM, RTC_ALARM_DONT_CARE,
  RTC_A_UIP, RTC_A_DV_MASK, RTC_A_DV_32KHZ, RTC_A_DV_RESET, RTC_A_RS_MASK, RTC_TIMEBASE_HZ, RTC_UIP_CYCLES,
  RTC_B_SET, RTC_B_PIE, RTC_B_AIE, RTC_B_UIE, RTC_B_DM, RTC_B_24H, RTC_B_RESET_CLEARS,
  RTC_C_IRQF, RTC_C_PF, RTC_C_AF, RTC_C_UF, RTC_C_FLAGS, RTC_D_VRT, RTC_A_PC_DEFAULT, RTC_B_PC_DEFAULT,
  CMOS_CENTURY, CMOS_EQUIPMENT, CMOS_EQUIPMENT_FPU, CMOS_EQUIPMENT_PS2_MOUSE,
  CMOS_BASE_MEM_LO, CMOS_BASE_MEM_HI, CMOS_EXT_MEM_LO, CMOS_EXT_MEM_HI, CMOS_EXT_MEM2_LO, CMOS_EXT_MEM2_HI,
  CMOS_MEM_16M_LO, CMOS_MEM_16M_HI, CMOS_MEM_4G_LO, CMOS_MEM_4G_MID, CMOS_MEM_4G_HI,
} from "../arch/mc146818";

export const RTC_CMOS: u32 = 40;
export const RTC_BLOCK_SIZE: u32 = RTC_CMOS + CMOS_SIZE;

export const RTC_KIND: u32 = 0x38313836;   // "6818"
const RTC_VERSION: u32 = 1;

// The times the clock can be set to: 0000-01-01 00:00:00 to 9999-12-31
// 23:59:59 UTC (what a BCD century and year hold).
export const RTC_SECS_MIN: i64 = -62167219200;
export const RTC_SECS_MAX: i64 = 253402300799;

// An alarm field that matches any value, or none.
const ALARM_ANY: i32 = -1;
const ALARM_NEVER: i32 = -2;

@inline function clampSecs(s: i64): i64 {
  return s < RTC_SECS_MIN ? RTC_SECS_MIN : s > RTC_SECS_MAX ? RTC_SECS_MAX : s;
}

@inline function dividerRuns(a: u8): bool {
  return (a & RTC_A_DV_MASK) == RTC_A_DV_32KHZ;
}

// The periodic rate RS3-RS0 selects on the 32.768 kHz time base: none for
// 0; 256 and 128 Hz for 1 and 2 (as 8 and 9 give); 32768 >> (rs - 1) for
// 3 to 15, 8192 Hz down to 2 Hz.
@inline function periodicHz(a: u8): u64 {
  const rs = <u32>(a & RTC_A_RS_MASK);
  if (rs == 0) return 0;
  return <u64>(RTC_TIMEBASE_HZ >> (rs <= 2 ? rs + 6 : rs - 1));
}

@unmanaged
export class RtcState {
  chainTsc: u64;
  chainSecs: i64;
  syncTsc: u64;
  resume: u64;
  index: u8;
  nmiMasked: u8;
  reserved0: u16;
  reserved1: u32;

  // The chip's byte at index `i` (masked: always inside the 128).
  @inline reg(i: u32): u8 {
    return load<u8>(changetype<usize>(this) + RTC_CMOS + (i & RTC_INDEX_MASK));
  }

  @inline setReg(i: u32, v: u8): void {
    store<u8>(changetype<usize>(this) + RTC_CMOS + (i & RTC_INDEX_MASK), v);
  }
}

// The timer's client; it learns its device once the device is made.
@final
class RtcTimer extends TimerClient {
  dev: RtcDevice | null = null;

  expired(t: Timer): void {
    const d = this.dev;
    if (d !== null) d.expired();
  }
}

@final
export class RtcDevice extends Device {
  s: RtcState = changetype<RtcState>(heap.alloc(<usize>RTC_BLOCK_SIZE));
  private date: CivilDate = new CivilDate();
  private timer: Timer;

  // The clock starts at `start` seconds since 1970-01-01 UTC (the host's
  // clock at boot, or a configured time), now on `clock`; its timer waits
  // on `timers` as one of vCPU 0's; its IRQ output drives `irq`. The
  // registers are as a PC BIOS leaves them (RTC_A_PC_DEFAULT, RTC_B_PC_DEFAULT),
  // the RAM zero (cmosWritePcLayout fills in what firmware reads).
  constructor(public clock: Clock, timers: TimerQueue, public irq: IrqLine | null, start: i64) {
    super();
    const client = new RtcTimer();
    this.timer = new Timer(timers, 0, client);
    const s = this.s;
    memory.fill(changetype<usize>(s), 0, <usize>RTC_BLOCK_SIZE);
    const now = clock.now();
    s.chainTsc = now;
    s.chainSecs = clampSecs(start);
    s.syncTsc = now;
    s.setReg(RTC_REG_A, RTC_A_PC_DEFAULT);
    s.setReg(RTC_REG_B, RTC_B_PC_DEFAULT);
    s.setReg(RTC_REG_D, RTC_D_VRT);
    client.dev = this;
  }

  kind(): u32 { return RTC_KIND; }
  name(): string { return "mc146818"; }
  version(): u32 { return RTC_VERSION; }
  block(): usize { return changetype<usize>(this.s); }
  blockSize(): u32 { return RTC_BLOCK_SIZE; }

  // ── Guest accesses: offset 0 is port 0x70, 1 is 0x71 ─────────────────────

  read(a: Access): u64 {
    // The index register is write-only, as on PC chipsets (QEMU and bhyve
    // read it as 0xff).
    if (a.offset != 1) return 0xff;
    const now = this.clock.now();
    this.sync(now);
    const v = this.readReg(<u32>this.s.index, now);
    this.update(now);
    return v;
  }

  write(a: Access, value: u64): u32 {
    const v = <u8>value;
    const s = this.s;
    if (a.offset == 0) {
      // Bits 6:0 select the byte (an index above 0x7f wraps into the 128);
      // bit 7 is the PC's NMI mask, kept for the platform (nmiMasked).
      s.index = v & RTC_INDEX_MASK;
      s.nmiMasked = (v & RTC_NMI_DISABLE) != 0 ? 1 : 0;
      return DEV_OK;
    }
    if (a.offset != 1) return DEV_OK;
    const now = this.clock.now();
    this.sync(now);
    this.writeReg(<u32>s.index, v, now);
    this.update(now);
    return DEV_OK;
  }

  // The RESET pin (data sheet, "RESET"), as a PC's reset drives it: PIE,
  // AIE, UIE, SQWE and register C's flags clear and the IRQ line falls; the
  // time, the divider, the formats and the RAM, battery-backed, go on. The
  // index and the NMI mask, the chipset's, clear.
  reset(): void {
    const now = this.clock.now();
    this.sync(now);
    const s = this.s;
    s.setReg(RTC_REG_B, s.reg(RTC_REG_B) & ~RTC_B_RESET_CLEARS);
    s.setReg(RTC_REG_C, 0);
    s.index = 0;
    s.nmiMasked = 0;
    this.update(now);
  }

  // A block this model can be in: what the registers cannot hold is not in
  // it, and the times are in range.
  check(b: usize): string {
    const r = changetype<RtcState>(b);
    if (r.reserved0 != 0 || r.reserved1 != 0) return "reserved fields not 0";
    if (r.index > RTC_INDEX_MASK) return "index above 0x7f";
    if (r.nmiMasked > 1) return "NMI mask neither 0 nor 1";
    if ((r.reg(RTC_REG_A) & RTC_A_UIP) != 0) return "register A holds UIP, which is never stored";
    if ((r.reg(RTC_REG_C) & ~RTC_C_FLAGS) != 0) return "register C holds more than PF, AF and UF";
    if (r.reg(RTC_REG_D) != RTC_D_VRT) return "register D is not VRT alone";
    if (r.chainSecs < RTC_SECS_MIN || r.chainSecs > RTC_SECS_MAX + 1) return "time out of range";
    if (r.resume > this.hz() || (!dividerRuns(r.reg(RTC_REG_A)) && r.resume == 0)) {
      return "divider position out of range";
    }
    return "";
  }

  saving(): void {
    const now = this.clock.now();
    this.sync(now);
    this.update(now);
  }

  // The timer and the line follow from the block.
  restored(): void {
    const now = this.clock.now();
    this.sync(now);
    this.update(now);
  }

  // ── For the platform and the domain builder ──────────────────────────────

  // Whether the guest's last index write had bit 7 set (NMIs disabled).
  nmiMasked(): bool {
    return this.s.nmiMasked != 0;
  }

  // The byte at CMOS index `i` (taken modulo 0x80) as stored, without side
  // effects: the time bytes as they were when updates last halted.
  ram(i: u32): u8 {
    return this.s.reg(i);
  }

  // Sets a byte of general RAM (0x0e-0x7f, the century byte aside, which
  // belongs to the clock). False, and nothing written, for any other index.
  setRam(i: u32, v: u8): bool {
    if (i < <u32>RTC_RAM || i >= CMOS_SIZE || i == <u32>CMOS_CENTURY) return false;
    this.s.setReg(i, v);
    return true;
  }

  // The time the guest reads now, as seconds since 1970-01-01 UTC.
  time(): i64 {
    return this.updating() ? this.secsAt(this.clock.now()) : this.parse();
  }

  // The timer's expiry: what is due is accounted and raised.
  expired(): void {
    const now = this.clock.now();
    this.sync(now);
    this.update(now);
  }

  // ── Registers ────────────────────────────────────────────────────────────

  private readReg(i: u32, now: u64): u8 {
    const s = this.s;
    switch (i) {
      case RTC_SECONDS: case RTC_MINUTES: case RTC_HOURS: case RTC_DAY_OF_WEEK:
      case RTC_DAY_OF_MONTH: case RTC_MONTH: case RTC_YEAR: case CMOS_CENTURY:
        return this.updating() ? this.timeByte(i, this.secsAt(now)) : s.reg(i);
      case RTC_REG_A:
        return s.reg(RTC_REG_A) | (this.uip(now) ? RTC_A_UIP : 0);
      case RTC_REG_C: {
        // Reading C clears its flags (and with them IRQF and the line).
        const c = s.reg(RTC_REG_C);
        s.setReg(RTC_REG_C, 0);
        return c | ((c & s.reg(RTC_REG_B) & RTC_C_FLAGS) != 0 ? RTC_C_IRQF : 0);
      }
      default:
        return s.reg(i);
    }
  }

  private writeReg(i: u32, v: u8, now: u64): void {
    const s = this.s;
    switch (i) {
      case RTC_SECONDS: case RTC_MINUTES: case RTC_HOURS: case RTC_DAY_OF_WEEK:
      case RTC_DAY_OF_MONTH: case RTC_MONTH: case RTC_YEAR: case CMOS_CENTURY: {
        // Written while updates run (OpenBSD writes the century so), the
        // byte joins the time shown and the clock counts on from there,
        // the divider's phase kept.
        if (this.updating()) {
          this.freeze(now);
          s.setReg(i, v);
          this.thaw(now);
        } else {
          s.setReg(i, v);
        }
        return;
      }
      case RTC_REG_A: this.writeA(v, now); return;
      case RTC_REG_B: this.writeB(v, now); return;
      case RTC_REG_C: return;   // read only
      case RTC_REG_D: return;   // read only
      default: s.setReg(i, v);  // the alarm bytes and RAM
    }
  }

  // Register A: UIP is read only. DV = 010 runs the divider chain, 11x
  // holds it in reset (the first update comes half a second after it is
  // released: data sheet, "DV2, DV1, DV0"), anything else stops it where
  // it is (the DS12887's "oscillator off"; on the MC146818A test modes).
  private writeA(v: u8, now: u64): void {
    const s = this.s;
    const old = s.reg(RTC_REG_A);
    const a = v & ~RTC_A_UIP;
    const ran = dividerRuns(old);
    const runs = dividerRuns(a);
    if (ran && !runs) {
      if ((s.reg(RTC_REG_B) & RTC_B_SET) == 0) this.freeze(now);
      s.resume = this.nextBoundary(now) - now;
    }
    if ((a & RTC_A_DV_RESET) == RTC_A_DV_RESET) {
      const half = this.hz() >> 1;
      s.resume = half != 0 ? half : 1;
    }
    s.setReg(RTC_REG_A, a);
    if (!ran && runs) {
      s.chainTsc = now + s.resume;
      if ((s.reg(RTC_REG_B) & RTC_B_SET) == 0) s.chainSecs = this.parse() + 1;
    }
  }

  // Register B: SET halts updates (the time bytes keep what the clock
  // showed, in the format it showed it) and clears UIE (data sheet, "UIE");
  // clearing it makes what the bytes hold, in the format now selected, the
  // time, counted on from the divider's next second boundary.
  private writeB(v: u8, now: u64): void {
    const s = this.s;
    const old = s.reg(RTC_REG_B);
    const b = (v & RTC_B_SET) != 0 ? v & ~RTC_B_UIE : v;
    const chain = dividerRuns(s.reg(RTC_REG_A));
    if (chain && (old & RTC_B_SET) == 0 && (b & RTC_B_SET) != 0) this.freeze(now);
    s.setReg(RTC_REG_B, b);
    if (chain && (old & RTC_B_SET) != 0 && (b & RTC_B_SET) == 0) this.thaw(now);
  }

  // ── Time ─────────────────────────────────────────────────────────────────

  @inline private hz(): u64 {
    const h = this.clock.hz();
    return h != 0 ? h : 1;
  }

  @inline private chainRuns(): bool {
    return dividerRuns(this.s.reg(RTC_REG_A));
  }

  // Updates run: the divider at 32.768 kHz and SET clear.
  @inline private updating(): bool {
    return this.chainRuns() && (this.s.reg(RTC_REG_B) & RTC_B_SET) == 0;
  }

  // The second shown at guest TSC `t` while updates run.
  private secsAt(t: u64): i64 {
    const s = this.s;
    return s.chainSecs + floorDiv(<i64>(t - s.chainTsc), <i64>this.hz());
  }

  // The divider's first second boundary after `t`.
  private nextBoundary(t: u64): u64 {
    const s = this.s;
    const hz = <i64>this.hz();
    return s.chainTsc + <u64>((floorDiv(<i64>(t - s.chainTsc), hz) + 1) * hz);
  }

  private uip(now: u64): bool {
    if (!this.updating()) return false;
    return this.nextBoundary(now) - now <= tscFor(RTC_UIP_CYCLES, this.hz(), RTC_TIMEBASE_HZ);
  }

  // Edges of a `rate` Hz tap from chainTsc to `t` (negative before it). The
  // taps divide the second, so every second boundary is an edge of each.
  private edges(t: u64, rate: u64): i64 {
    const hz = this.hz();
    const d = <i64>(t - this.s.chainTsc);
    const q = floorDiv(d, <i64>hz);
    return q * <i64>rate + <i64>ticksIn(<u64>(d - q * <i64>hz), hz, rate);
  }

  // The first edge of a `rate` Hz tap after `t`.
  private nextEdge(t: u64, rate: u64): u64 {
    const hz = this.hz();
    const j = this.edges(t, rate) + 1;
    const q = floorDiv(j, <i64>rate);
    return this.s.chainTsc + <u64>(q * <i64>hz) + tscFor(<u64>(j - q * <i64>rate), hz, rate);
  }

  // A time byte (seconds .. year, century) for `secs` in the current format.
  private timeByte(i: u32, secs: i64): u8 {
    const days = floorDiv(secs, SECS_PER_DAY);
    const tod = <u32>(secs - days * SECS_PER_DAY);
    switch (i) {
      case RTC_SECONDS: return this.encode(tod % 60);
      case RTC_MINUTES: return this.encode(tod / 60 % 60);
      case RTC_HOURS: return this.hourByte(tod / 3600);
      case RTC_DAY_OF_WEEK: return this.encode(weekday(days) + 1);
      default: break;
    }
    const d = this.date;
    civilFromDays(days, d);
    switch (i) {
      case RTC_DAY_OF_MONTH: return this.encode(d.day);
      case RTC_MONTH: return this.encode(d.month);
      case RTC_YEAR: return this.encode(<u32>floorMod(d.year, 100));
      default: {
        const c = floorDiv(d.year, 100);
        return (this.s.reg(RTC_REG_B) & RTC_B_DM) != 0 ? <u8>c : <u8>binToBcd(<u32>floorMod(c, 100));
      }
    }
  }

  // `v` (0..99) as the data mode has it.
  @inline private encode(v: u32): u8 {
    return <u8>((this.s.reg(RTC_REG_B) & RTC_B_DM) != 0 ? v : binToBcd(v));
  }

  // Hours 0..23 as the hours byte: 1..12 with PM in bit 7 in 12-hour mode.
  private hourByte(h: u32): u8 {
    if ((this.s.reg(RTC_REG_B) & RTC_B_24H) != 0) return this.encode(h);
    const h12 = h % 12 != 0 ? h % 12 : 12;
    return this.encode(h12) | (h >= 12 ? RTC_HOURS_PM : 0);
  }

  // A time byte's value as the data mode reads it (a BCD nibble above 9
  // counts as its value).
  @inline private decode(b: u8): i64 {
    return <i64>((this.s.reg(RTC_REG_B) & RTC_B_DM) != 0 ? <u32>b : bcdToBin(b));
  }

  // The time the halted bytes hold, as seconds since the epoch. Fields out
  // of range carry (second 75 is a minute and 15 seconds; month 13 is
  // January of the next year; day 0 the last of the month before); the
  // result is held to RTC_SECS_MIN..RTC_SECS_MAX.
  private parse(): i64 {
    const s = this.s;
    const hb = s.reg(RTC_HOURS);
    const hour = (s.reg(RTC_REG_B) & RTC_B_24H) != 0
      ? this.decode(hb)
      : this.decode(hb & ~RTC_HOURS_PM) % 12 + ((hb & RTC_HOURS_PM) != 0 ? 12 : 0);
    const m = this.decode(s.reg(RTC_MONTH)) - 1;
    const year = this.decode(s.reg(RTC_YEAR)) + this.decode(s.reg(CMOS_CENTURY)) * 100 + floorDiv(m, 12);
    const days = daysFromCivil(year, <u32>floorMod(m, 12) + 1, this.decode(s.reg(RTC_DAY_OF_MONTH)));
    const secs = days * SECS_PER_DAY + hour * 3600 + this.decode(s.reg(RTC_MINUTES)) * 60 +
      this.decode(s.reg(RTC_SECONDS));
    return clampSecs(secs);
  }

  // Updates halt at `now`: the time bytes take what the clock shows.
  private freeze(now: u64): void {
    const s = this.s;
    const secs = this.secsAt(now);
    s.setReg(RTC_SECONDS, this.timeByte(RTC_SECONDS, secs));
    s.setReg(RTC_MINUTES, this.timeByte(RTC_MINUTES, secs));
    s.setReg(RTC_HOURS, this.timeByte(RTC_HOURS, secs));
    s.setReg(RTC_DAY_OF_WEEK, this.timeByte(RTC_DAY_OF_WEEK, secs));
    s.setReg(RTC_DAY_OF_MONTH, this.timeByte(RTC_DAY_OF_MONTH, secs));
    s.setReg(RTC_MONTH, this.timeByte(RTC_MONTH, secs));
    s.setReg(RTC_YEAR, this.timeByte(RTC_YEAR, secs));
    s.setReg(CMOS_CENTURY, this.timeByte(CMOS_CENTURY, secs));
  }

  // Updates resume at `now` (the divider running): the bytes are the time,
  // and the divider's next second boundary its next update.
  private thaw(now: u64): void {
    const s = this.s;
    s.chainTsc = this.nextBoundary(now);
    s.chainSecs = this.parse() + 1;
  }

  // ── Alarm ────────────────────────────────────────────────────────────────

  // An alarm byte as a field value in the current format: ALARM_ANY for a
  // don't-care byte, ALARM_NEVER for one no time byte can equal.
  private alarmField(i: u32, limit: u32): i32 {
    const b = this.s.reg(i);
    if ((b & RTC_ALARM_DONT_CARE) == RTC_ALARM_DONT_CARE) return ALARM_ANY;
    const binary = (this.s.reg(RTC_REG_B) & RTC_B_DM) != 0;
    if (i != <u32>RTC_HOURS_ALARM || (this.s.reg(RTC_REG_B) & RTC_B_24H) != 0) {
      if (!binary && !isBcd(b)) return ALARM_NEVER;
      const v = binary ? <u32>b : bcdToBin(b);
      return v < limit ? <i32>v : ALARM_NEVER;
    }
    // 12-hour mode: 1..12, PM in bit 7.
    const raw = <u32>(b & ~RTC_HOURS_PM);
    if (!binary && !isBcd(raw)) return ALARM_NEVER;
    const h12 = binary ? raw : bcdToBin(raw);
    if (h12 < 1 || h12 > 12) return ALARM_NEVER;
    return <i32>(h12 % 12 + ((b & RTC_HOURS_PM) != 0 ? 12 : 0));
  }

  // The first second at or after `from` whose time matches the alarm
  // bytes, or i64.MAX_VALUE if none can.
  private alarmFrom(from: i64): i64 {
    const h = this.alarmField(RTC_HOURS_ALARM, 24);
    const m = this.alarmField(RTC_MINUTES_ALARM, 60);
    const sec = this.alarmField(RTC_SECONDS_ALARM, 60);
    if (h == ALARM_NEVER || m == ALARM_NEVER || sec == ALARM_NEVER) return i64.MAX_VALUE;
    const tod = <i32>floorMod(from, SECS_PER_DAY);
    const day = from - <i64>tod;
    const h0 = tod / 3600, m0 = tod / 60 % 60, s0 = tod % 60;
    if (atLeast(h, h0) == h0) {
      if (atLeast(m, m0) == m0) {
        const x = atLeast(sec, s0);
        if (x >= 0) return day + <i64>(h0 * 3600 + m0 * 60 + x);
      }
      const x = atLeast(m, m0 + 1);
      if (x >= 0 && x < 60) return day + <i64>(h0 * 3600 + x * 60 + least(sec));
    }
    const x = atLeast(h, h0 + 1);
    if (x >= 0 && x < 24) return day + <i64>(x * 3600 + least(m) * 60 + least(sec));
    return day + SECS_PER_DAY + <i64>(least(h) * 3600 + least(m) * 60 + least(sec));
  }

  // ── Flags, line and timer ────────────────────────────────────────────────

  // Accounts for what the divider did from the last sync to `now`. A clock
  // that went back (the guest set its TSC back) is accounted from there on:
  // waiting for it to pass the old time would leave PF clear and the timer
  // re-armed at every edge until then, a VM exit each, for as long as the
  // guest made it.
  private sync(now: u64): void {
    const s = this.s;
    const from = s.syncTsc;
    if (<i64>(now - from) <= 0) {
      s.syncTsc = now;
      return;
    }
    s.syncTsc = now;
    if (!this.chainRuns()) return;   // a stopped divider makes no edges and no updates
    let c = s.reg(RTC_REG_C);
    const rate = periodicHz(s.reg(RTC_REG_A));
    if (rate != 0 && (c & RTC_C_PF) == 0 && this.edges(now, rate) != this.edges(from, rate)) c |= RTC_C_PF;
    if ((s.reg(RTC_REG_B) & RTC_B_SET) == 0) {
      const s0 = this.secsAt(from);
      const s1 = this.secsAt(now);
      if (s1 != s0) {
        c |= RTC_C_UF;
        if ((c & RTC_C_AF) == 0 && this.alarmFrom(s0 + 1) <= s1) c |= RTC_C_AF;
      }
    }
    s.setReg(RTC_REG_C, c);
  }

  // The line follows IRQF; the timer waits for the next event that would
  // set it, if it is clear.
  private update(now: u64): void {
    const s = this.s;
    const b = s.reg(RTC_REG_B);
    const irqf = (s.reg(RTC_REG_C) & b & RTC_C_FLAGS) != 0;
    if (this.irq !== null) this.irq!.set(irqf);
    if (irqf || !this.chainRuns()) {
      this.timer.cancel();
      return;
    }
    // Candidates as distances from now: all lie after it.
    let best: u64 = u64.MAX_VALUE;
    const rate = periodicHz(s.reg(RTC_REG_A));
    if ((b & RTC_B_PIE) != 0 && rate != 0) best = this.nextEdge(now, rate) - now;
    if ((b & RTC_B_SET) == 0) {
      if ((b & RTC_B_UIE) != 0) {
        const d = this.nextBoundary(now) - now;
        if (d < best) best = d;
      }
      if ((b & RTC_B_AIE) != 0) {
        const x = this.alarmFrom(this.secsAt(now) + 1);
        if (x != i64.MAX_VALUE) {
          const d = s.chainTsc + <u64>((x - s.chainSecs) * <i64>this.hz()) - now;
          if (d < best) best = d;
        }
      }
    }
    if (best == u64.MAX_VALUE) this.timer.cancel();
    else this.timer.arm(now + best);
  }
}

// The first value at or above `x` a field allows (-1: none), and its least.
@inline function atLeast(f: i32, x: i32): i32 {
  return f == ALARM_ANY ? x : f >= x ? f : -1;
}

@inline function least(f: i32): i32 {
  return f == ALARM_ANY ? 0 : f;
}

// The CMOS bytes a PC BIOS leaves and firmware and loaders read (SeaBIOS,
// QEMU's pc_cmos_init): the memory sizes for `below4g` bytes of RAM from
// address 0 and `above4g` from 4 GiB, and the equipment byte (an FPU, a
// PS/2 mouse, no floppy). Creation time.
export function cmosWritePcLayout(rtc: RtcDevice, below4g: u64, above4g: u64): void {
  const KiB: u64 = 1024, MiB: u64 = 1024 * 1024;
  const base = min(below4g / KiB, 640);
  const ext = below4g > MiB ? min((below4g - MiB) / KiB, 0xffff) : 0;
  const mem16 = below4g > 16 * MiB ? min((below4g - 16 * MiB) / (64 * KiB), 0xffff) : 0;
  const high = min(above4g / (64 * KiB), 0xffffff);
  rtc.setRam(CMOS_EQUIPMENT, CMOS_EQUIPMENT_FPU | CMOS_EQUIPMENT_PS2_MOUSE);
  rtc.setRam(CMOS_BASE_MEM_LO, <u8>base);
  rtc.setRam(CMOS_BASE_MEM_HI, <u8>(base >> 8));
  rtc.setRam(CMOS_EXT_MEM_LO, <u8>ext);
  rtc.setRam(CMOS_EXT_MEM_HI, <u8>(ext >> 8));
  rtc.setRam(CMOS_EXT_MEM2_LO, <u8>ext);
  rtc.setRam(CMOS_EXT_MEM2_HI, <u8>(ext >> 8));
  rtc.setRam(CMOS_MEM_16M_LO, <u8>mem16);
  rtc.setRam(CMOS_MEM_16M_HI, <u8>(mem16 >> 8));
  rtc.setRam(CMOS_MEM_4G_LO, <u8>high);
  rtc.setRam(CMOS_MEM_4G_MID, <u8>(high >> 8));
  rtc.setRam(CMOS_MEM_4G_HI, <u8>(high >> 16));
}
