// The Intel 8254 programmable interval timer a domain sees at ports
// 0x40-0x43, with the PC's system control port B (0x61), which gates
// channel 2 and reads its output: one device registered at both ranges
// (pitRegister; Access.address tells them apart). OUT0 drives IRQ0 through
// an interrupt line; OUT1 goes nowhere (the PC/AT's DRAM refresh); OUT2 is
// port 0x61 bit 5. Sections cited are the Intel 8254 data sheet's (231164).
//
// Time. The counters run on the 1.193182 MHz input clock derived from the
// guest's Clock: a counter keeps the guest TSC its counting sequence counts
// from and computes its position (input clocks since then) from the elapsed
// TSC whenever it is asked. Nothing is accumulated, so nothing drifts: the
// k-th clock of a sequence is at the same TSC however often the guest reads
// or the timer fires. A mode 2/3 reload at the end of a period moves the
// position by whole clocks and keeps the TSC it counts from.
//
// Positions. A count written at position 0 is loaded into the counting
// element on the next clock, position 1, which does not decrement it ("for
// an initial count of N, OUT does not go high until N + 1 CLK pulses after
// the initial count is written", Mode 0); each later clock decrements it
// (by two in mode 3). OUT, the count and OUT's rising edges are functions
// of the position and N (outAt, ceAt, riseAfter, riseUpTo).
//
// IRQ0. The PC's IRQ0 is edge triggered (8259A ICW1 LTIM = 0; through the
// I/O APIC, GSI 2 by the MADT's override, edge and active high as ISA
// interrupts are): what it takes from OUT0 are rising edges. A write that moves OUT0 (a control word, a mode 0 count)
// sets the line to OUT0 at once, as on the chip. The Timer is armed for the
// next rising edge the sequence makes and pulses the line (low, then high)
// there, so the one-clock low of modes 2 and 4 and mode 3's low half need
// no expiry of their own (between edges the line may stay high while OUT0
// is low). Channel 2 has no timer: its OUT and count are computed when read.
//
// Late expiries coalesce. A guest that does not take its timer in time (its
// vCPU was descheduled, its timer served late) gets every rising edge since
// the last one reported as one edge, and the timer re-arms for the next
// edge still to come: no storm of catch-up interrupts. No time is lost with
// them: the count and OUT the guest reads follow its TSC exactly, so a
// guest that keeps time by reading a clock (Linux's jiffies from its
// clocksource, its i8253 clocksource from the latched count) stays right.
// KVM's in-kernel PIT re-injects missed ticks by default and coalesces with
// reinjection off (QEMU's kvm-pit lost_tick_policy=discard); this is the
// latter. `coalesced` counts the edges merged.
//
// The state block (offsets in bytes), plain data saved and restored as it
// is (src/devices/device.ts):
//
//   ┌─────────────────────────────────────┐ 0
//   │ counter 0   PitChannel, 56 bytes    │
//   ├─────────────────────────────────────┤ 56
//   │ counter 1                           │
//   ├─────────────────────────────────────┤ 112
//   │ counter 2                           │
//   ├─────────────────────────────────────┤ 168 (PIT_TAIL)
//   │ portB u8  line u8  reserved u8[6]   │ port 0x61 bits 3:0; IRQ0's level
//   └─────────────────────────────────────┘ 176 (PIT_BLOCK_SIZE)
//
// A counter:
//
//   0  since    u64  guest TSC its sequence counts from
//   8  base     i64  the sequence's position at `since` (input clocks)
//   16 reloadAt i64  modes 2, 3: position that loads the count written (0: the next trigger does)
//   24 edgeAt   i64  counter 0: position of the last rising edge reported on IRQ0 (0: none)
//   32 count    u32  N of the sequence in clocks: 1..65536 (BCD 1..16665)
//   36 cr u16, ol u16, frozen u16   count register, output latch, the counting element while idle
//   42 ctrl phase running pending wff rff lsb latched statusLatched status gate   u8 each
//   53 reserved u8, u16
import { Access, Device, DEV_OK } from "./device";
import { Bus } from "./bus";
import { Clock, ticksIn, tscFor } from "./clock";
import { IrqLine } from "./irq";
import { Timer, TimerClient, TimerQueue } from "./timer";
import { dec } from "../lib/str";
import {
  PIT_HZ, PIT_CHANNEL0, PIT_COMMAND, PIT_PORTS, PIT_CHANNELS,
  PIT_CW_SC_SHIFT, PIT_CW_SC_READBACK, PIT_CW_RW_SHIFT, PIT_CW_RW_MASK, PIT_RW_LSB, PIT_RW_MSB, PIT_RW_LSB_MSB,
  PIT_CW_MODE_SHIFT, PIT_CW_MODE_MASK, PIT_CW_BCD, PIT_CW_PROGRAM,
  PIT_MODE_TERMINAL_COUNT, PIT_MODE_ONE_SHOT, PIT_MODE_RATE, PIT_MODE_SQUARE, PIT_MODE_SW_STROBE, PIT_MODE_HW_STROBE,
  PIT_RB_NO_COUNT, PIT_RB_NO_STATUS, PIT_RB_CNT0, PIT_STATUS_OUT, PIT_STATUS_NULL_COUNT,
  PIT_BINARY_MAX, PIT_BCD_MAX,
  PORT_B, PORT_B_GATE2, PORT_B_WRITABLE, PORT_B_REFRESH, PORT_B_OUT2, PIT_REFRESH_COUNT,
} from "../arch/pit";

