// The I/O APIC a domain sees at 0xFEC00000 (IOAPIC_DEFAULT_BASE): an Intel
// 82093AA with the EOI register of the version 0x20 I/O(x)APICs of PCI 2.2
// chipsets (ICH9 data sheet 13.5), 24 inputs. Devices' IrqLines go to
// `inputs` (GSI n is input n); an input that fires sends one ApicMessage on
// the ApicBus given at creation; the bus's consumers (the local APICs' EOI
// broadcast) call eoi(vector). A pure state machine: no CPU, no allocation
// after creation (one ApicMessage is refilled for every send).
//
// Registers (82093AA data sheet 3.1, 3.2): IOREGSEL at 0x00 selects an
// indirect register, IOWIN at 0x10 reads and writes it, EOI at 0x40 takes a
// vector (write-only; reads 0). Only aligned 32-bit accesses at those three
// offsets are decoded (widths() is WIDTH_4); any other width or offset in
// the 4 KiB window reads all ones and drops writes, as on the chipsets.
// Indirect registers: IOAPICID (0x00, ID in bits 27:24), IOAPICVER (0x01,
// read-only: version 0x20, highest entry 23), IOAPICARB (0x02, read-only:
// the ID last written, as no serial APIC bus rotates it), the redirection
// table (0x10-0x3F, entry n low dword at 0x10 + 2n, high at 0x11 + 2n);
// any other index reads 0 and ignores writes, as QEMU, KVM and bhyve do.
// Reserved bits read 0 and ignore writes; delivery status and remote IRR
// are read-only.
//
// Inputs (data sheet 3.2.4, "Interrupt Input Pin Polarity", "Trigger
// Mode", "Interrupt Mask"): setLevel's level is the wire's, and an entry
// with POL set (active low) is asserted while its wire is low. Edges are
// changes of the wire, never of the entry: an edge-triggered input sends
// once when it becomes asserted and is unmasked; an edge on a masked input
// is lost. A level-triggered input sends while it is asserted, unmasked and
// its remote IRR clear, and sets remote IRR; an EOI of its vector (eoi(),
// or a write of the EOI register) clears remote IRR and, the input still
// asserted, sends again; unmasking an asserted level input sends. Writing
// an entry edge-triggered clears its remote IRR: Linux's EOI for I/O APICs
// before 0x20 (__eoi_ioapic_pin: mask, edge, restore) relies on it, and
// QEMU does the same. SMI, NMI, INIT and ExtINT are sent as edges whatever
// the trigger mode says, as the data sheet has them; the reserved modes 011
// and 110 send nothing. Delivery is immediate (the bus is never busy), so
// delivery status reads 0. The vector goes out as programmed; a vector
// below 0x10 is the receiving local APIC's error to report.
//
// The state block, at the IoApicState pointer (offsets in bytes), plain
// data saved and restored as it is (src/devices/device.ts):
//
//   ┌──────────────────────────────────┐ 0
//   │ ioregsel  u32  IOREGSEL, 7:0     │
//   │ id        u32  IOAPICID as read  │ 4   bits 27:24
//   │ pins      u32  wire levels       │ 8   bit n: input n high
//   │ reserved  u32  0                 │ 12
//   ├──────────────────────────────────┤ 16 (IOAPIC_TABLE)
//   │ entry n: low u32, high u32       │   n = 0..23, as the registers read
//   └──────────────────────────────────┘ 208 (IOAPIC_BLOCK_SIZE)
//
// The wire levels are state of the wires, not of the chip: reset() keeps
// them, so a device holding its line stays consistent with its IrqLine.
import { Access, Device, DEV_OK, WIDTH_4, widthMask } from "./device";
import {
  ApicBus, ApicMessage, APIC_DM_FIXED, APIC_DM_LOWEST, APIC_DM_SMI, APIC_DM_NMI, APIC_DM_INIT, APIC_DM_EXTINT,
  APIC_DEST_NONE,
} from "./apic-bus";
import { IrqController } from "./irq";
import { dec, hex } from "../lib/str";
import {
  IOAPIC_REGSEL, IOAPIC_WINDOW, IOAPIC_REG_ID, IOAPIC_REG_VERSION, IOAPIC_REG_REDIR,
  IOAPIC_VERSION_MAX_REDIR_SHIFT, IOAPIC_REDIR_VECTOR_MASK, IOAPIC_REDIR_ACTIVE_LOW, IOAPIC_REDIR_LEVEL,
  IOAPIC_REDIR_MASKED, IOAPIC_REDIR_DEST_SHIFT,
} from "../arch/apic";
import {
  IOAPIC_EOI, IOAPIC_REGSEL_MASK, IOAPIC_REG_ARB, IOAPIC_ID_SHIFT, IOAPIC_ID_MASK, IOAPIC_PINS,
  IOAPIC_VERSION_EOI, IOAPIC_REDIR_DELIVERY_SHIFT, IOAPIC_REDIR_DELIVERY_MASK, IOAPIC_REDIR_DEST_LOGICAL,
  IOAPIC_REDIR_DELIVERY_STATUS, IOAPIC_REDIR_REMOTE_IRR, IOAPIC_REDIR_DEST_MASK,
} from "../arch/ioapic";

