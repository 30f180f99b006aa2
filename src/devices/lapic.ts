// The local APIC of one vCPU (SDM Vol. 3A Chapter 11): xAPIC registers in
// a 4 KiB MMIO page at IA32_APIC_BASE, the same registers as the x2APIC
// MSRs 800H-8FFH, the timer in one-shot, periodic and TSC-deadline mode on
// a device Timer, and interrupt messages in and out through the domain's
// ApicBus. A pure state machine: the CPU side (VMX) asks it what to inject
// (highestDeliverable, accept, the take* methods) and turns what it reports
// into #GP, NMI, INIT, SIPI and ExtINT. No allocation after creation.
//
// The state block is the register page itself followed by what the page
// cannot hold, page first and 4 KiB aligned, so that the integrator can use
// block() as the VMCS virtual-APIC page: every register lives at its xAPIC
// offset (the x2APIC ICR as one u64 at 300H, as VMX's x2APIC virtualization
// keeps it), and IRR, ISR, TMR, TPR and PPR are read from the page every
// time, never cached, so what the processor writes there (virtual-interrupt
// delivery, EOI and TPR virtualization) is what the model sees. The timer's
// configuration has a shadow in LapicState: an APIC-write exit reports a
// write the processor has already stored over the old value.
//
//   ┌──────────────────────────────────────────┐ 0 (block(): 4 KiB aligned)
//   │ register page, xAPIC layout (Table 11-1) │   a register at the start of
//   │ 020 ID  030 version  080 TPR  0A0 PPR    │   each 16-byte slot; the rest
//   │ 0D0 LDR 0E0 DFR 0F0 SVR 100 ISR 180 TMR  │   of every slot and every
//   │ 200 IRR 280 ESR 300 ICR 320-370 LVT      │   reserved slot is 0
//   │ 380 initial count  3E0 divide            │
//   ├──────────────────────────────────────────┤ 4096 (LAPIC_STATE)
//   │ LapicState                               │
//   ├──────────────────────────────────────────┤ LAPIC_POSTED
//   │ posted: 256 bits, vector v at bit v      │
//   └──────────────────────────────────────────┘ LAPIC_BLOCK_SIZE
//
// With virtual-interrupt delivery the processor running the vCPU owns IRR:
// it clears the bit of each vector it delivers and sets those of SELF IPIs,
// without a lock, while another CPU's exit handler may be sending this APIC
// an interrupt. A vector received then waits in `posted` (what posted-
// interrupt processing keeps in its descriptor, 30.6), which only the
// hypervisor touches, and enters IRR before the vCPU's next VM entry
// (takePosted). The model counts posted vectors as requested.
//
// Choices where the SDM leaves room, or where this model departs from it:
// - Version 14H, 6 LVT entries (max LVT entry 5: timer, thermal,
//   performance, LINT0, LINT1, error; no CMCI, 2F0H is reserved), no EOI-
//   broadcast suppression (version bit 24 clear, SVR bit 12 reserved).
// - The timer counts at the guest TSC rate divided by the divide
//   configuration (Linux calibrates it against the TSC or the PIT). A
//   periodic timer with a period under LAPIC_TIMER_MIN_PERIOD_US is served
//   at most that often: the periods in between coalesce in the one IRR bit
//   (counted in timerCoalesced), the count itself stays in phase.
// - xAPIC MMIO: only a 32-bit write at a 16-byte aligned offset writes a
//   register; any other write is dropped (counted in ignored). A read of
//   any width returns the bytes of the page as if each slot were its 32-bit
//   register followed by 12 bytes of 0, and has no side effect beyond what
//   the registers themselves have. A read or write of a reserved register
//   sets ESR "illegal register address" (11.5.3). Outside xAPIC mode the
//   page is not decoded: reads all ones, writes dropped.
// - Delivery is immediate: ICR and LVT delivery status always read 0.
// - Lowest-priority messages are taken as fixed; choosing one target is
//   the bus's (ppr() and tpr() give it what 11.6.2.4 arbitrates on).
// - Fixed IPIs are sent edge-triggered (11.6.1: P4 and later ignore the
//   ICR trigger bit except for INIT); an INIT with level 0 and trigger 1
//   (level de-assert) is sent and ignored by every receiver.
// - ICR delivery modes 011 and 111 (reserved) send nothing; SMI messages
//   are dropped (no SMM).
// - At reset the BSP's LINT0 is ExtINT and unmasked, as KVM leaves it, in
//   place of the firmware that would program the virtual wire; ExtINT
//   through LINT0 is not gated by the software enable.
// - The x2APIC ICR's delivery status bit (12) is ignored on WRMSR rather
//   than #GP, as KVM does; every other reserved bit is #GP (11.12.1.3).
// - A LINT pin's `level` is its asserted state; the LVT polarity bit is
//   kept but not applied. LINT1 is always edge (11.5.1). The remote IRR
//   of a level-triggered fixed LINT0 is set when the vector enters IRR.
// - IA32_APIC_BASE.BSP is read-only (writes keep it).
import { Access, Device, DEV_OK, WIDTH_1, WIDTH_2, WIDTH_4, WIDTH_8, widthMask } from "./device";
import {
  ApicBus, ApicMessage, APIC_DM_FIXED, APIC_DM_LOWEST, APIC_DM_NMI, APIC_DM_INIT, APIC_DM_STARTUP,
  APIC_DM_EXTINT,
} from "./apic-bus";
import { Clock, ticksIn } from "./clock";
import { IrqLine } from "./irq";
import { Timer, TimerClient, TimerQueue } from "./timer";
import {
  LAPIC_ID, LAPIC_VERSION, LAPIC_TPR, LAPIC_APR, LAPIC_PPR, LAPIC_EOI, LAPIC_RRD, LAPIC_LDR, LAPIC_DFR,
  LAPIC_SVR, LAPIC_ISR, LAPIC_TMR, LAPIC_IRR, LAPIC_ESR, LAPIC_ICR_LOW, LAPIC_ICR_HIGH, LAPIC_LVT_TIMER,
  LAPIC_LVT_THERMAL, LAPIC_LVT_PERF, LAPIC_LVT_LINT0, LAPIC_LVT_LINT1, LAPIC_LVT_ERROR,
  LAPIC_TIMER_INITIAL, LAPIC_TIMER_CURRENT, LAPIC_TIMER_DIVIDE, LAPIC_SELF_IPI, LAPIC_PAGE_SIZE,
  LAPIC_VERSION_MAX_LVT_SHIFT, LAPIC_SVR_ENABLE, LAPIC_SVR_FOCUS_DISABLE, LAPIC_DFR_FLAT,
  LAPIC_ESR_SEND_ILLEGAL_VECTOR, LAPIC_ESR_RECEIVE_ILLEGAL_VECTOR, LAPIC_ESR_ILLEGAL_REGISTER,
  LAPIC_LVT_MASKED, LAPIC_LVT_VECTOR_MASK, LAPIC_LVT_DELIVERY_SHIFT, LAPIC_LVT_DELIVERY_STATUS,
  LAPIC_LVT_ACTIVE_LOW, LAPIC_LVT_REMOTE_IRR, LAPIC_LVT_LEVEL, LAPIC_LVT_TIMER_PERIODIC,
  LAPIC_LVT_TIMER_TSC_DEADLINE, LAPIC_LVT_TIMER_MODE_MASK, LAPIC_TIMER_DIVIDE_MASK,
  ICR_SEND_PENDING, ICR_LEVEL_ASSERT, ICR_TRIGGER_LEVEL, ICR_DELIVERY_SHIFT, ICR_DEST_LOGICAL,
  ICR_SHORTHAND_SHIFT, ICR_DEST_SHIFT, X2APIC_MSR_BASE, X2APIC_MSR_LAST, IA32_APIC_BASE_EXTD,
  IA32_TSC_DEADLINE,
} from "../arch/apic";
import { IA32_APIC_BASE, IA32_APIC_BASE_BSP, IA32_APIC_BASE_ENABLE, APIC_DEFAULT_BASE } from "../arch/msr";