export const PIT_CHANNEL_SIZE: u32 = 56;
export const PIT_TAIL: u32 = PIT_CHANNEL_SIZE * PIT_CHANNELS;
export const PIT_BLOCK_SIZE: u32 = PIT_TAIL + 8;
const TAIL_PORT_B: u32 = 0;
const TAIL_LINE: u32 = 1;

// A counter's phase.
const IDLE: u8 = 0;  // control word written, no count yet: not counting
const WAIT: u8 = 1;  // modes 1, 5: count written, waiting for a trigger (GATE rising)
const RUN: u8 = 2;   // a sequence runs from `since`

// Positions a block may hold: beyond any run (2^62 clocks is 122,000
// years), small enough that sums of them cannot overflow.
const POS_MAX: i64 = 1 << 62;
// A BCD count of four digits 0xF: a decade counts down from its value.
const BCD_COUNT_MAX: u32 = 16665;
// The shortest time between two expiries of the timer (see expired()).
export const PIT_MIN_PERIOD_US: u64 = 100;

@unmanaged
export class PitChannel {
  since: u64;
  base: i64;
  reloadAt: i64;
  edgeAt: i64;
  count: u32;
  cr: u16;
  ol: u16;
  frozen: u16;
  ctrl: u8;
  phase: u8;
  running: u8;
  pending: u8;
  wff: u8;
  rff: u8;
  lsb: u8;
  latched: u8;
  statusLatched: u8;
  status: u8;
  gate: u8;
  reserved0: u8;
  reserved1: u16;

  // Modes 6 and 7 are modes 2 and 3 (Control Word Format: M2 is "don't care").
  @inline mode(): u32 {
    const m = (<u32>this.ctrl & PIT_CW_MODE_MASK) >> PIT_CW_MODE_SHIFT;
    return m >= 6 ? m - 4 : m;
  }

  @inline rw(): u32 {
    return (<u32>this.ctrl & PIT_CW_RW_MASK) >> PIT_CW_RW_SHIFT;
  }

  @inline bcd(): bool {
    return (this.ctrl & PIT_CW_BCD) != 0;
  }

  // The count register in clocks; 0 is the largest count. A BCD digit
  // above 9 counts as its value (the decade counts down from it to 9).
  initial(): u32 {
    const cr = <u32>this.cr;
    if (!this.bcd()) return cr != 0 ? cr : PIT_BINARY_MAX;
    const v = (cr >> 12) * 1000 + ((cr >> 8) & 15) * 100 + ((cr >> 4) & 15) * 10 + (cr & 15);
    return v != 0 ? v : PIT_BCD_MAX;
  }

  // Input clocks since the sequence's count was written.
  pos(now: u64, hz: u64): i64 {
    if (this.running == 0) return this.base;
    const dt = now - this.since;
    // A guest that moved its TSC back before `since` finds the counter waiting.
    if (<i64>dt <= 0) return this.base;
    return this.base + <i64>ticksIn(dt, hz, PIT_HZ);
  }