export const IOAPIC_KIND: u32 = 0x50414f49;   // "IOAP"
const IOAPIC_STATE_VERSION: u32 = 1;
export const IOAPIC_TABLE: u32 = 16;
export const IOAPIC_BLOCK_SIZE: u32 = IOAPIC_TABLE + IOAPIC_PINS * 8;

// The low dword's read/write bits: vector, delivery mode, destination
// mode, polarity, trigger mode, mask.
const LOW_WRITABLE: u32 = IOAPIC_REDIR_VECTOR_MASK | IOAPIC_REDIR_DELIVERY_MASK | IOAPIC_REDIR_DEST_LOGICAL |
  IOAPIC_REDIR_ACTIVE_LOW | IOAPIC_REDIR_LEVEL | IOAPIC_REDIR_MASKED;
const LOW_VALID: u32 = LOW_WRITABLE | IOAPIC_REDIR_DELIVERY_STATUS | IOAPIC_REDIR_REMOTE_IRR;
const PINS_VALID: u32 = (1 << IOAPIC_PINS) - 1;
const REDIR_END: u32 = IOAPIC_REG_REDIR + 2 * IOAPIC_PINS;
const VERSION_VALUE: u32 = IOAPIC_VERSION_EOI | ((IOAPIC_PINS - 1) << IOAPIC_VERSION_MAX_REDIR_SHIFT);
// The I/O APIC as the sender (ApicBus.send's `from`).
const FROM_IOAPIC: i32 = -1;

@unmanaged
export class IoApicState {
  ioregsel: u32;
  id: u32;
  pins: u32;
  reserved: u32;

  // Entry `pin`'s dwords; every caller has pin < IOAPIC_PINS.
  @inline low(pin: u32): u32 {
    return load<u32>(changetype<usize>(this) + IOAPIC_TABLE + (<usize>pin << 3));
  }
  @inline high(pin: u32): u32 {
    return load<u32>(changetype<usize>(this) + IOAPIC_TABLE + (<usize>pin << 3) + 4);
  }
  @inline setLow(pin: u32, v: u32): void {
    store<u32>(changetype<usize>(this) + IOAPIC_TABLE + (<usize>pin << 3), v);
  }
  @inline setHigh(pin: u32, v: u32): void {
    store<u32>(changetype<usize>(this) + IOAPIC_TABLE + (<usize>pin << 3) + 4, v);
  }
}

// Delivery mode of a low dword.
@inline function deliveryOf(low: u32): u32 {
  return (low & IOAPIC_REDIR_DELIVERY_MASK) >> IOAPIC_REDIR_DELIVERY_SHIFT;
}

// Level-triggered as the chip acts on it: trigger mode level, and a mode
// that has a vector to EOI (fixed or lowest priority; data sheet 3.2.4
// takes SMI, NMI, INIT and ExtINT as edges).
@inline function levelTriggered(low: u32): bool {
  const mode = deliveryOf(low);
  return (low & IOAPIC_REDIR_LEVEL) != 0 && (mode == APIC_DM_FIXED || mode == APIC_DM_LOWEST);
}

@final
export class IoApic extends Device {
  s: IoApicState = changetype<IoApicState>(heap.alloc(<usize>IOAPIC_BLOCK_SIZE));
  // The interrupt inputs: `new IrqLine(ioapic.inputs, gsi)`.
  inputs: IoApicInputs = new IoApicInputs();
  private msg: ApicMessage = new ApicMessage();
  private resetId: u32;

