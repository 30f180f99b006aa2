// The ACPI fixed hardware registers a domain sees (ACPI 6.0, 4.8.3), at
// the ports its FADT names (src/devices/acpi-tables.ts):
//
//   0x600  PM1a_STS  u16  TMR_STS, PWRBTN_STS, WAK_STS; a 1 written clears
//   0x602  PM1a_EN   u16  TMR_EN, GBL_EN, PWRBTN_EN, SLPBTN_EN, RTC_EN, PCIEXP_WAKE_DIS
//   0x604  PM1a_CNT  u16  SCI_EN (reads 1), BM_RLD, SLP_TYP (12:10), SLP_EN (13, write-only)
//   0x606  -             nothing: reads ones, ignores writes
//   0x608  PM_TMR    u32  3.579545 MHz, 32 bits (TMR_VAL_EXT), read-only
//
// Byte, word and dword accesses at any offset decode the bytes they cover:
// the PM1 registers are read and written as bytes or words (4.8.3.1.1,
// 4.8.3.2.1), PM_TMR as a dword (4.8.3.3), and a chipset decodes the other
// widths the same way. The SCI is level-triggered: asserted while a status
// bit and its enable bit are both set (4.8.3.1).
//
// PM_TMR counts from the device's creation (or reset) on the guest's
// Clock: its value is ticksIn(now - start), computed afresh from the
// start each time, so it never drifts from the guest TSC. TMR_STS is set
// whenever bit 31 of the count changes (4.8.3.3), found on any access;
// while TMR_EN is set a timer on vCPU 0's TSC wakes the device at the next
// change, so the SCI comes on time (every 2^31 ticks, about 600 s).
//
// Sleeping: SLP_EN with SLP_TYP = DOMAIN_SLP_TYP_S5 (the DSDT's \_S5) is
// a power-off: write() returns DEV_POWEROFF. Any other SLP_TYP (the DSDT
// names no S1-S4) is not slept: the request ends at once, with WAK_STS
// set as after a wake, so an OS that waits for WAK_STS after SLP_EN (as
// the sleep sequence of Chapter 16 does, and Linux's) goes on.
//
// Only TMR_STS, PWRBTN_STS (powerButton(), from the host) and WAK_STS have
// sources. The other enable bits stick so that an OS's enable-and-read-back
// check passes (Linux's global lock and RTC event handlers), but their
// events never come.
//
// The state block (plain data, times on the guest TSC):
//
//   ┌───────────────────────────────────────────────────────┐ 0
//   │ sts      u16  PM1a_STS                                │ 0
//   │ en       u16  PM1a_EN                                 │ 2
//   │ cnt      u16  PM1a_CNT's stored bits: BM_RLD, SLP_TYP │ 4
//   │ reserved u16  0                                       │ 6
//   │ start    u64  guest TSC at which PM_TMR counted 0     │ 8
//   │ seen     u64  the count (not wrapped) TMR_STS is      │ 16
//   │               accounted up to                         │
//   └───────────────────────────────────────────────────────┘ 24 (ACPI_PM_BLOCK_SIZE)
//
// The timer's deadline is reckoned on the Clock (the domain's TSC) and
// waits on vCPU 0's, which differ only if vCPU 0 wrote IA32_TSC; a timer
// that fires early counts the change it was armed for (carry), and reads
// between then and the Clock's reaching it do not count it again.
//
// No allocation after creation.
import { Access, Device, DEV_OK, DEV_POWEROFF, WIDTH_1, WIDTH_2, WIDTH_4, widthMask } from "./device";
import { Clock, ticksIn, tscFor } from "./clock";
import { IrqLine } from "./irq";
import { Timer, TimerClient, TimerQueue } from "./timer";
import {
  PM1_TMR_STS, PM1_GBL_STS, PM1_PWRBTN_STS, PM1_SLPBTN_STS, PM1_RTC_STS, PM1_WAK_STS,
  PM1_TMR_EN, PM1_GBL_EN, PM1_PWRBTN_EN, PM1_SLPBTN_EN, PM1_RTC_EN, PM1_PCIEXP_WAKE_DIS,
  PM1_SCI_EN, PM1_BM_RLD, PM1_SLP_TYP_SHIFT, PM1_SLP_TYP_MASK, PM1_SLP_EN, PM_TMR_FREQUENCY,
  DOMAIN_PM1A_EVT_BLK, DOMAIN_PM1A_CNT_BLK, DOMAIN_PM_TMR_BLK, DOMAIN_PM_TMR_BITS, DOMAIN_PM_PORTS,
  DOMAIN_SLP_TYP_S5,
} from "../arch/acpi";