  // ── The sequence at position p (Mode Definitions) ──────────────────────

  outAt(p: i64): bool {
    const n = <i64>this.count;
    switch (this.mode()) {
      case PIT_MODE_TERMINAL_COUNT: return p > n;                  // low until the count reaches 0
      case PIT_MODE_ONE_SHOT: return p < 1 || p > n;               // low for N clocks after the trigger
      case PIT_MODE_RATE: return n < 2 || p < n || p % n != 0;     // low for the clock the count is 1
      case PIT_MODE_SQUARE: return n < 2 || p < 1 || (p - 1) % n < (n + 1) >> 1; // high ceil(N/2), low floor(N/2)
      default: return p != n + 1;                                  // modes 4, 5: low for one clock at 0
    }
  }

  // The counting element, in clocks. A count of 1 in modes 2 and 3 is
  // illegal; it holds 1 and OUT stays high.
  ceAt(p: i64): u32 {
    const n = <i64>this.count;
    if (p < 1) return <u32>n;                                      // not loaded yet
    switch (this.mode()) {
      case PIT_MODE_RATE: return n < 2 ? 1 : <u32>(n - (p - 1) % n);  // N down to 1, then reloaded
      case PIT_MODE_SQUARE: {
        if (n < 2) return 1;
        const q = (p - 1) % n;
        if ((n & 1) == 0) return <u32>(n - 2 * (q % (n >> 1)));  // even: N, N-2 .. 2 in each half
        const h = (n + 1) >> 1;                                    // odd: N-1 .. 0 high, N-1 .. 2 low
        return <u32>(n - 1 - 2 * (q < h ? q : q - h));
      }
      default: {
        // Modes 0, 1, 4, 5 go on counting past 0, wrapping at 2^16 or 10^4.
        const m: i64 = this.bcd() ? PIT_BCD_MAX : PIT_BINARY_MAX;
        return <u32>((n % m + m - (p - 1) % m) % m);
      }
    }
  }

  // Position of the first rising edge of OUT after position p, 0 if none.
  riseAfter(p: i64): i64 {
    const n = <i64>this.count;
    switch (this.mode()) {
      case PIT_MODE_TERMINAL_COUNT:
      case PIT_MODE_ONE_SHOT: return p < n + 1 ? n + 1 : 0;
      case PIT_MODE_RATE:
      case PIT_MODE_SQUARE: {
        if (n < 2) return 0;
        return p < n + 1 ? n + 1 : ((p - 1) / n + 1) * n + 1;      // every period ends with one
      }
      default: return p < n + 2 ? n + 2 : 0;                       // the end of the strobe
    }
  }

  // Position of the last rising edge at or before p, 0 if none.
  riseUpTo(p: i64): i64 {
    const n = <i64>this.count;
    switch (this.mode()) {
      case PIT_MODE_TERMINAL_COUNT:
      case PIT_MODE_ONE_SHOT: return p >= n + 1 ? n + 1 : 0;
      case PIT_MODE_RATE:
      case PIT_MODE_SQUARE: return n < 2 || p < n + 1 ? 0 : ((p - 1) / n) * n + 1;
      default: return p >= n + 2 ? n + 2 : 0;
    }
  }

  // Rising edges in (a, b].
  risesIn(a: i64, b: i64): u64 {
    const m = this.mode();
    const n = <i64>this.count;
    if ((m == PIT_MODE_RATE || m == PIT_MODE_SQUARE) && n >= 2) {
      const ka = a < n + 1 ? 0 : (a - 1) / n;
      const kb = b < n + 1 ? 0 : (b - 1) / n;
      return kb > ka ? <u64>(kb - ka) : 0;
    }
    return this.riseUpTo(b) > a ? 1 : 0;
  }

  // ── What the guest reads ────────────────────────────────────────────────

  out(now: u64, hz: u64): bool {
    const m = this.mode();
    // A control word sets OUT low in mode 0, high in the others.
    if (this.phase == IDLE) return m != PIT_MODE_TERMINAL_COUNT;
    if (this.phase == WAIT) return true;
    // Mode 0: writing the first byte of a new count sets OUT low.
    if (m == PIT_MODE_TERMINAL_COUNT && this.wff != 0) return false;
    // Modes 2, 3: GATE low sets OUT high.
    if ((m == PIT_MODE_RATE || m == PIT_MODE_SQUARE) && this.gate == 0) return true;
    return this.outAt(this.pos(now, hz));
  }