  // `id`: the APIC ID the guest's MADT gives it (0-15), what a reset
  // leaves in IOAPICID, as firmware would have programmed it.
  constructor(public bus: ApicBus, id: u32) {
    super();
    this.resetId = (id << IOAPIC_ID_SHIFT) & IOAPIC_ID_MASK;
    this.inputs.ioapic = this;
    this.s.pins = 0;
    this.reset();
  }

  kind(): u32 { return IOAPIC_KIND; }
  name(): string { return "ioapic"; }
  version(): u32 { return IOAPIC_STATE_VERSION; }
  block(): usize { return changetype<usize>(this.s); }
  blockSize(): u32 { return IOAPIC_BLOCK_SIZE; }
  widths(): u32 { return WIDTH_4; }

  read(a: Access): u64 {
    if (a.width != 4) return widthMask(a.width);
    const o = a.offset;
    if (o == <u64>IOAPIC_REGSEL) return this.s.ioregsel;
    if (o == <u64>IOAPIC_WINDOW) return this.readRegister(this.s.ioregsel);
    if (o == <u64>IOAPIC_EOI) return 0;
    return 0xffffffff;
  }

  write(a: Access, value: u64): u32 {
    if (a.width != 4) return DEV_OK;
    const o = a.offset;
    const v = <u32>value;
    if (o == <u64>IOAPIC_REGSEL) this.s.ioregsel = v & IOAPIC_REGSEL_MASK;
    else if (o == <u64>IOAPIC_WINDOW) this.writeRegister(this.s.ioregsel, v);
    else if (o == <u64>IOAPIC_EOI) this.eoi(v);
    return DEV_OK;
  }

  // Every entry masked, the rest 0 (data sheet 3.2.4: the mask bit is set
  // at reset); the ID the MADT gives. The wire levels stay.
  reset(): void {
    const s = this.s;
    s.ioregsel = 0;
    s.id = this.resetId;
    s.reserved = 0;
    for (let pin: u32 = 0; pin < IOAPIC_PINS; pin++) {
      s.setLow(pin, IOAPIC_REDIR_MASKED);
      s.setHigh(pin, 0);
    }
  }

  // A block this model can be in: reserved bits clear, no send pending,
  // remote IRR only on a level-triggered entry (writing edge clears it).
  // restored() is the default: nothing is sent, what was in flight is in
  // the local APICs' own state.
  check(b: usize): string {
    const s = changetype<IoApicState>(b);
    if (s.ioregsel > IOAPIC_REGSEL_MASK) return "IOREGSEL " + hex(s.ioregsel, 8) + " beyond bits 7:0";
    if ((s.id & ~IOAPIC_ID_MASK) != 0) return "IOAPICID " + hex(s.id, 8) + " has reserved bits set";
    if ((s.pins & ~PINS_VALID) != 0) return "input levels " + hex(s.pins, 8) + " beyond input 23";
    if (s.reserved != 0) return "reserved word not 0";
    for (let pin: u32 = 0; pin < IOAPIC_PINS; pin++) {
      const low = s.low(pin);
      let bad = "";
      if ((low & ~LOW_VALID) != 0 || (s.high(pin) & ~IOAPIC_REDIR_DEST_MASK) != 0) bad = "has reserved bits set";
      else if ((low & IOAPIC_REDIR_DELIVERY_STATUS) != 0) bad = "has a send pending";
      else if ((low & IOAPIC_REDIR_REMOTE_IRR) != 0 && (low & IOAPIC_REDIR_LEVEL) == 0) {
        bad = "has remote IRR set but is edge-triggered";
      }
      if (bad.length != 0) return "redirection entry " + dec(pin) + " " + bad;
    }
    return "";
  }

  // ── The interrupt side ───────────────────────────────────────────────────

  // Input `pin`'s wire went to `level` (true: high). Inputs past 23 are
  // not connected.
  setPin(pin: u32, level: bool): void {
    if (pin >= IOAPIC_PINS) return;
    const s = this.s;
    const old = s.pins;
    s.pins = level ? old | (1 << pin) : old & ~(1 << pin);
    if (s.pins == old || !this.asserted(pin)) return;
    const low = s.low(pin);
    if (levelTriggered(low)) this.serviceLevel(pin);
    else if ((low & IOAPIC_REDIR_MASKED) == 0) this.send(pin, low, false);
  }