export const LAPIC_KIND: u32 = 0x4350414c;   // "LAPC"
const LAPIC_STATE_VERSION: u32 = 2;
export const LAPIC_STATE: u32 = LAPIC_PAGE_SIZE;
const LAPIC_POSTED: u32 = LAPIC_STATE + <u32>offsetof<LapicState>();
export const LAPIC_BLOCK_SIZE: u32 = LAPIC_POSTED + 32;
// takePosted's flag beside the highest vector: others wait in IRR too.
export const IRR_MORE: i32 = 0x100;
export const LAPIC_VERSION_VALUE: u32 = 0x14 | (5 << LAPIC_VERSION_MAX_LVT_SHIFT);
export const LAPIC_TIMER_MIN_PERIOD_US: u64 = 100;

// LapicState.events: what the CPU side has to act on.
const EV_NMI: u32 = 1;
const EV_INIT: u32 = 2;
const EV_SIPI: u32 = 4;
const EV_EXTINT: u32 = 8;    // an ExtINT message (the I/O APIC's ExtINT mode)
// LapicState.lint: the pins' levels and LINT0's remote IRR.
const LINT0_REMOTE_IRR: u32 = 4;

// What a register accepts: the bits a write keeps (both modes), and in
// x2APIC mode the bits a WRMSR may set without #GP (11.12.1.3), which adds
// the read-only ones.
const LVT_TIMER_BITS: u32 = LAPIC_LVT_VECTOR_MASK | LAPIC_LVT_MASKED | LAPIC_LVT_TIMER_MODE_MASK;
const LVT_DM_BITS: u32 = LAPIC_LVT_VECTOR_MASK | (7 << LAPIC_LVT_DELIVERY_SHIFT) | LAPIC_LVT_MASKED;
const LVT_LINT_BITS: u32 = LVT_DM_BITS | LAPIC_LVT_ACTIVE_LOW | LAPIC_LVT_LEVEL;
const LVT_ERROR_BITS: u32 = LAPIC_LVT_VECTOR_MASK | LAPIC_LVT_MASKED;
const ICR_LOW_BITS: u32 = 0xff | (7 << ICR_DELIVERY_SHIFT) | ICR_DEST_LOGICAL | ICR_LEVEL_ASSERT |
  ICR_TRIGGER_LEVEL | (3 << ICR_SHORTHAND_SHIFT);
const SVR_BITS: u32 = 0xff | LAPIC_SVR_ENABLE | LAPIC_SVR_FOCUS_DISABLE;
const ESR_BITS: u32 = LAPIC_ESR_SEND_ILLEGAL_VECTOR | LAPIC_ESR_RECEIVE_ILLEGAL_VECTOR | LAPIC_ESR_ILLEGAL_REGISTER;

// Register access by slot: xAPIC read/write (Table 11-1), x2APIC
// RDMSR/WRMSR (Table 11-6). 0: reserved.
const XR: u32 = 1;
const XW: u32 = 2;
const X2R: u32 = 4;
const X2W: u32 = 8;
const ALL: u32 = XR | XW | X2R | X2W;

function access(off: u32): u32 {
  if (off >= LAPIC_ISR && off < LAPIC_IRR + 0x80) return (off & 0xf) == 0 ? XR | X2R : 0;
  switch (off) {
    case LAPIC_ID: return XR | XW | X2R;
    case LAPIC_VERSION: return XR | X2R;
    case LAPIC_TPR: return ALL;
    case LAPIC_APR: return XR;
    case LAPIC_PPR: return XR | X2R;
    case LAPIC_EOI: return XR | XW | X2W;     // write-only; an xAPIC read gives 0
    case LAPIC_RRD: return XR;
    case LAPIC_LDR: return XR | XW | X2R;     // x2APIC: derived from the ID
    case LAPIC_DFR: return XR | XW;
    case LAPIC_SVR: return ALL;
    case LAPIC_ESR: return ALL;
    case LAPIC_ICR_LOW: return ALL;
    case LAPIC_ICR_HIGH: return XR | XW;      // x2APIC: ICR bits 63:32
    case LAPIC_LVT_TIMER: return ALL;
    case LAPIC_LVT_THERMAL: return ALL;
    case LAPIC_LVT_PERF: return ALL;
    case LAPIC_LVT_LINT0: return ALL;
    case LAPIC_LVT_LINT1: return ALL;
    case LAPIC_LVT_ERROR: return ALL;
    case LAPIC_TIMER_INITIAL: return ALL;
    case LAPIC_TIMER_CURRENT: return XR | X2R;
    case LAPIC_TIMER_DIVIDE: return ALL;
    case LAPIC_SELF_IPI: return X2W;
    default: return 0;
  }
}

// Whether RDMSR reads the register at `off` in x2APIC mode (others #GP).
export function x2apicReadable(off: u32): bool {
  return (access(off) & X2R) != 0;
}

// Bits a WRMSR to the register at `off` may set (x2APIC), others #GP.
function x2apicWritable(off: u32): u32 {
  switch (off) {
    case LAPIC_TPR: return 0xff;
    case LAPIC_SVR: return SVR_BITS;
    case LAPIC_LVT_TIMER: return LVT_TIMER_BITS | LAPIC_LVT_DELIVERY_STATUS;
    case LAPIC_LVT_THERMAL: return LVT_DM_BITS | LAPIC_LVT_DELIVERY_STATUS;
    case LAPIC_LVT_PERF: return LVT_DM_BITS | LAPIC_LVT_DELIVERY_STATUS;
    case LAPIC_LVT_LINT0: return LVT_LINT_BITS | LAPIC_LVT_DELIVERY_STATUS | LAPIC_LVT_REMOTE_IRR;
    case LAPIC_LVT_LINT1: return LVT_LINT_BITS | LAPIC_LVT_DELIVERY_STATUS | LAPIC_LVT_REMOTE_IRR;
    case LAPIC_LVT_ERROR: return LVT_ERROR_BITS | LAPIC_LVT_DELIVERY_STATUS;
    case LAPIC_TIMER_INITIAL: return 0xffffffff;
    case LAPIC_TIMER_DIVIDE: return LAPIC_TIMER_DIVIDE_MASK;
    case LAPIC_SELF_IPI: return 0xff;
    default: return 0;   // EOI and ESR: only 0 may be written
  }
}

// Divide configuration -> log2 of the divisor (Figure 11-10: 0 is /2 ...
// 6 is /128, 7 is /1, the index in bits 3, 1:0).
@inline function divideShift(dcr: u32): u32 {
  return ((((dcr >> 1) & 4) | (dcr & 3)) + 1) & 7;
}

// A TSC reading `now` is at or past `deadline` (signed, as the timers are).
@inline function due(deadline: u64, now: u64): bool {
  return <i64>(now - deadline) >= 0;
}

// The logical x2APIC ID (11.12.10.2): cluster ID[19:4] in 31:16, one bit
// for ID[3:0] in 15:0.
@inline function x2apicLdr(id: u32): u32 {
  return ((id >> 4) << 16) | (<u32>1 << (id & 0xf));
}

// What the register page cannot hold (offsets from LAPIC_STATE); times on
// the vCPU's TSC.
@unmanaged
export class LapicState {
  apicBase: u64;      // IA32_APIC_BASE
  timerStart: u64;    // when the count was last loaded from the initial count
  timerNext: u64;     // the next time the count reaches 0 (while running)
  timerPeriod: u64;   // TSC ticks from initial count to 0: initial << shift
  tscDeadline: u64;   // IA32_TSC_DEADLINE, 0: disarmed
  timerLvt: u32;      // the LVT timer entry the timer runs by
  timerShift: u32;    // log2 of the divisor the timer runs by
  timerRunning: u32;  // 1: one-shot or periodic count in progress
  esrPending: u32;    // errors since the last ESR write (11.5.3)
  events: u32;        // EV_*
  sipiVector: u32;
  lint: u32;          // bit 0 LINT0, bit 1 LINT1 asserted; LINT0_REMOTE_IRR
  reserved: u32;
}

@final
class LapicTimer extends TimerClient {
  constructor(public apic: Lapic) {
    super();
  }
  expired(t: Timer): void {
    this.apic.timerExpired();
  }
}