  ce(now: u64, hz: u64): u16 {
    if (this.phase != RUN) return this.frozen;
    return this.show(this.ceAt(this.pos(now, hz)));
  }

  // A count as the chip holds it: 16 bits, or four BCD digits.
  show(v: u32): u16 {
    if (!this.bcd()) return <u16>v;
    const d = v % PIT_BCD_MAX;
    return <u16>(((d / 1000) << 12) | (((d / 100) % 10) << 8) | (((d / 10) % 10) << 4) | (d % 10));
  }

  // Null count: the count last written is not yet in the counting element.
  nullCount(now: u64, hz: u64): bool {
    return this.phase != RUN || this.pending != 0 || this.pos(now, hz) < 1;
  }

  // ── Guest accesses ──────────────────────────────────────────────────────

  // A read of the counter's port (Read Operations): a latched status first,
  // then a latched count, else the counting element as it is now.
  read(now: u64, hz: u64): u8 {
    if (this.statusLatched != 0) {
      this.statusLatched = 0;
      return this.status;
    }
    let v: u16;
    if (this.latched != 0) {
      v = this.ol;
      this.latched--;
    } else {
      v = this.ce(now, hz);
    }
    switch (this.rw()) {
      case PIT_RW_LSB: return <u8>v;
      case PIT_RW_MSB: return <u8>(v >> 8);
      default: {
        const b = this.rff == 0 ? <u8>v : <u8>(v >> 8);
        this.rff ^= 1;
        return b;
      }
    }
  }

  // A write of the counter's port (Write Operations).
  write(v: u8, now: u64, hz: u64): void {
    switch (this.rw()) {
      case PIT_RW_LSB: this.cr = v; break;
      case PIT_RW_MSB: this.cr = <u16>v << 8; break;
      default: {
        if (this.wff == 0) {
          this.lsb = v;
          this.wff = 1;
          // Mode 0: writing the first byte disables counting.
          if (this.mode() == PIT_MODE_TERMINAL_COUNT && this.phase == RUN) {
            this.base = this.pos(now, hz);
            this.running = 0;
          }
          return;
        }
        this.cr = <u16>this.lsb | (<u16>v << 8);
        this.wff = 0;
      }
    }
    this.loadCount(now, hz);
  }

  // A control word for this counter: "all Control Logic is immediately
  // reset"; a new count must be written before it counts again. The count
  // and status latches go with it (a latched count is held "until it is
  // read or the Counter is reprogrammed").
  control(v: u8, now: u64, hz: u64): void {
    this.frozen = this.ce(now, hz);
    this.ctrl = v & PIT_CW_PROGRAM;
    this.count = this.initial();
    this.phase = IDLE;
    this.since = 0;
    this.base = 0;
    this.reloadAt = 0;
    this.edgeAt = 0;
    this.running = 0;
    this.pending = 0;
    this.wff = 0;
    this.rff = 0;
    this.latched = 0;
    this.statusLatched = 0;
  }

  // Counter Latch Command (and the read-back's COUNT bit): a second latch
  // before the first is read is ignored.
  latchCount(now: u64, hz: u64): void {
    if (this.latched != 0) return;
    this.ol = this.ce(now, hz);
    this.latched = this.rw() == PIT_RW_LSB_MSB ? 2 : 1;
  }

  // Read-Back Command, STATUS bit: the status byte, unless one is latched.
  latchStatus(now: u64, hz: u64): void {
    if (this.statusLatched != 0) return;
    let s = this.ctrl;
    if (this.out(now, hz)) s |= PIT_STATUS_OUT;
    if (this.nullCount(now, hz)) s |= PIT_STATUS_NULL_COUNT;
    this.status = s;
    this.statusLatched = 1;
  }