export const ACPI_PM_KIND: u32 = 0x4d504341;   // "ACPM"
const ACPI_PM_VERSION: u32 = 1;
export const ACPI_PM_BLOCK_SIZE: u32 = 24;

// Offsets from the base (DOMAIN_PM1A_EVT_BLK) of the registers' bytes.
const CNT_AT: u32 = <u32>(DOMAIN_PM1A_CNT_BLK - DOMAIN_PM1A_EVT_BLK);
const TMR_AT: u32 = <u32>(DOMAIN_PM_TMR_BLK - DOMAIN_PM1A_EVT_BLK);

const STS_BITS: u16 = PM1_TMR_STS | PM1_PWRBTN_STS | PM1_WAK_STS;
const EN_BITS: u16 = PM1_TMR_EN | PM1_GBL_EN | PM1_PWRBTN_EN | PM1_SLPBTN_EN | PM1_RTC_EN | PM1_PCIEXP_WAKE_DIS;
const CNT_BITS: u16 = PM1_BM_RLD | <u16>(PM1_SLP_TYP_MASK << PM1_SLP_TYP_SHIFT);
// The events that raise the SCI: status and enable bits at the same place
// (WAK_STS has no enable; PCIEXP_WAKE is a wake event, not an SCI).
const SCI_EVENTS: u16 = PM1_TMR_STS | PM1_GBL_STS | PM1_PWRBTN_STS | PM1_SLPBTN_STS | PM1_RTC_STS;

const TMR_MSB: u64 = <u64>DOMAIN_PM_TMR_BITS - 1;
const TMR_MASK: u64 = (<u64>1 << <u64>DOMAIN_PM_TMR_BITS) - 1;
const TMR_HALF: u64 = <u64>1 << TMR_MSB;

@unmanaged
export class AcpiPmState {
  sts: u16;
  en: u16;
  cnt: u16;
  reserved: u16;
  start: u64;
  seen: u64;
}

// The timer's client: the count's top bit is due to change.
class PmTimerCarry extends TimerClient {
  constructor(public pm: AcpiPm) {
    super();
  }

  expired(t: Timer): void {
    this.pm.carry();
  }
}

@final
export class AcpiPm extends Device {
  s: AcpiPmState = changetype<AcpiPmState>(heap.alloc(<usize>ACPI_PM_BLOCK_SIZE));
  private timer: Timer | null = null;
  // The count the armed timer is for (host state: follows from the block).
  private armedFor: u64 = 0;

  // `sci`: the SCI (ISA IRQ 9); `queue`: the domain's timers (the timer
  // belongs to vCPU 0).
  constructor(public clock: Clock, public sci: IrqLine, queue: TimerQueue) {
    super();
    this.timer = new Timer(queue, 0, new PmTimerCarry(this));
    this.reset();
  }

  kind(): u32 { return ACPI_PM_KIND; }
  name(): string { return "acpi-pm"; }
  version(): u32 { return ACPI_PM_VERSION; }
  block(): usize { return changetype<usize>(this.s); }
  blockSize(): u32 { return ACPI_PM_BLOCK_SIZE; }
  widths(): u32 { return WIDTH_1 | WIDTH_2 | WIDTH_4; }

  read(a: Access): u64 {
    const off = <u32>a.offset;
    if (off >= DOMAIN_PM_PORTS) return widthMask(a.width);
    const s = this.s;
    const t = this.ticks();
    this.account(t);
    let v: u64 = 0;
    if (off < TMR_AT) {
      const low = <u64>s.sts | (<u64>s.en << 16) | (<u64>(s.cnt | PM1_SCI_EN) << 32) | (<u64>0xffff << 48);
      v = low >> (<u64>off << 3);
    }
    if (off + a.width > TMR_AT) {
      const high = (t & TMR_MASK) | 0xffffffff00000000;
      v |= off >= TMR_AT ? high >> (<u64>(off - TMR_AT) << 3) : high << (<u64>(TMR_AT - off) << 3);
    }
    this.update();
    return v & widthMask(a.width);
  }