@final
export class Lapic extends Device {
  // The register page and LapicState behind it, one block, page aligned.
  private page: usize;
  private st: LapicState;
  private msg: ApicMessage = new ApicMessage();
  private timer: Timer | null = null;
  // RDMSR's result when readMsr returns true.
  msrValue: u64 = 0;
  // Statistics, not state: periods that ended with no interrupt of their
  // own (merged into one still pending in IRR, or in between two services
  // of a timer faster than LAPIC_TIMER_MIN_PERIOD_US), all periods that
  // ended, and dropped MMIO accesses and reserved ICR modes.
  timerCoalesced: u64 = 0;
  timerExpiries: u64 = 0;
  ignored: u32 = 0;
  // Virtual-interrupt delivery (the integrator's choice, Vol. 3C 30.2): the
  // processor takes vectors from IRR itself, unseen by the model, so `intr`
  // may stay high while nothing is left: everything that arrives (a vector
  // entering IRR, deliverable yet or not, an NMI, INIT, STARTUP, the PIC's
  // ExtINT) is news for the CPU side and raises `intr` anew.
  virtualDelivery: bool = false;
  // The words of the posted area that hold vectors (a bit each: request),
  // and TMR's changes, counted: what lets the CPU side skip a scan of IRR
  // and rewriting the EOI-exit bitmap before an entry. Rebuilt, not saved
  // (restored() takes the posted).
  private postedWords: u32 = 0;
  private irrRestored: bool = false;   // IRR written from a saved block: RVI is not its

  tmrSeq: u32 = 0;
  private news: bool = false;
  private extIntSeen: bool = false;

  // `index`: the vCPU's, its initial APIC ID; `clock`: that vCPU's TSC (the
  // timer's deadlines are on it); `timers`: its domain's queue; `intr`: the
  // line to the CPU side, high while something is pending for it (see
  // wants); `physBits`: the guest's MAXPHYADDR (CPUID 80000008H:EAX[7:0]),
  // which bounds the APIC base. Creation time.
  constructor(public index: u32, public bus: ApicBus, public clock: Clock, timers: TimerQueue,
              public intr: IrqLine | null, public physBits: u32) {
    super();
    const raw = heap.alloc(<usize>(LAPIC_BLOCK_SIZE + LAPIC_PAGE_SIZE - 1));
    const page = (raw + <usize>(LAPIC_PAGE_SIZE - 1)) & ~<usize>(LAPIC_PAGE_SIZE - 1);
    this.page = page;
    this.st = changetype<LapicState>(page + LAPIC_STATE);
    this.timer = new Timer(timers, index, new LapicTimer(this));
    this.reset();
  }

  kind(): u32 { return LAPIC_KIND; }
  name(): string { return "lapic"; }
  version(): u32 { return LAPIC_STATE_VERSION; }
  block(): usize { return this.page; }
  blockSize(): u32 { return LAPIC_BLOCK_SIZE; }
  widths(): u32 { return WIDTH_1 | WIDTH_2 | WIDTH_4 | WIDTH_8; }

  // ── Modes (11.4.3, 11.12.5) ─────────────────────────────────────────────

  @inline hwEnabled(): bool { return (this.st.apicBase & IA32_APIC_BASE_ENABLE) != 0; }
  @inline x2apicMode(): bool { return (this.st.apicBase & IA32_APIC_BASE_EXTD) != 0; }
  @inline xapicMode(): bool {
    return (this.st.apicBase & (IA32_APIC_BASE_ENABLE | IA32_APIC_BASE_EXTD)) == IA32_APIC_BASE_ENABLE;
  }
  @inline swEnabled(): bool { return (this.reg(LAPIC_SVR) & LAPIC_SVR_ENABLE) != 0; }
  @inline apicBase(): u64 { return this.st.apicBase; }
  // Where the xAPIC page is; the caller maps it there while mmioActive().
  @inline mmioBase(): u64 { return this.st.apicBase & this.baseMask(); }
  @inline mmioActive(): bool { return this.xapicMode(); }

  // ── Power-up reset, INIT (11.4.7.1, 11.4.7.3) ──────────────────────────

  reset(): void {
    const st = this.st;
    st.apicBase = APIC_DEFAULT_BASE | IA32_APIC_BASE_ENABLE | (this.index == 0 ? IA32_APIC_BASE_BSP : 0);
    st.events = 0;
    st.sipiVector = 0;
    st.lint = 0;
    st.reserved = 0;
    this.resetRegisters();
    this.changed();
  }

  // What an INIT does to the APIC: the power-up registers but the ID
  // (11.4.7.3); IA32_APIC_BASE, and with it x2APIC mode, stay (11.12.5.1).
  // takeInit calls it; pending SIPIs and NMIs survive.
  initReset(): void {
    const id = this.reg(LAPIC_ID);
    this.resetRegisters();
    this.setReg(LAPIC_ID, id);
    this.changed();
  }

  private resetRegisters(): void {
    const st = this.st;
    memory.fill(this.page, 0, <usize>LAPIC_PAGE_SIZE);
    memory.fill(this.page + LAPIC_POSTED, 0, 32);
    this.postedWords = 0;
    this.tmrSeq++;
    const x2 = this.x2apicMode();
    this.setReg(LAPIC_ID, x2 ? this.index : (this.index & 0xff) << 24);
    this.setReg(LAPIC_VERSION, LAPIC_VERSION_VALUE);
    if (x2) this.setReg(LAPIC_LDR, x2apicLdr(this.index));
    this.setReg(LAPIC_DFR, LAPIC_DFR_FLAT);
    this.setReg(LAPIC_SVR, 0xff);
    this.setReg(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED);
    this.setReg(LAPIC_LVT_THERMAL, LAPIC_LVT_MASKED);
    this.setReg(LAPIC_LVT_PERF, LAPIC_LVT_MASKED);
    const bsp = (st.apicBase & IA32_APIC_BASE_BSP) != 0;
    this.setReg(LAPIC_LVT_LINT0, bsp ? APIC_DM_EXTINT << LAPIC_LVT_DELIVERY_SHIFT : LAPIC_LVT_MASKED);
    this.setReg(LAPIC_LVT_LINT1, LAPIC_LVT_MASKED);
    this.setReg(LAPIC_LVT_ERROR, LAPIC_LVT_MASKED);
    st.timerStart = 0;
    st.timerNext = 0;
    st.timerPeriod = 0;
    st.tscDeadline = 0;
    st.timerLvt = LAPIC_LVT_MASKED;
    st.timerShift = divideShift(0);
    st.timerRunning = 0;
    st.esrPending = 0;
    st.lint &= 3;
    this.timer!.cancel();
  }

  // ── xAPIC MMIO (11.4.1) ────────────────────────────────────────────────

  read(a: Access): u64 {
    if (!this.xapicMode()) return widthMask(a.width);
    let v: u64 = 0;
    let slot: u64 = 0xffffffffffffffff;
    let r: u32 = 0;
    for (let i: u32 = 0; i < a.width; i++) {
      const o = a.offset + i;
      if ((o & 0xf) >= 4) continue;
      if ((o & ~<u64>0xf) != slot) {
        slot = o & ~<u64>0xf;
        r = slot < <u64>LAPIC_PAGE_SIZE ? this.xapicRead(<u32>slot) : this.reservedAccess();
      }
      v |= <u64>((r >> (<u32>(o & 3) << 3)) & 0xff) << (<u64>i << 3);
    }
    this.changed();
    return v;
  }

  write(a: Access, value: u64): u32 {
    if (!this.xapicMode() || a.width != 4 || (a.offset & 0xf) != 0) {
      this.ignored++;
      return DEV_OK;
    }
    const off = a.offset < <u64>LAPIC_PAGE_SIZE ? <u32>a.offset : 0;
    const acc = access(off);
    if ((acc & XW) != 0) this.writeReg(off, <u32>value);
    else if ((acc & XR) == 0) this.reservedAccess();   // read-only registers ignore writes
    this.changed();
    return DEV_OK;
  }

  private xapicRead(off: u32): u32 {
    return (access(off) & XR) != 0 ? this.readReg(off) : this.reservedAccess();
  }

  private reservedAccess(): u32 {
    this.error(LAPIC_ESR_ILLEGAL_REGISTER);
    return 0;
  }

  // ── x2APIC MSRs (11.12.1.2), IA32_APIC_BASE, IA32_TSC_DEADLINE ──────────

  // The MSRs this model answers; the exit handler routes them here.
  ownsMsr(msr: u32): bool {
    return msr == IA32_APIC_BASE || msr == IA32_TSC_DEADLINE || (msr >= X2APIC_MSR_BASE && msr <= X2APIC_MSR_LAST);
  }