  // GATE went to `g` (counter 2 only: port 0x61 bit 0). The caller has
  // settled the counter.
  setGate(g: u8, now: u64, hz: u64): void {
    if (g == this.gate) return;
    const p = this.pos(now, hz);
    this.gate = g;
    if (this.phase == IDLE) return;
    switch (this.mode()) {
      case PIT_MODE_TERMINAL_COUNT:
      case PIT_MODE_SW_STROBE: {
        // GATE = 0 disables counting, GATE = 1 enables it.
        if (g == 0) {
          if (this.running != 0) {
            this.base = max<i64>(p, 1);
            this.running = 0;
          }
        } else if (this.mode() != PIT_MODE_TERMINAL_COUNT || this.wff == 0) {
          this.since = now;
          this.running = 1;
        }
        break;
      }
      case PIT_MODE_RATE:
      case PIT_MODE_SQUARE: {
        // GATE low stops counting (and sets OUT high); a trigger reloads
        // the count register, a new count too, on the next clock.
        if (g == 0) {
          this.base = max<i64>(p, 1);
          this.running = 0;
          this.reloadAt = 0;
        } else {
          this.start(now);
        }
        break;
      }
      default: {
        // Modes 1, 5: a trigger loads the count register on the next clock.
        if (g != 0) this.start(now);
      }
    }
  }

  // A mode 2/3 reload that has come due: the count written while counting
  // is loaded at the end of the period (mode 2) or half-cycle (mode 3).
  // Returns the rising edges of the sequence it ends not yet reported.
  settle(now: u64, hz: u64): u64 {
    if (this.pending == 0 || this.reloadAt <= 0 || this.running == 0) return 0;
    const e = this.reloadAt;
    if (this.pos(now, hz) < e) return 0;
    const missed = this.risesIn(this.edgeAt, e);
    const pe = this.reloadPos();
    this.count = this.initial();
    this.base += pe - e;
    this.edgeAt = 0;
    this.pending = 0;
    this.reloadAt = 0;
    return missed;
  }

  // The position of the new sequence where the pending count is loaded:
  // the start of a period, or in mode 3 the start of its low half when the
  // old sequence was ending its high half.
  reloadPos(): i64 {
    if (this.mode() != PIT_MODE_SQUARE || (this.reloadAt - 1) % <i64>this.count == 0) return 1;
    return 1 + ((<i64>this.initial() + 1) >> 1);
  }

  // The first rising edge of the sequence the pending count starts, as a
  // position of the current one; 0 if it makes none.
  riseAfterReload(): i64 {
    const n = <i64>this.initial();
    if (n < 2) return 0;
    return this.reloadAt + (n + 1 - this.reloadPos());
  }

  // ── Internals ───────────────────────────────────────────────────────────

  // A whole count was written.
  private loadCount(now: u64, hz: u64): void {
    const m = this.mode();
    if (m == PIT_MODE_ONE_SHOT || m == PIT_MODE_HW_STROBE) {
      // The next trigger loads it; a one-shot under way is not affected.
      if (this.phase == IDLE) {
        this.phase = WAIT;
      } else if (this.phase == RUN) {
        this.pending = 1;
        this.reloadAt = 0;
      }
      return;
    }
    if (this.phase == IDLE || m == PIT_MODE_TERMINAL_COUNT || m == PIT_MODE_SW_STROBE) {
      // Loaded on the next clock; counting goes on from the new count.
      this.start(now);
      return;
    }
    // Modes 2, 3: the current period is not affected.
    const p = this.pos(now, hz);
    if (p < 1) {
      this.count = this.initial();   // not loaded yet: the next clock loads this one
      return;
    }
    this.pending = 1;
    this.reloadAt = this.running != 0 ? this.periodEnd(p) : 0;
  }

  // The first position after p that ends a period (mode 2: the clock that
  // reloads the counting element) or a half-cycle (mode 3).
  private periodEnd(p: i64): i64 {
    const n = <i64>this.count;
    const start = ((p - 1) / n) * n + 1;
    if (this.mode() == PIT_MODE_RATE) return start + n;
    const half = start + ((n + 1) >> 1);
    return half > p ? half : start + n;
  }

  // A sequence from the count register, counting from `now`.
  private start(now: u64): void {
    this.phase = RUN;
    this.count = this.initial();
    this.since = now;
    this.base = 0;
    this.reloadAt = 0;
    this.edgeAt = 0;
    this.pending = 0;
    this.running = this.gate;
    // A count written with GATE low is still loaded on the next clock
    // (Mode 0); counting then waits for GATE.
    if (this.gate == 0) this.base = 1;
  }
}