  write(a: Access, value: u64): u32 {
    const off = <u32>a.offset;
    if (off >= TMR_AT) return DEV_OK;     // PM_TMR is read-only
    const s = this.s;
    this.account(this.ticks());
    // The bytes of [0, 8) the write covers, and its value in place.
    const lanes = widthMask(a.width) << (<u64>off << 3);
    const v = value << (<u64>off << 3);
    s.sts &= ~<u16>(v & lanes);
    const enLanes = <u16>(lanes >> 16);
    s.en = ((s.en & ~enLanes) | (<u16>(v >> 16) & enLanes)) & EN_BITS;
    let result = DEV_OK;
    const cntLanes = <u16>(lanes >> (<u64>CNT_AT << 3));
    if (cntLanes != 0) {
      const c = (s.cnt & ~cntLanes) | (<u16>(v >> (<u64>CNT_AT << 3)) & cntLanes);
      s.cnt = c & CNT_BITS;
      if ((c & PM1_SLP_EN) != 0) result = this.sleep((<u32>c >> PM1_SLP_TYP_SHIFT) & PM1_SLP_TYP_MASK);
    }
    this.rearm();
    this.update();
    return result;
  }

  reset(): void {
    memory.fill(changetype<usize>(this.s), 0, <usize>ACPI_PM_BLOCK_SIZE);
    this.s.start = this.clock.now();
    this.timer!.cancel();
    this.update();
  }

  // The power button was pressed (the host asks for an orderly shutdown).
  powerButton(): void {
    this.s.sts |= PM1_PWRBTN_STS;
    this.update();
  }

  // The timer fired: the count's top bit changed at armedFor, whatever the
  // Clock says (vCPU 0's TSC may run ahead of it).
  carry(): void {
    const s = this.s;
    this.account(this.ticks());
    if (s.seen < this.armedFor) {
      s.seen = this.armedFor;
      s.sts |= PM1_TMR_STS;
    }
    this.rearm();
    this.update();
  }

  check(b: usize): string {
    const s = changetype<AcpiPmState>(b);
    if (s.reserved != 0) return "reserved field not 0";
    if ((s.sts & ~STS_BITS) != 0) return "PM1 status bits this model does not have";
    if ((s.en & ~EN_BITS) != 0) return "PM1 enable bits this model does not have";
    if ((s.cnt & ~CNT_BITS) != 0) return "PM1 control bits that are not stored";
    return "";
  }

  restored(): void {
    this.rearm();
    this.update();
  }

  // PM_TMR's count since start, not wrapped. A clock that went back more
  // than a change of bit 31 behind the count already seen (the guest set its
  // TSC back) starts the count again from it: else the timer, armed on the
  // old time, would fire at once and move on one change each time, a VM
  // exit each, until it caught up with the clock.
  private ticks(): u64 {
    const s = this.s;
    const now = this.clock.now();
    const t = now > s.start ? ticksIn(now - s.start, this.clock.hz(), PM_TMR_FREQUENCY) : 0;
    if (s.seen <= t || s.seen - t <= TMR_HALF) return t;
    s.start = now;
    s.seen = 0;
    this.armedFor = 0;
    return 0;
  }

  // TMR_STS if the count's top bit changed since the last look. `seen`
  // only goes forward: a timer that fired early has moved it to the change.
  private account(t: u64): void {
    const s = this.s;
    if (t <= s.seen) return;
    if ((t >> TMR_MSB) != (s.seen >> TMR_MSB)) s.sts |= PM1_TMR_STS;
    s.seen = t;
  }

  // While TMR_EN is set, the timer waits for the next change of the top bit.
  private rearm(): void {
    const s = this.s;
    const timer = this.timer!;
    if ((s.en & PM1_TMR_EN) == 0) {
      timer.cancel();
      return;
    }
    const next = ((s.seen >> TMR_MSB) + 1) << TMR_MSB;
    if (timer.armed && next == this.armedFor) return;
    this.armedFor = next;
    timer.arm(s.start + tscFor(next, this.clock.hz(), PM_TMR_FREQUENCY));
  }

  private sleep(slpTyp: u32): u32 {
    if (slpTyp == DOMAIN_SLP_TYP_S5) return DEV_POWEROFF;
    this.s.sts |= PM1_WAK_STS;
    return DEV_OK;
  }

  private update(): void {
    this.sci.set((this.s.sts & this.s.en & SCI_EVENTS) != 0);
  }
}