  // RDMSR: true with the value in msrValue, false for #GP(0) (an x2APIC MSR
  // outside x2APIC mode, reserved or write-only).
  readMsr(msr: u32): bool {
    if (msr == IA32_APIC_BASE) {
      this.msrValue = this.st.apicBase;
      return true;
    }
    if (msr == IA32_TSC_DEADLINE) {
      this.msrValue = this.tscDeadlineRead();
      this.changed();
      return true;
    }
    if (msr < X2APIC_MSR_BASE || msr > X2APIC_MSR_LAST || !this.x2apicMode()) return false;
    const off = (msr - X2APIC_MSR_BASE) << 4;
    if (!x2apicReadable(off)) return false;
    this.msrValue = off == LAPIC_ICR_LOW ? load<u64>(this.page + LAPIC_ICR_LOW) : <u64>this.readReg(off);
    return true;
  }

  // WRMSR: true, or false for #GP(0) (reserved bits, read-only or reserved
  // registers, an invalid IA32_APIC_BASE transition); nothing changed then.
  writeMsr(msr: u32, value: u64): bool {
    if (msr == IA32_APIC_BASE) return this.writeApicBase(value);
    if (msr == IA32_TSC_DEADLINE) {
      this.tscDeadlineWrite(value);
      this.changed();
      return true;
    }
    if (msr < X2APIC_MSR_BASE || msr > X2APIC_MSR_LAST || !this.x2apicMode()) return false;
    const off = (msr - X2APIC_MSR_BASE) << 4;
    if ((access(off) & X2W) == 0) return false;
    if (off == LAPIC_ICR_LOW) {
      if ((<u32>value & ~(ICR_LOW_BITS | ICR_SEND_PENDING)) != 0) return false;
      this.icrWrite(<u32>value, <u32>(value >> 32));
    } else {
      if ((value >> 32) != 0 || (<u32>value & ~x2apicWritable(off)) != 0) return false;
      this.writeReg(off, <u32>value);
    }
    this.changed();
    return true;
  }

  // IA32_APIC_BASE (11.4.4, 11.12.5): false (#GP) for reserved bits, the
  // invalid state EN=0 EXTD=1, x2APIC -> xAPIC and disabled -> x2APIC.
  // EN 1 -> 0 resets every register as at power-up; enabling again finds
  // them so. xAPIC -> x2APIC keeps the registers but the ID (now the x2APIC
  // ID), the LDR (derived) and the ICR's destination. A new base is the
  // caller's to map (mmioBase).
  writeApicBase(value: u64): bool {
    const st = this.st;
    const old = st.apicBase;
    const en = (value & IA32_APIC_BASE_ENABLE) != 0;
    const extd = (value & IA32_APIC_BASE_EXTD) != 0;
    if ((value & ~this.baseWritable()) != 0) return false;
    if (!en && extd) return false;
    if (this.x2apicMode() && en && !extd) return false;
    if (!this.hwEnabled() && extd) return false;
    st.apicBase = (value & ~IA32_APIC_BASE_BSP) | (old & IA32_APIC_BASE_BSP);
    if ((old & IA32_APIC_BASE_ENABLE) != 0 && !en) {
      st.events = 0;
      this.resetRegisters();
    } else if ((old & IA32_APIC_BASE_EXTD) == 0 && extd) {
      this.setReg(LAPIC_ID, this.index);
      this.setReg(LAPIC_LDR, x2apicLdr(this.index));
      this.setReg(LAPIC_ICR_LOW + 4, 0);
      this.setReg(LAPIC_ICR_HIGH, 0);
    }
    this.changed();
    return true;
  }

  @inline private baseMask(): u64 {
    const bits: u64 = this.physBits < 52 ? <u64>this.physBits : 52;   // MAXPHYADDR is at most 52
    return ((<u64>1 << bits) - 1) & ~<u64>(LAPIC_PAGE_SIZE - 1);
  }
  @inline private baseWritable(): u64 {
    return this.baseMask() | IA32_APIC_BASE_ENABLE | IA32_APIC_BASE_EXTD | IA32_APIC_BASE_BSP;
  }

  // ── Register semantics, both modes ──────────────────────────────────────

  @inline private reg(off: u32): u32 { return load<u32>(this.page + off); }
  @inline private setReg(off: u32, v: u32): void { store<u32>(this.page + off, v); }

  private readReg(off: u32): u32 {
    switch (off) {
      case LAPIC_PPR: return this.ppr();
      case LAPIC_TIMER_CURRENT: return this.currentCount(this.clock.now());
      case LAPIC_EOI: return 0;
      case LAPIC_APR: return 0;
      case LAPIC_RRD: return 0;
      default: return this.reg(off);
    }
  }

  // A write of `v` to the register at `off`, one the caller has checked is
  // writable in the current mode.
  private writeReg(off: u32, v: u32): void {
    switch (off) {
      case LAPIC_ID: this.setReg(LAPIC_ID, v & 0xff000000); break;
      case LAPIC_TPR: this.setReg(LAPIC_TPR, v & 0xff); this.ppr(); break;
      case LAPIC_EOI: this.setReg(LAPIC_EOI, 0); this.eoiHighest(); break;
      case LAPIC_LDR: this.setReg(LAPIC_LDR, v & 0xff000000); break;
      case LAPIC_DFR: this.setReg(LAPIC_DFR, v | 0x0fffffff); break;
      case LAPIC_SVR: this.svrWrite(v & SVR_BITS); break;
      case LAPIC_ESR: {
        // Write, then read (11.5.3): a write makes the errors since the
        // last one visible and starts collecting anew.
        this.setReg(LAPIC_ESR, this.st.esrPending);
        this.st.esrPending = 0;
        break;
      }
      case LAPIC_ICR_LOW: this.icrWrite(v, this.reg(LAPIC_ICR_HIGH)); break;
      case LAPIC_ICR_HIGH: this.setReg(LAPIC_ICR_HIGH, v & 0xff000000); break;
      case LAPIC_LVT_TIMER: this.lvtTimerWrite(v); break;
      case LAPIC_LVT_THERMAL: this.setReg(off, this.lvtForce(v & LVT_DM_BITS)); break;
      case LAPIC_LVT_PERF: this.setReg(off, this.lvtForce(v & LVT_DM_BITS)); break;
      case LAPIC_LVT_LINT0: this.lintWrite(0, v); break;
      case LAPIC_LVT_LINT1: this.lintWrite(1, v); break;
      case LAPIC_LVT_ERROR: this.setReg(off, this.lvtForce(v & LVT_ERROR_BITS)); break;
      case LAPIC_TIMER_INITIAL: this.initialCountWrite(v); break;
      case LAPIC_TIMER_DIVIDE: this.divideWrite(v & LAPIC_TIMER_DIVIDE_MASK); break;
      case LAPIC_SELF_IPI: this.setReg(LAPIC_SELF_IPI, 0); this.selfIpi(v & 0xff); break;
      default: break;
    }
  }

  // A software-disabled APIC keeps every LVT masked (11.4.7.2).
  @inline private lvtForce(v: u32): u32 {
    return this.swEnabled() ? v : v | LAPIC_LVT_MASKED;
  }

  private svrWrite(v: u32): void {
    this.setReg(LAPIC_SVR, v);
    if ((v & LAPIC_SVR_ENABLE) != 0) return;
    this.setReg(LAPIC_LVT_THERMAL, this.reg(LAPIC_LVT_THERMAL) | LAPIC_LVT_MASKED);
    this.setReg(LAPIC_LVT_PERF, this.reg(LAPIC_LVT_PERF) | LAPIC_LVT_MASKED);
    this.setReg(LAPIC_LVT_LINT0, this.reg(LAPIC_LVT_LINT0) | LAPIC_LVT_MASKED);
    this.setReg(LAPIC_LVT_LINT1, this.reg(LAPIC_LVT_LINT1) | LAPIC_LVT_MASKED);
    this.setReg(LAPIC_LVT_ERROR, this.reg(LAPIC_LVT_ERROR) | LAPIC_LVT_MASKED);
    this.lvtTimerWrite(this.reg(LAPIC_LVT_TIMER));
  }

  // ── Priorities, acceptance, EOI (11.8.3.1, 11.8.4, 11.8.5) ─────────────