// What restore may accept for counter `i`: "" or what is wrong.
function checkChannel(c: PitChannel, i: u32, portB: u8): string {
  if ((c.ctrl & ~PIT_CW_PROGRAM) != 0 || (c.ctrl & PIT_CW_RW_MASK) == 0) return "control word out of range";
  if (c.phase > RUN) return "phase out of range";
  const m = c.mode();
  if (c.phase == WAIT && m != PIT_MODE_ONE_SHOT && m != PIT_MODE_HW_STROBE) return "waits for a trigger in mode " + dec(m);
  if (c.count == 0 || c.count > (c.bcd() ? BCD_COUNT_MAX : PIT_BINARY_MAX)) return "count out of range";
  if ((c.running | c.pending | c.wff | c.rff | c.statusLatched | c.gate) > 1) return "flag not 0 or 1";
  if (<u32>c.latched > (c.rw() == PIT_RW_LSB_MSB ? 2 : 1)) return "more latched bytes than its format reads";
  if (c.wff != 0 && c.rw() != PIT_RW_LSB_MSB) return "half-written count in a one-byte format";
  if (i == 2 ? c.gate != (portB & PORT_B_GATE2) : c.gate != 1) {
    return i == 2 ? "gate differs from port 0x61 bit 0" : "gate low (it is tied high)";
  }
  if (c.phase != RUN && (c.running | c.pending) != 0) return "counting without a sequence";
  if (c.base < -POS_MAX || c.base > POS_MAX || c.reloadAt < 0 || c.reloadAt > POS_MAX || c.edgeAt < 0 || c.edgeAt > POS_MAX) {
    return "position out of range";
  }
  if (c.reloadAt != 0 && (c.pending == 0 || (m != PIT_MODE_RATE && m != PIT_MODE_SQUARE))) return "reload without a pending count";
  if (i != 0 && c.edgeAt != 0) return "edge reported without an interrupt line";
  if (c.reserved0 != 0 || c.reserved1 != 0) return "reserved bytes not 0";
  return "";
}

export const PIT_KIND: u32 = 0x34353238;   // "8254"
const PIT_VERSION: u32 = 1;
// After reset: RW = LSB then MSB, mode 0, binary.
const RESET_CTRL: u8 = <u8>(PIT_RW_LSB_MSB << PIT_CW_RW_SHIFT) | <u8>(PIT_MODE_TERMINAL_COUNT << PIT_CW_MODE_SHIFT);

@final
class PitTimer extends TimerClient {
  pit: PitDevice | null = null;

  expired(t: Timer): void {
    if (this.pit !== null) this.pit!.expired();
  }
}

@final
export class PitDevice extends Device {
  private s: usize = heap.alloc(<usize>PIT_BLOCK_SIZE);
  private timer: Timer;
  private deadline: u64 = 0;   // what the timer is armed for (an expiry clears the Timer's)
  // Host statistics, not saved: edges delivered on IRQ0, and the further
  // rising edges of OUT0 merged into them by late expiries.
  edges: u64 = 0;
  coalesced: u64 = 0;

  // `irq`: IRQ0 (null: OUT0 drives nothing and no timer runs); the timer
  // waits on `queue` on vCPU `vcpu`'s TSC, which `clock` must read, and
  // expires at most every `minPeriodUs` microseconds (0: every edge).
  constructor(public irq: IrqLine | null, queue: TimerQueue, vcpu: u32, public clock: Clock,
    private minPeriodUs: u64 = PIT_MIN_PERIOD_US) {
    super();
    const client = new PitTimer();
    this.timer = new Timer(queue, vcpu, client);
    client.pit = this;
    this.reset();
  }

  kind(): u32 { return PIT_KIND; }
  name(): string { return "i8254"; }
  version(): u32 { return PIT_VERSION; }
  block(): usize { return this.s; }
  blockSize(): u32 { return PIT_BLOCK_SIZE; }

  @inline channel(i: u32): PitChannel {
    return changetype<PitChannel>(this.s + <usize>(i * PIT_CHANNEL_SIZE));
  }