  // An EOI of `vector` (bits 7:0): from the local APICs' broadcast or the
  // EOI register. Every entry of that vector with remote IRR set clears it
  // (ICH9 13.5.5: entries sharing a vector all do), masked or not; an
  // input still asserted sends again.
  eoi(vector: u32): void {
    const s = this.s;
    const v = vector & IOAPIC_REDIR_VECTOR_MASK;
    for (let pin: u32 = 0; pin < IOAPIC_PINS; pin++) {
      const low = s.low(pin);
      if ((low & IOAPIC_REDIR_REMOTE_IRR) == 0 || (low & IOAPIC_REDIR_VECTOR_MASK) != v) continue;
      s.setLow(pin, low & ~IOAPIC_REDIR_REMOTE_IRR);
      this.serviceLevel(pin);
    }
  }

  // ── Internals ────────────────────────────────────────────────────────────

  private readRegister(reg: u32): u32 {
    const s = this.s;
    if (reg == IOAPIC_REG_ID || reg == IOAPIC_REG_ARB) return s.id;
    if (reg == IOAPIC_REG_VERSION) return VERSION_VALUE;
    if (reg >= IOAPIC_REG_REDIR && reg < REDIR_END) {
      const pin = (reg - IOAPIC_REG_REDIR) >> 1;
      return (reg & 1) != 0 ? s.high(pin) : s.low(pin);
    }
    return 0;
  }

  private writeRegister(reg: u32, v: u32): void {
    const s = this.s;
    if (reg == IOAPIC_REG_ID) {
      s.id = v & IOAPIC_ID_MASK;
      return;
    }
    if (reg < IOAPIC_REG_REDIR || reg >= REDIR_END) return;  // IOAPICVER, IOAPICARB, unimplemented
    const pin = (reg - IOAPIC_REG_REDIR) >> 1;
    if ((reg & 1) != 0) {
      s.setHigh(pin, v & IOAPIC_REDIR_DEST_MASK);
      return;
    }
    let low = (s.low(pin) & ~LOW_WRITABLE) | (v & LOW_WRITABLE);
    if ((low & IOAPIC_REDIR_LEVEL) == 0) low &= ~IOAPIC_REDIR_REMOTE_IRR;
    s.setLow(pin, low);
    // Unmasked (or made level) while asserted with nothing in service.
    this.serviceLevel(pin);
  }

  // The input's state after its polarity (data sheet 3.2.4, bit 13).
  @inline private asserted(pin: u32): bool {
    const high = (this.s.pins & (1 << pin)) != 0;
    return high != ((this.s.low(pin) & IOAPIC_REDIR_ACTIVE_LOW) != 0);
  }

  // A level-triggered input sends if it is asserted, unmasked and has no
  // interrupt in service.
  private serviceLevel(pin: u32): void {
    const low = this.s.low(pin);
    if (!levelTriggered(low) || (low & (IOAPIC_REDIR_MASKED | IOAPIC_REDIR_REMOTE_IRR)) != 0) return;
    if (!this.asserted(pin)) return;
    // Set before the send, so a bus that takes the EOI at once finds it.
    this.s.setLow(pin, low | IOAPIC_REDIR_REMOTE_IRR);
    this.send(pin, low, true);
  }

  private send(pin: u32, low: u32, level: bool): void {
    const mode = deliveryOf(low);
    if (mode != APIC_DM_FIXED && mode != APIC_DM_LOWEST && mode != APIC_DM_SMI && mode != APIC_DM_NMI &&
        mode != APIC_DM_INIT && mode != APIC_DM_EXTINT) return;   // 011, 110: reserved
    const m = this.msg;
    m.vector = low & IOAPIC_REDIR_VECTOR_MASK;
    m.delivery = mode;
    m.logical = (low & IOAPIC_REDIR_DEST_LOGICAL) != 0;
    m.dest = this.s.high(pin) >> IOAPIC_REDIR_DEST_SHIFT;
    m.x2apic = false;
    m.shorthand = APIC_DEST_NONE;
    m.level = true;
    m.trigger = level;
    this.bus.send(m, FROM_IOAPIC);
  }
}

// The I/O APIC's inputs as an interrupt controller, for IrqLines.
@final
export class IoApicInputs extends IrqController {
  ioapic: IoApic | null = null;   // set by the IoApic that owns it

  setLevel(input: u32, level: bool): void {
    const io = this.ioapic;
    if (io !== null) io.setPin(input, level);
  }
}