  // The highest vector set in the 256-bit register at `base`, or -1.
  private highest(base: u32): i32 {
    const at = this.page + base;
    for (let i: i32 = 7; i >= 0; i--) {
      const w = load<u32>(at + (<usize>i << 4));
      if (w != 0) return (i << 5) + 31 - <i32>clz(w);
    }
    return -1;
  }
  @inline private bitAt(base: u32, v: u32): usize { return this.page + base + ((v >> 5) << 4); }
  @inline private setBit(base: u32, v: u32): void {
    const a = this.bitAt(base, v);
    store<u32>(a, load<u32>(a) | (<u32>1 << (v & 31)));
  }
  @inline private clearBit(base: u32, v: u32): void {
    const a = this.bitAt(base, v);
    store<u32>(a, load<u32>(a) & ~(<u32>1 << (v & 31)));
  }
  @inline private testBit(base: u32, v: u32): bool {
    return (load<u32>(this.bitAt(base, v)) & (<u32>1 << (v & 31))) != 0;
  }

  @inline tpr(): u32 { return this.reg(LAPIC_TPR); }
  // IRR as requested: the register and the posted vectors.
  @inline private irrWord(i: u32): u32 {
    return this.reg(LAPIC_IRR + (i << 4)) | load<u32>(this.page + LAPIC_POSTED + (i << 2));
  }
  highestIrr(): i32 {
    if (!this.virtualDelivery) return this.highest(LAPIC_IRR);   // nothing is posted
    const page = this.page;
    for (let i: i32 = 7; i >= 0; i--) {
      const w = load<u32>(page + LAPIC_IRR + (<usize>i << 4)) | load<u32>(page + LAPIC_POSTED + (<usize>i << 2));
      if (w != 0) return (i << 5) + 31 - <i32>clz(w);
    }
    return -1;
  }
  @inline private irrHas(v: u32): bool { return (this.irrWord(v >> 5) & (<u32>1 << (v & 31))) != 0; }

  // Virtual-interrupt delivery, on the vCPU's CPU before a VM entry (the
  // processor does not run it): the posted vectors enter IRR. Returns the
  // highest vector in IRR, or -1, with IRR_MORE set if there are others:
  // one pass, as it runs before every entry with something pending. `rvi`:
  // the VMCS's RVI if it holds the highest vector of IRR as the last call
  // left it and the processor keeps it (-1: unknown); 0 is an empty IRR,
  // and then only the posted words are looked at.
  takePosted(rvi: i32 = -1): i32 {
    if (this.irrRestored) {
      rvi = -1;
      this.irrRestored = false;
    }
    const page = this.page;
    // The words to look at, the highest first.
    let m: u32 = rvi == 0 ? this.postedWords : 0xff;
    this.postedWords = 0;
    let highest: i32 = -1;
    let more = false;
    while (m != 0) {
      const i = 31 - <i32>clz(m);   // from the highest word down
      m &= ~(<u32>1 << <u32>i);
      const at = page + LAPIC_POSTED + (<usize>i << 2);
      const a = page + LAPIC_IRR + (<usize>i << 4);
      let w = load<u32>(a);
      const posted = load<u32>(at);
      if (posted != 0) {
        store<u32>(at, 0);
        w |= posted;
        store<u32>(a, w);
      }
      if (w == 0) continue;
      if (highest >= 0 || (w & (w - 1)) != 0) more = true;
      if (highest < 0) highest = (i << 5) + 31 - <i32>clz(w);
    }
    return highest < 0 || !more ? highest : highest | IRR_MORE;
  }

  // With virtual-interrupt delivery, given RVI as takePosted wants it:
  // nothing in IRR or posted, and no event for the CPU side (the CPU
  // delivered what there was).
  idle(rvi: i32): bool {
    return rvi == 0 && this.postedWords == 0 && !this.irrRestored && this.st.events == 0 && !this.pendingExtInt();
  }

  // `v` requested: into IRR, or posted while the processor owns IRR.
  @inline private request(v: u32): void {
    if (!this.virtualDelivery) {
      this.setBit(LAPIC_IRR, v);
      return;
    }
    const at = this.page + LAPIC_POSTED + ((v >> 5) << 2);
    store<u32>(at, load<u32>(at) | (<u32>1 << (v & 31)));
    this.postedWords |= <u32>1 << (v >> 5);
  }
  @inline highestIsr(): i32 { return this.highest(LAPIC_ISR); }
  // TMR bits 32i+31..32i (the EOI-exit bitmap of virtual-interrupt delivery).
  @inline tmrWord(i: u32): u32 { return this.reg(LAPIC_TMR + ((i & 7) << 4)); }

  // PPR from TPR and the highest in-service vector, stored where VMX's PPR
  // virtualization keeps it too.
  ppr(): u32 {
    const ppr = this.pprOf();
    this.setReg(LAPIC_PPR, ppr);
    return ppr;
  }

  // PPR, not stored: another CPU may be asking while the processor running
  // this vCPU virtualizes PPR.
  private pprOf(): u32 {
    const tpr = this.reg(LAPIC_TPR);
    const isr = this.highest(LAPIC_ISR);
    const isrClass: u32 = isr < 0 ? 0 : <u32>isr & 0xf0;
    return (tpr & 0xf0) >= isrClass ? tpr : isrClass;
  }

  // TPR as the CPU writes it (MOV to CR8: cr8 << 4, 11.8.6; a TPR-below-
  // threshold exit after the processor stored VTPR: tpr()).
  setTpr(tpr: u32): void {
    this.setReg(LAPIC_TPR, tpr & 0xff);
    this.ppr();
    this.changed();
  }

  // The vector the CPU should take next: the highest in IRR whose priority
  // class is above PPR's, or -1 (none while hardware or software disabled).
  highestDeliverable(): i32 {
    const v = this.highestIrr();
    return this.deliverable(v) ? v : -1;
  }

  // Whether `v`, the highest vector in IRR (or -1), is one the CPU takes
  // now: above PPR's class, the APIC enabled.
  deliverable(v: i32): bool {
    return v >= 0 && this.hwEnabled() && this.swEnabled() && (<u32>v & 0xf0) > (this.pprOf() & 0xf0);
  }

  // The CPU took `vector` (injected it): IRR -> ISR.
  accept(vector: u32): void {
    if (vector < 16 || vector > 255) return;
    this.clearBit(LAPIC_IRR, vector);
    this.setBit(LAPIC_ISR, vector);
    this.ppr();
    this.changed();
  }

  // A write of the EOI register: the highest in-service vector is done.
  eoi(): void {
    this.eoiHighest();
    this.changed();
  }

  // An EOI-induced VM exit for `vector`: the processor cleared its ISR bit
  // already (EOI virtualization, Vol. 3C 30.1.4); the rest of an EOI.
  eoiVirtualized(vector: u32): void {
    this.ppr();
    this.eoiDone(vector & 0xff);
    this.changed();
  }

  private eoiHighest(): void {
    const v = this.highest(LAPIC_ISR);
    if (v < 0) return;
    this.clearBit(LAPIC_ISR, <u32>v);
    this.ppr();
    this.eoiDone(<u32>v);
  }

  // A level-triggered vector's EOI goes to the I/O APICs (11.8.5) and
  // clears LINT0's remote IRR, which may take the still-asserted pin again.
  private eoiDone(v: u32): void {
    if (!this.testBit(LAPIC_TMR, v)) return;
    this.bus.eoi(v);
    const st = this.st;
    if ((st.lint & LINT0_REMOTE_IRR) != 0 && (this.reg(LAPIC_LVT_LINT0) & LAPIC_LVT_VECTOR_MASK) == v) {
      st.lint &= ~LINT0_REMOTE_IRR;
      this.setReg(LAPIC_LVT_LINT0, this.reg(LAPIC_LVT_LINT0) & ~LAPIC_LVT_REMOTE_IRR);
      this.lint0Level();
    }
  }

  // ── APIC virtualization hooks (Vol. 3C Chapter 30) ──────────────────────

  // An APIC-write VM exit at page offset `off`: the processor has stored
  // the guest's write there (the x2APIC ICR as 64 bits at 300H); do what
  // the write does. TPR, EOI, ICR and the rest alike.
  apicWrite(off: u32): void {
    if (!this.hwEnabled()) return;
    const x2 = this.x2apicMode();
    if ((access(off) & (x2 ? X2W : XW)) == 0) return;
    if (x2 && off == LAPIC_ICR_LOW) {
      this.icrWrite(this.reg(LAPIC_ICR_LOW), this.reg(LAPIC_ICR_LOW + 4));
    } else {
      this.writeReg(off, this.reg(off));
    }
    this.changed();
  }