  // The guest TSC the armed timer waits for, 0 if none.
  get timerDeadline(): u64 {
    return this.timer.armed ? this.deadline : 0;
  }

  read(a: Access): u64 {
    const now = this.clock.now();
    const hz = this.hz();
    if (a.address == <u64>PORT_B) return this.readPortB(now, hz);
    const i = a.address - <u64>PIT_CHANNEL0;
    if (i >= <u64>PIT_CHANNELS) return 0xff;   // the control word register: A1 A0 = 11 reads float
    this.settle(<u32>i, now, hz);
    return this.channel(<u32>i).read(now, hz);
  }

  write(a: Access, value: u64): u32 {
    const now = this.clock.now();
    const hz = this.hz();
    const v = <u8>value;
    if (a.address == <u64>PORT_B) {
      this.writePortB(v, now, hz);
    } else if (a.address == <u64>PIT_COMMAND) {
      this.command(v, now, hz);
    } else {
      const i = a.address - <u64>PIT_CHANNEL0;
      if (i < <u64>PIT_CHANNELS) {
        this.settle(<u32>i, now, hz);
        this.channel(<u32>i).write(v, now, hz);
        if (i == 0) this.follow0(now, hz);
      }
    }
    return DEV_OK;
  }

  // Every counter stopped and OUT0 low, as after a mode 0 control word
  // without a count (the data sheet leaves the state after power-up
  // undefined; this is what Linux leaves an unused PIT in): no timer runs
  // and IRQ0 stays quiet until the guest programs counter 0. GATE2 is low.
  reset(): void {
    this.timer.cancel();
    this.deadline = 0;
    memory.fill(this.s, 0, <usize>PIT_BLOCK_SIZE);
    for (let i: u32 = 0; i < PIT_CHANNELS; i++) {
      const c = this.channel(i);
      c.ctrl = RESET_CTRL;
      c.count = PIT_BINARY_MAX;
      c.gate = i == 2 ? 0 : 1;
    }
    this.setLine(false);
  }

  check(b: usize): string {
    const portB = load<u8>(b + PIT_TAIL + TAIL_PORT_B);
    for (let i: u32 = 0; i < PIT_CHANNELS; i++) {
      const bad = checkChannel(changetype<PitChannel>(b + <usize>(i * PIT_CHANNEL_SIZE)), i, portB);
      if (bad.length != 0) return "counter " + dec(i) + ": " + bad;
    }
    if ((portB & ~PORT_B_WRITABLE) != 0) return "port 0x61 read-only bits set";
    if (load<u8>(b + PIT_TAIL + TAIL_LINE) > 1) return "IRQ0 level not 0 or 1";
    for (let o: u32 = TAIL_LINE + 1; o < PIT_BLOCK_SIZE - PIT_TAIL; o++) {
      if (load<u8>(b + PIT_TAIL + o) != 0) return "reserved bytes not 0";
    }
    return "";
  }

  // IRQ0 back at its saved level, the timer at the next edge not yet
  // reported (at once if it is due).
  restored(): void {
    if (this.irq !== null) this.irq!.set(load<u8>(this.s + PIT_TAIL + TAIL_LINE) != 0);
    this.arm(this.hz());
  }

  // The timer's deadline passed.
  expired(): void {
    // The timer's own time base says it is due: take the deadline as now if
    // the clock reads earlier, so that every expiry makes progress.
    let now = this.clock.now();
    if (<i64>(now - this.deadline) < 0) now = this.deadline;
    const hz = this.hz();
    // The next expiry no sooner than minPeriodUs from now (KVM's
    // i8254 bounds the period too): a count of 1 would otherwise fire every
    // 838 ns of the guest's time; the edges in between coalesce into one.
    this.service(now, hz, this.minPeriodUs != 0 ? now + tscFor(this.minPeriodUs, hz, 1000000) : 0);
  }

  // ── Internals ───────────────────────────────────────────────────────────

  @inline private hz(): u64 {
    const hz = this.clock.hz();
    return hz != 0 ? hz : 1;
  }

  // Brings counter i up to `now` before an access: counter 0 reports its
  // due edges, the others load a count come due.
  private settle(i: u32, now: u64, hz: u64): void {
    if (i == 0) this.service(now, hz);
    else this.channel(i).settle(now, hz);
  }

  private command(v: u8, now: u64, hz: u64): void {
    const sc = <u32>v >> PIT_CW_SC_SHIFT;
    if (sc == PIT_CW_SC_READBACK) {
      // Read-Back Command: latch count and/or status of each counter selected.
      for (let i: u32 = 0; i < PIT_CHANNELS; i++) {
        if ((<u32>v & (<u32>PIT_RB_CNT0 << i)) == 0) continue;
        this.settle(i, now, hz);
        const c = this.channel(i);
        if ((v & PIT_RB_NO_COUNT) == 0) c.latchCount(now, hz);
        if ((v & PIT_RB_NO_STATUS) == 0) c.latchStatus(now, hz);
      }
      return;
    }
    this.settle(sc, now, hz);
    const c = this.channel(sc);
    if ((v & PIT_CW_RW_MASK) == 0) {
      c.latchCount(now, hz);
      return;
    }
    c.control(v, now, hz);
    if (sc == 0) this.follow0(now, hz);
  }

  private readPortB(now: u64, hz: u64): u64 {
    const c = this.channel(2);
    c.settle(now, hz);
    let v = <u32>load<u8>(this.s + PIT_TAIL + TAIL_PORT_B);
    if (((ticksIn(now, hz, PIT_HZ) / PIT_REFRESH_COUNT) & 1) != 0) v |= PORT_B_REFRESH;
    if (c.out(now, hz)) v |= PORT_B_OUT2;
    return v;
  }

  private writePortB(v: u8, now: u64, hz: u64): void {
    store<u8>(this.s + PIT_TAIL + TAIL_PORT_B, v & PORT_B_WRITABLE);
    const c = this.channel(2);
    c.settle(now, hz);
    c.setGate(v & PORT_B_GATE2, now, hz);
  }

  // Counter 0 at `now`: the rising edges of OUT0 since the last reported,
  // as one edge on IRQ0; then the timer for the next.
  private service(now: u64, hz: u64, notBefore: u64 = 0): void {
    const c = this.channel(0);
    if (c.phase == RUN) {
      let n = c.settle(now, hz);
      const p = c.pos(now, hz);
      const k = c.risesIn(c.edgeAt, p);
      if (k != 0) c.edgeAt = c.riseUpTo(p);
      n += k;
      if (n != 0) {
        this.edges++;
        this.coalesced += n - 1;
        this.setLine(false);
        this.setLine(true);
      }
    }
    this.arm(hz, notBefore);
  }

  // After a write to counter 0: IRQ0 takes OUT0's new level, the timer the
  // new sequence's next edge.
  private follow0(now: u64, hz: u64): void {
    this.setLine(this.channel(0).out(now, hz));
    this.arm(hz);
  }

  // Arms the timer for counter 0's next rising edge not yet reported, or
  // for `notBefore` (a TSC, 0 none) if that is later.
  private arm(hz: u64, notBefore: u64 = 0): void {
    const c = this.channel(0);
    let next: i64 = 0;
    if (this.irq !== null && c.phase == RUN && c.running != 0) {
      next = c.riseAfter(c.edgeAt);
      if (c.pending != 0 && c.reloadAt > 0 && (next == 0 || next > c.reloadAt)) next = c.riseAfterReload();
    }
    if (next == 0) {
      this.timer.cancel();
      this.deadline = 0;
      return;
    }
    const d = next - c.base;
    this.deadline = c.since + (d > 0 ? tscFor(<u64>d, hz, PIT_HZ) : 0);
    if (<i64>(notBefore - this.deadline) > 0) this.deadline = notBefore;
    if (this.deadline == 0) this.deadline = 1;   // as Timer.arm takes it
    this.timer.arm(this.deadline);
  }

  private setLine(level: bool): void {
    store<u8>(this.s + PIT_TAIL + TAIL_LINE, level ? 1 : 0);
    if (this.irq !== null) this.irq!.set(level);
  }
}

// Claims counters' ports and port B on the port bus `ports` for `pit`:
// false if either range is taken. Creation time.
export function pitRegister(ports: Bus, pit: PitDevice): bool {
  return ports.register(PIT_CHANNEL0, PIT_PORTS, pit) && ports.register(PORT_B, 1, pit);
}