  // ── Incoming: messages and pins (11.6, 11.5.1) ─────────────────────────

  // Whether a message with this destination is for this APIC (11.6.2,
  // 11.12.10), for the bus; shorthands are the bus's. `x2apic`: `dest` is
  // in x2APIC form (32 bits, broadcast FFFFFFFFH) rather than xAPIC form (8
  // bits, broadcast FFH). A receiver in the other mode zero-extends an
  // xAPIC-form destination, and matches an x2APIC-form one only below 100H
  // (the SDM wants every APIC in one mode).
  matches(dest: u32, logical: bool, x2apic: bool): bool {
    if (!this.hwEnabled()) return false;
    if (dest == (x2apic ? 0xffffffff : 0xff)) return true;
    const x2 = this.x2apicMode();
    if (!x2 && dest > 0xff) return false;
    if (!logical) return x2 ? dest == this.reg(LAPIC_ID) : dest == this.reg(LAPIC_ID) >> 24;
    if (x2) {
      const ldr = this.reg(LAPIC_LDR);
      return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff) != 0;
    }
    const ldr = this.reg(LAPIC_LDR) >> 24;
    const model = this.reg(LAPIC_DFR) >> 28;
    if (model == 0xf) return (dest & ldr) != 0;                                     // flat
    if (model == 0) return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf) != 0;    // cluster
    return false;
  }

  // A message addressed to this APIC. Fixed and lowest priority set IRR
  // (and TMR as its trigger says); NMI, INIT, STARTUP and ExtINT are left
  // pending for the CPU side. True if it was taken. A globally disabled
  // APIC takes nothing; a software-disabled one only NMI, INIT, STARTUP
  // (11.4.7.2) and ExtINT; vectors 0-15 are refused with ESR "receive
  // illegal vector".
  receive(m: ApicMessage): bool {
    if (!this.hwEnabled()) return false;
    const st = this.st;
    switch (m.delivery) {
      case APIC_DM_FIXED:
      case APIC_DM_LOWEST: {
        if (!this.swEnabled()) return false;
        const ok = this.interrupt(m.vector, m.trigger);
        this.changed();
        return ok;
      }
      case APIC_DM_NMI: this.raise(EV_NMI); break;
      case APIC_DM_INIT: {
        if (!m.level && m.trigger) return false;    // level de-assert
        this.initReceived();
        break;
      }
      case APIC_DM_STARTUP: {
        this.raise(EV_SIPI);
        st.sipiVector = m.vector & 0xff;
        break;
      }
      case APIC_DM_EXTINT: this.raise(EV_EXTINT); break;
      default: return false;
    }
    this.changed();
    return true;
  }

  // An INIT discards a STARTUP taken before it.
  @inline private initReceived(): void {
    this.st.events &= ~EV_SIPI;
    this.raise(EV_INIT);
  }

  @inline private raise(ev: u32): void {
    this.st.events |= ev;
    this.news = true;
  }

  // LINT0 (pin 0) or LINT1 (any other) went to `level` (asserted or not). Through its LVT: fixed
  // (edge, or level on LINT0 with remote IRR), NMI and INIT on the rising
  // edge, ExtINT as pendingExtInt; masked entries drop. With the APIC
  // globally disabled the pins are INTR and NMI (11.4.3).
  setLint(pin: u32, level: bool): void {
    const st = this.st;
    const bit: u32 = pin == 0 ? 1 : 2;
    const rising = level && (st.lint & bit) == 0;
    st.lint = level ? st.lint | bit : st.lint & ~bit;
    if (!this.hwEnabled()) {
      if (pin != 0 && rising) this.raise(EV_NMI);
    } else {
      const lvt = this.reg(pin == 0 ? LAPIC_LVT_LINT0 : LAPIC_LVT_LINT1);
      if ((lvt & LAPIC_LVT_MASKED) == 0) {
        switch ((lvt >> LAPIC_LVT_DELIVERY_SHIFT) & 7) {
          case APIC_DM_FIXED: {
            if (pin == 0 && (lvt & LAPIC_LVT_LEVEL) != 0) this.lint0Level();
            else if (rising) this.interrupt(lvt & LAPIC_LVT_VECTOR_MASK, false);
            break;
          }
          case APIC_DM_NMI: if (rising) this.raise(EV_NMI); break;
          case APIC_DM_INIT: if (rising) this.initReceived(); break;
          default: break;    // ExtINT: pendingExtInt reads the pin; SMI, reserved: nothing
        }
      }
    }
    this.changed();
  }

  // A level-triggered fixed LINT0 that is asserted and not in service
  // enters IRR and sets its remote IRR until the EOI.
  private lint0Level(): void {
    const st = this.st;
    const lvt = this.reg(LAPIC_LVT_LINT0);
    if ((st.lint & 1) == 0 || (st.lint & LINT0_REMOTE_IRR) != 0) return;
    if ((lvt & (LAPIC_LVT_MASKED | LAPIC_LVT_LEVEL | (7 << LAPIC_LVT_DELIVERY_SHIFT))) != LAPIC_LVT_LEVEL) return;
    if (!this.interrupt(lvt & LAPIC_LVT_VECTOR_MASK, true)) return;
    st.lint |= LINT0_REMOTE_IRR;
    this.setReg(LAPIC_LVT_LINT0, lvt | LAPIC_LVT_REMOTE_IRR);
  }

  private lintWrite(pin: u32, v: u32): void {
    const off = pin == 0 ? LAPIC_LVT_LINT0 : LAPIC_LVT_LINT1;
    let lvt = this.lvtForce(v & LVT_LINT_BITS);
    if (pin == 0 && (this.st.lint & LINT0_REMOTE_IRR) != 0) lvt |= LAPIC_LVT_REMOTE_IRR;
    this.setReg(off, lvt);
    if (pin == 0) this.lint0Level();
  }

  // `vector` into IRR, TMR as `level` (11.8.4); false for 0-15 (11.5.2).
  private interrupt(vector: u32, level: bool): bool {
    if (vector < 16) {
      this.error(LAPIC_ESR_RECEIVE_ILLEGAL_VECTOR);
      return false;
    }
    this.request(vector);
    if (level != this.testBit(LAPIC_TMR, vector)) {
      if (level) this.setBit(LAPIC_TMR, vector);
      else this.clearBit(LAPIC_TMR, vector);
      this.tmrSeq++;
    }
    this.news = true;
    return true;
  }

  // An error (11.5.3): collected for the next ESR write, and the error
  // LVT's interrupt when it is unmasked (an illegal vector there only adds
  // its own error).
  private error(bits: u32): void {
    const st = this.st;
    st.esrPending |= bits;
    const lvt = this.reg(LAPIC_LVT_ERROR);
    if ((lvt & LAPIC_LVT_MASKED) != 0) return;
    const v = lvt & LAPIC_LVT_VECTOR_MASK;
    if (v < 16) {
      st.esrPending |= LAPIC_ESR_RECEIVE_ILLEGAL_VECTOR;
      return;
    }
    this.request(v);
    if (this.testBit(LAPIC_TMR, v)) {
      this.clearBit(LAPIC_TMR, v);
      this.tmrSeq++;
    }
    this.news = true;
  }

  // ── What the CPU side acts on ───────────────────────────────────────────

  @inline pendingNmi(): bool { return (this.st.events & EV_NMI) != 0; }
  @inline pendingInit(): bool { return (this.st.events & EV_INIT) != 0; }
  @inline pendingSipi(): bool { return (this.st.events & EV_SIPI) != 0; }

  // The PIC has an interrupt for this CPU (the CPU side acknowledges the
  // PIC and injects its vector): LINT0 asserted through an unmasked ExtINT
  // entry, or with the APIC globally disabled; or an ExtINT message.
  pendingExtInt(): bool {
    const st = this.st;
    if ((st.events & EV_EXTINT) != 0) return true;
    if ((st.lint & 1) == 0) return false;
    if (!this.hwEnabled()) return true;
    const lvt = this.reg(LAPIC_LVT_LINT0);
    return (lvt & (LAPIC_LVT_MASKED | (7 << LAPIC_LVT_DELIVERY_SHIFT))) == APIC_DM_EXTINT << LAPIC_LVT_DELIVERY_SHIFT;
  }

  // An NMI was pending: the CPU delivers it (NMI blocking is the CPU's).
  takeNmi(): bool {
    if (!this.pendingNmi()) return false;
    this.st.events &= ~EV_NMI;
    this.changed();
    return true;
  }

  // An INIT was pending: the APIC is INIT-reset now (initReset) and the
  // caller puts the vCPU in wait-for-SIPI.
  takeInit(): bool {
    if (!this.pendingInit()) return false;
    this.st.events &= ~EV_INIT;
    this.initReset();
    return true;
  }

  // The vector of a pending STARTUP (the start page), or -1; the CPU side
  // honours it only in wait-for-SIPI.
  takeSipi(): i32 {
    if (!this.pendingSipi()) return -1;
    this.st.events &= ~EV_SIPI;
    this.changed();
    return <i32>this.st.sipiVector;
  }

  // The CPU acknowledged the PIC for an ExtINT message; LINT0 stays as the
  // PIC drives it (setLint).
  takeExtInt(): void {
    this.st.events &= ~EV_EXTINT;
    this.changed();
  }

  // Something for the CPU: a deliverable interrupt, an NMI, INIT or SIPI,
  // or the PIC's. What `intr` carries.
  wants(): bool {
    return (this.st.events & (EV_NMI | EV_INIT | EV_SIPI)) != 0 || this.pendingExtInt() || this.highestDeliverable() >= 0;
  }

  // Brings `intr` to wants(): after every change, and for the integrator
  // after the processor changed the page (virtual-interrupt delivery).
  // Something new that the CPU side should take raises it anew even if it
  // is high already: the line may be up for something a halted vCPU cannot
  // take (a vector with RFLAGS.IF = 0) when an INIT or NMI comes, which it
  // must. With virtual-interrupt delivery only news matter: the CPU side
  // looks at IRR before every entry while anything waits there.
  changed(): void {
    const intr = this.intr;
    if (intr === null) return;
    const ext = this.pendingExtInt();
    const news = this.news || (ext && !this.extIntSeen);
    this.news = false;
    this.extIntSeen = ext;
    if (this.virtualDelivery) {
      if (news) intr.reassert();
      return;
    }
    const wants = this.wants();
    if (news && wants) intr.reassert();
    else intr.set(wants);
  }

  // ── Outgoing: ICR and SELF IPI (11.6.1, 11.12.9, 11.12.11) ─────────────

  // A write of ICR low `low` with destination `high` (xAPIC: ICR high,
  // destination in 31:24; x2APIC: ICR 63:32): sent at once on the bus.
  private icrWrite(low: u32, high: u32): void {
    this.setReg(LAPIC_ICR_LOW, low & ICR_LOW_BITS);
    if (this.x2apicMode()) this.setReg(LAPIC_ICR_LOW + 4, high);
    const mode = (low >> ICR_DELIVERY_SHIFT) & 7;
    const vector = low & 0xff;
    if ((mode == APIC_DM_FIXED || mode == APIC_DM_LOWEST) && vector < 16) {
      this.error(LAPIC_ESR_SEND_ILLEGAL_VECTOR);
      return;
    }
    if (mode == 3 || mode == APIC_DM_EXTINT) {
      this.ignored++;
      return;
    }
    const m = this.msg;
    const x2 = this.x2apicMode();
    m.vector = vector;
    m.delivery = mode;
    m.logical = (low & ICR_DEST_LOGICAL) != 0;
    m.x2apic = x2;
    m.dest = x2 ? high : high >> ICR_DEST_SHIFT;
    m.shorthand = (low >> ICR_SHORTHAND_SHIFT) & 3;
    m.level = mode == APIC_DM_INIT ? (low & ICR_LEVEL_ASSERT) != 0 : true;
    m.trigger = mode == APIC_DM_INIT && (low & ICR_TRIGGER_LEVEL) != 0;
    this.bus.send(m, <i32>this.index);
  }

  // SELF IPI (x2APIC): a fixed edge interrupt to itself, not on the bus;
  // an illegal vector is both a send and a receive error (11.5.3 names the
  // SELF IPI for both).
  private selfIpi(vector: u32): void {
    if (vector < 16) {
      this.error(LAPIC_ESR_SEND_ILLEGAL_VECTOR | LAPIC_ESR_RECEIVE_ILLEGAL_VECTOR);
      return;
    }
    if (this.swEnabled()) this.interrupt(vector, false);
  }

  // ── The timer (11.5.4, 11.5.4.1) ───────────────────────────────────────

  // Current count: the initial count less the divided ticks since the
  // count was loaded; 0 when stopped, expired (one-shot) or TSC-deadline.
  private currentCount(now: u64): u32 {
    const st = this.st;
    const mode = st.timerLvt & LAPIC_LVT_TIMER_MODE_MASK;
    if (mode == LAPIC_LVT_TIMER_TSC_DEADLINE || st.timerRunning == 0) return 0;
    let elapsed: u64 = <i64>(now - st.timerStart) < 0 ? 0 : now - st.timerStart;
    if (mode == LAPIC_LVT_TIMER_PERIODIC) elapsed %= st.timerPeriod;
    else if (elapsed >= st.timerPeriod) return 0;
    return <u32>((st.timerPeriod >> st.timerShift) - (elapsed >> st.timerShift));
  }

  // Everything due by `now` under the configuration the timer runs by: a
  // one-shot or TSC deadline ends, a periodic count reloads (once, however
  // many periods passed: they coalesce), and an unmasked entry interrupts.
  private settle(now: u64): void {
    const st = this.st;
    const lvt = st.timerLvt;
    const mode = lvt & LAPIC_LVT_TIMER_MODE_MASK;
    let periods: u64 = 1;
    if (mode == LAPIC_LVT_TIMER_TSC_DEADLINE) {
      if (st.tscDeadline == 0 || !due(st.tscDeadline, now)) return;
      st.tscDeadline = 0;
    } else {
      if (st.timerRunning == 0 || !due(st.timerNext, now)) return;
      if (mode == LAPIC_LVT_TIMER_PERIODIC) {
        periods = (now - st.timerNext) / st.timerPeriod + 1;
        st.timerNext += periods * st.timerPeriod;
      } else {
        st.timerRunning = 0;
      }
    }
    if ((lvt & LAPIC_LVT_MASKED) != 0) return;
    const v = lvt & LAPIC_LVT_VECTOR_MASK;
    this.timerExpiries += periods;
    this.timerCoalesced += periods - 1;
    if (v >= 16 && this.irrHas(v)) this.timerCoalesced++;
    this.interrupt(v, false);
  }

  // The Timer on the queue: armed only while an unmasked timer runs, at its
  // next expiry, no sooner than LAPIC_TIMER_MIN_PERIOD_US from now for a
  // faster periodic one.
  private rearm(now: u64): void {
    const st = this.st;
    const lvt = st.timerLvt;
    const mode = lvt & LAPIC_LVT_TIMER_MODE_MASK;
    let arm = false;
    let at: u64 = 0;
    if ((lvt & LAPIC_LVT_MASKED) == 0 && this.hwEnabled()) {
      if (mode == LAPIC_LVT_TIMER_TSC_DEADLINE) {
        arm = st.tscDeadline != 0;
        at = st.tscDeadline;
      } else if (st.timerRunning != 0) {
        arm = true;
        at = st.timerNext;
        if (mode == LAPIC_LVT_TIMER_PERIODIC) {
          const min = ticksIn(LAPIC_TIMER_MIN_PERIOD_US, 1000000, this.clock.hz());
          if (st.timerPeriod < min && <i64>(now + min - at) > 0) at = now + min;
        }
      }
    }
    if (arm) this.timer!.arm(at);
    else this.timer!.cancel();
  }

  // The Timer's deadline passed (the domain's timer service).
  timerExpired(): void {
    const now = this.clock.now();
    this.settle(now);
    this.rearm(now);
    this.changed();
  }

  // A write to the LVT timer entry. Mode 11b (reserved) is taken as one-
  // shot. A change of mode disarms the timer (11.5.4.1): the count stops,
  // the initial count and IA32_TSC_DEADLINE read 0.
  private lvtTimerWrite(v: u32): void {
    const st = this.st;
    let lvt = this.lvtForce(v & LVT_TIMER_BITS);
    if ((lvt & LAPIC_LVT_TIMER_MODE_MASK) == LAPIC_LVT_TIMER_MODE_MASK) lvt &= ~LAPIC_LVT_TIMER_MODE_MASK;
    const now = this.clock.now();
    this.settle(now);
    const modeChange = ((lvt ^ st.timerLvt) & LAPIC_LVT_TIMER_MODE_MASK) != 0;
    this.setReg(LAPIC_LVT_TIMER, lvt);
    st.timerLvt = lvt;
    if (modeChange) {
      st.timerRunning = 0;
      st.tscDeadline = 0;
      this.setReg(LAPIC_TIMER_INITIAL, 0);
    }
    this.rearm(now);
  }

  // Initial count: (re)starts the count; 0 stops it; ignored in TSC-
  // deadline mode.
  private initialCountWrite(v: u32): void {
    const st = this.st;
    if ((st.timerLvt & LAPIC_LVT_TIMER_MODE_MASK) == LAPIC_LVT_TIMER_TSC_DEADLINE) {
      this.setReg(LAPIC_TIMER_INITIAL, 0);
      return;
    }
    const now = this.clock.now();
    this.settle(now);
    this.setReg(LAPIC_TIMER_INITIAL, v);
    if (v == 0) {
      st.timerRunning = 0;
    } else {
      st.timerPeriod = <u64>v << st.timerShift;
      st.timerStart = now;
      st.timerNext = now + st.timerPeriod;
      st.timerRunning = 1;
    }
    this.rearm(now);
  }

  // Divide configuration: a running count goes on from its current value
  // at the new rate.
  private divideWrite(v: u32): void {
    const st = this.st;
    const shift = divideShift(v);
    const now = this.clock.now();
    this.settle(now);
    this.setReg(LAPIC_TIMER_DIVIDE, v);
    if (st.timerRunning != 0 && shift != st.timerShift) {
      const left = <u64>this.currentCount(now);
      const initial = st.timerPeriod >> st.timerShift;
      st.timerPeriod = initial << shift;
      st.timerStart = now - ((initial - left) << shift);
      st.timerNext = now + (left << shift);
    }
    st.timerShift = shift;
    this.rearm(now);
  }

  // IA32_TSC_DEADLINE reads 0 and ignores writes outside TSC-deadline mode
  // and with the APIC globally disabled; a deadline already passed fires at
  // once; 0 disarms.
  private tscDeadlineRead(): u64 {
    const st = this.st;
    if (!this.hwEnabled() || (st.timerLvt & LAPIC_LVT_TIMER_MODE_MASK) != LAPIC_LVT_TIMER_TSC_DEADLINE) return 0;
    this.settle(this.clock.now());
    return st.tscDeadline;
  }

  private tscDeadlineWrite(v: u64): void {
    const st = this.st;
    if (!this.hwEnabled() || (st.timerLvt & LAPIC_LVT_TIMER_MODE_MASK) != LAPIC_LVT_TIMER_TSC_DEADLINE) return;
    const now = this.clock.now();
    this.settle(now);
    st.tscDeadline = v;
    this.settle(now);
    this.rearm(now);
  }

  // ── Saved state ─────────────────────────────────────────────────────────

  check(b: usize): string {
    const s = changetype<LapicState>(b + LAPIC_STATE);
    const base = s.apicBase;
    if ((base & ~this.baseWritable()) != 0) return "IA32_APIC_BASE has reserved bits set";
    if ((base & (IA32_APIC_BASE_ENABLE | IA32_APIC_BASE_EXTD)) == IA32_APIC_BASE_EXTD) return "IA32_APIC_BASE: EXTD without EN";
    if ((base & IA32_APIC_BASE_BSP) != (this.index == 0 ? IA32_APIC_BASE_BSP : 0)) return "IA32_APIC_BASE.BSP is not this vCPU's";
    const x2 = (base & IA32_APIC_BASE_EXTD) != 0;
    if (load<u32>(b + LAPIC_VERSION) != LAPIC_VERSION_VALUE) return "version register differs";
    if (x2 && (load<u32>(b + LAPIC_ID) != this.index || load<u32>(b + LAPIC_LDR) != x2apicLdr(this.index))) {
      return "x2APIC ID or LDR is not this vCPU's";
    }
    // Nothing outside the registers: no hidden state in the page.
    for (let off: u32 = 0; off < LAPIC_PAGE_SIZE; off += 16) {
      const from: u32 = x2 && off == LAPIC_ICR_LOW ? 8 : access(off) != 0 ? 4 : 0;
      for (let i = from; i < 16; i += 4) if (load<u32>(b + off + i) != 0) return "register page: reserved bytes not 0";
    }
    if (((load<u32>(b + LAPIC_IRR) | load<u32>(b + LAPIC_ISR) | load<u32>(b + LAPIC_TMR) | load<u32>(b + LAPIC_POSTED)) & 0xffff) != 0) {
      return "vectors 0-15 in IRR, ISR, TMR or posted";
    }
    if (load<u32>(b + LAPIC_TPR) > 0xff || (load<u32>(b + LAPIC_SVR) & ~SVR_BITS) != 0 ||
        (load<u32>(b + LAPIC_ESR) & ~ESR_BITS) != 0 || (s.esrPending & ~ESR_BITS) != 0 ||
        (load<u32>(b + LAPIC_TIMER_DIVIDE) & ~LAPIC_TIMER_DIVIDE_MASK) != 0 ||
        (load<u32>(b + LAPIC_LVT_TIMER) & ~LVT_TIMER_BITS) != 0 ||
        (load<u32>(b + LAPIC_LVT_THERMAL) & ~LVT_DM_BITS) != 0 || (load<u32>(b + LAPIC_LVT_PERF) & ~LVT_DM_BITS) != 0 ||
        (load<u32>(b + LAPIC_LVT_LINT0) & ~(LVT_LINT_BITS | LAPIC_LVT_REMOTE_IRR)) != 0 ||
        (load<u32>(b + LAPIC_LVT_LINT1) & ~LVT_LINT_BITS) != 0 ||
        (load<u32>(b + LAPIC_LVT_ERROR) & ~LVT_ERROR_BITS) != 0) {
      return "a register has bits set it cannot hold";
    }
    const lvt = s.timerLvt;
    const mode = lvt & LAPIC_LVT_TIMER_MODE_MASK;
    if (lvt != load<u32>(b + LAPIC_LVT_TIMER) || mode == LAPIC_LVT_TIMER_MODE_MASK) return "timer entry and its shadow differ";
    if (s.timerShift != divideShift(load<u32>(b + LAPIC_TIMER_DIVIDE))) return "divide configuration and its shadow differ";
    if (s.timerRunning > 1) return "timer running flag out of range";
    const initial = load<u32>(b + LAPIC_TIMER_INITIAL);
    if (s.timerRunning != 0 && (mode == LAPIC_LVT_TIMER_TSC_DEADLINE || initial == 0 || s.timerPeriod != <u64>initial << s.timerShift)) {
      return "running timer inconsistent with its registers";
    }
    if (s.tscDeadline != 0 && mode != LAPIC_LVT_TIMER_TSC_DEADLINE) return "TSC deadline outside TSC-deadline mode";
    if ((s.events & ~(EV_NMI | EV_INIT | EV_SIPI | EV_EXTINT)) != 0 || s.sipiVector > 0xff) return "pending events out of range";
    if ((s.lint & ~(3 | LINT0_REMOTE_IRR)) != 0 || s.reserved != 0) return "pin state out of range";
    if (((s.lint & LINT0_REMOTE_IRR) != 0) != ((load<u32>(b + LAPIC_LVT_LINT0) & LAPIC_LVT_REMOTE_IRR) != 0)) {
      return "LINT0 remote IRR and its entry differ";
    }
    return "";
  }

  // A restored block: posted vectors in IRR, PPR from its TPR and ISR, the
  // Timer armed as the timer runs, the line to the CPU. The caller maps
  // mmioBase() anew.
  restored(): void {
    this.tmrSeq++;
    this.takePosted();
    this.irrRestored = true;
    this.ppr();
    this.rearm(this.clock.now());
    this.changed();
  }
}
