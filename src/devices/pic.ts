// The PC's two cascaded 8259A interrupt controllers and the PIIX's ELCR, as
// one device on the port bus (0x20-0x21 master, 0xA0-0xA1 slave, 0x4D0-
// 0x4D1 ELCR; byte wide, the bus splits wider accesses). ISA IRQ 0-7 are
// the master's IR0-7, IRQ 8-15 the slave's; the slave's INT is the master's
// IR2, and the master's INT drives the output line (vCPU 0's LINT0 or INTR).
// Devices' IrqLines go to `inputs`; the CPU side asks hasInterrupt() and,
// for the INTA cycle, acknowledge(), which returns the vector to inject.
// A pure state machine: no CPU, no allocation after creation.
//
// Behaviour follows the Intel 8259A data sheet ("Programming the 8259A";
// "Interrupt Sequence"; "Priority Modes"), with the PIIX's changes: ICW1's
// LTIM is ignored and the ELCR chooses edge or level per IRQ (IRQ 0, 1, 2,
// 8 and 13 are edge only). An edge input latches its IRR bit on a rising
// edge and keeps it until the INTA cycle takes it, even if the line has
// fallen by then (QEMU and bhyve do the same, so a pulse is not lost); a
// level input's IRR bit is its line, so an EOI with the line still high
// interrupts again. An INTA with nothing to give returns the chip's IR7
// vector without setting an ISR bit (the data sheet's "default IR7"); from
// the slave, the master has still put IR2 in service, which Linux's
// spurious-IRQ15 path EOIs. A reset leaves the pair as a PC BIOS does
// (vectors 0x08 and 0x70, cascade on IR2, every IRQ masked but IR2), since
// a guest here starts without firmware.
//
// The state block (offsets in bytes) is two chips, the master then the
// slave, each a Pic8259 of PIC_CHIP_SIZE bytes:
//
//   ┌──────────────────────────────────────────────┐ 0
//   │ irr isr imr lines                            │   lines: input levels last seen
//   │ elcr vector icw1 icw3                        │ 4 vector: ICW2's T7-T3
//   │ icw4 step lowest readIsr                     │ 8 step: next ICW (2-4), 0 when done
//   │ poll smm rotateAeoi reserved                 │ 12
//   └──────────────────────────────────────────────┘ 16 (PIC_CHIP_SIZE)
//
// The master's lines bit 2 is the slave's INT. The input levels are state
// of the wires, not of the chips: reset() keeps them, so a device holding
// its line high stays consistent with its IrqLine.
import { Access, Device, DEV_OK } from "./device";
import { IrqController, IrqLine } from "./irq";
import {
  PIC_MASTER_CMD, PIC_MASTER_DATA, PIC_SLAVE_CMD, PIC_SLAVE_DATA, PIC_ELCR1, PIC_ELCR2,
  PIC_ISA_IRQS, PIC_CASCADE_IR, PIC_SPURIOUS_IR,
  PIC_ICW1_IC4, PIC_ICW1_SNGL, PIC_ICW1_INIT, PIC_INIT_LOWEST_IR, PIC_INIT_SLAVE_ID,
  PIC_ICW2_VECTOR, PIC_ICW3_SLAVE_ID,
  PIC_ICW4_AEOI, PIC_ICW4_SFNM, PIC_ICW4_MASK,
  PIC_OCW2_LEVEL, PIC_OCW2_COMMAND, PIC_OCW2_ROTATE_AEOI_CLEAR, PIC_OCW2_EOI, PIC_OCW2_SPECIFIC_EOI,
  PIC_OCW2_ROTATE_AEOI_SET, PIC_OCW2_ROTATE_EOI, PIC_OCW2_SET_PRIORITY, PIC_OCW2_ROTATE_SPECIFIC_EOI,
  PIC_OCW3_RIS, PIC_OCW3_RR, PIC_OCW3_P, PIC_OCW3_SELECT, PIC_OCW3_SMM, PIC_OCW3_ESMM, PIC_POLL_INT,
  PIC_ELCR1_MASK, PIC_ELCR2_MASK,
  PIC_BIOS_MASTER_VECTOR, PIC_BIOS_SLAVE_VECTOR, PIC_BIOS_ICW1, PIC_BIOS_ICW4,
  PIC_BIOS_MASTER_IMR, PIC_BIOS_SLAVE_IMR,
} from "../arch/i8259";

export const PIC_CHIP_SIZE: u32 = 16;
export const PIC_BLOCK_SIZE: u32 = 2 * PIC_CHIP_SIZE;

// No IR: what pending() and the priority search return for none.
const NONE: i32 = -1;
// What the CPU reads from a data bus nobody drives (an INTA the addressed
// slave does not answer).
const FLOATING_BUS: i32 = 0xff;

// The bit of IR `ir` (0-7) in an 8-bit register.
@inline function bitOf(ir: i32): u8 {
  return <u8>(<i32>1 << ir);
}

// One 8259A. Methods take the IRs that have a slave (`slaves`, the
// master's cascade ICW3 bits; 0 for the slave) where the data sheet's rules
// depend on it.
@unmanaged
export class Pic8259 {
  irr: u8;
  isr: u8;
  imr: u8;
  lines: u8;
  elcr: u8;
  vector: u8;
  icw1: u8;
  icw3: u8;
  icw4: u8;
  step: u8;
  lowest: u8;
  readIsr: u8;
  poll: u8;
  smm: u8;
  rotateAeoi: u8;
  reserved: u8;

  // As a PC BIOS programs it; the input levels stay.
  biosReset(vector: u8, icw3: u8, imr: u8): void {
    const lines = this.lines;
    memory.fill(changetype<usize>(this), 0, <usize>PIC_CHIP_SIZE);
    this.lines = lines;
    this.icw1 = PIC_BIOS_ICW1;
    this.vector = vector;
    this.icw3 = icw3;
    this.icw4 = PIC_BIOS_ICW4;
    this.imr = imr;
    this.lowest = PIC_INIT_LOWEST_IR;
  }

  // IRs with a slave, when this chip is the master.
  @inline slaves(): u8 {
    return (this.icw1 & PIC_ICW1_SNGL) != 0 ? 0 : this.icw3;
  }

  // ── Guest accesses ─────────────────────────────────────────────────────

  // A read at A0 = `a0`: the poll word after OCW3.P, else IRR or ISR (A0 = 0,
  // as OCW3 chose) or IMR (A0 = 1).
  read(a0: bool, slaves: u8): u8 {
    if (this.poll != 0) {
      // The data sheet treats this read as an interrupt acknowledge.
      this.poll = 0;
      const ir = this.pending(slaves);
      if (ir == NONE) return 0;
      this.intack(ir);
      return PIC_POLL_INT | <u8>ir;
    }
    if (a0) return this.imr;
    return this.readIsr != 0 ? this.isr : this.irr;
  }

  // A write at A0 = 0: ICW1, OCW2 or OCW3 by D4 and D3.
  writeCommand(v: u8): void {
    if ((v & PIC_ICW1_INIT) != 0) this.icw1Write(v);
    else if ((v & PIC_OCW3_SELECT) != 0) this.ocw3Write(v);
    else this.ocw2Write(v);
  }

  // A write at A0 = 1: the ICW the sequence expects, else OCW1 (the IMR).
  writeData(v: u8): void {
    switch (this.step) {
      case 2:
        this.vector = v & PIC_ICW2_VECTOR;
        if ((this.icw1 & PIC_ICW1_SNGL) == 0) this.step = 3;
        else this.step = (this.icw1 & PIC_ICW1_IC4) != 0 ? 4 : 0;
        break;
      case 3:
        this.icw3 = v;
        this.step = (this.icw1 & PIC_ICW1_IC4) != 0 ? 4 : 0;
        break;
      case 4:
        this.icw4 = v & PIC_ICW4_MASK;
        this.step = 0;
        break;
      default:
        this.imr = v;
    }
  }

  // The ELCR byte for this chip; `mask` holds the bits that may be level.
  writeElcr(v: u8, mask: u8): void {
    const elcr = v & mask;
    const changed = this.elcr ^ elcr;
    this.elcr = elcr;
    // An input turned level requests while its line is high; one turned
    // edge waits for its next rising edge.
    this.irr = (this.irr & ~changed) | (this.lines & elcr & changed);
  }

  // ── Inputs and the INTA cycle ──────────────────────────────────────────

  // IR `pin` (0-7) went to `level`.
  setInput(pin: u32, level: bool): void {
    const bit = bitOf(<i32>pin);
    const rising = level && (this.lines & bit) == 0;
    if (level) this.lines |= bit;
    else this.lines &= ~bit;
    if ((this.elcr & bit) != 0) {
      if (level) this.irr |= bit;
      else this.irr &= ~bit;
    } else if (rising) {
      this.irr |= bit;
    }
  }

  // The IR this chip's INT asks for, or NONE: the highest-priority unmasked
  // request above every in-service level ("Priority Modes": fully nested,
  // rotation from `lowest`). In special mask mode a masked ISR bit does not
  // hold lower levels off; in special fully nested mode an IR with a slave
  // in service does not hold off that slave's further requests. INT stays
  // low until the initialization sequence ends: there is no vector yet.
  pending(slaves: u8): i32 {
    if (this.step != 0) return NONE;
    const requests = this.irr & ~this.imr;
    if (requests == 0) return NONE;
    const p = this.priority(requests);
    const ps = this.priority(this.inService());
    const ir = this.irOf(p);
    if (p < ps) return ir;
    if (p == ps && (this.icw4 & PIC_ICW4_SFNM) != 0 && (slaves & bitOf(ir)) != 0) return ir;
    return NONE;
  }

  // The INTA cycle's effect on IR `ir`: IRR to ISR (none in automatic EOI
  // mode, which rotates if asked); a level request stays while its line does.
  intack(ir: i32): void {
    const bit = bitOf(ir);
    if ((this.icw4 & PIC_ICW4_AEOI) != 0) {
      if (this.rotateAeoi != 0) this.lowest = <u8>ir;
    } else {
      this.isr |= bit;
    }
    if ((this.elcr & bit) == 0) this.irr &= ~bit;
  }

  // ── Internals ──────────────────────────────────────────────────────────

  // ISR bits the priority logic sees: in special mask mode, not the masked.
  @inline private inService(): u8 {
    return this.smm != 0 ? this.isr & ~this.imr : this.isr;
  }

  // The priority (0 highest .. 7) of the highest-priority IR in `mask`, 8
  // for none. IR lowest + 1 has priority 0.
  private priority(mask: u8): i32 {
    if (mask == 0) return 8;
    let p: i32 = 0;
    while ((mask & bitOf(this.irOf(p))) == 0) p++;
    return p;
  }

  @inline private irOf(priority: i32): i32 {
    return (priority + <i32>this.lowest + 1) & 7;
  }

  // ICW1: the start of initialization, with what the data sheet says it
  // does at once: the edge sense circuit reset (only level requests stay),
  // IMR cleared, IR7 lowest, slave address 7, special mask mode off, reads
  // of IRR, and ICW4's functions zero when no ICW4 follows. ISR is kept.
  private icw1Write(v: u8): void {
    this.icw1 = v;
    this.step = 2;
    this.irr &= this.elcr;
    this.imr = 0;
    this.lowest = PIC_INIT_LOWEST_IR;
    this.icw3 = PIC_INIT_SLAVE_ID;
    this.smm = 0;
    this.readIsr = 0;
    this.poll = 0;
    if ((v & PIC_ICW1_IC4) == 0) this.icw4 = 0;
  }

  // OCW2: end of interrupt and the priority commands (R, SL, EOI).
  private ocw2Write(v: u8): void {
    const level = <i32>(v & PIC_OCW2_LEVEL);
    switch (v & PIC_OCW2_COMMAND) {
      case PIC_OCW2_ROTATE_AEOI_CLEAR: this.rotateAeoi = 0; break;
      case PIC_OCW2_ROTATE_AEOI_SET: this.rotateAeoi = 1; break;
      case PIC_OCW2_EOI:
      case PIC_OCW2_ROTATE_EOI: {
        // The highest level in service, as the priority logic sees it: in
        // special mask mode a masked ISR bit is not cleared.
        const p = this.priority(this.inService());
        if (p == 8) break;
        const ir = this.irOf(p);
        this.isr &= ~bitOf(ir);
        if ((v & PIC_OCW2_COMMAND) == PIC_OCW2_ROTATE_EOI) this.lowest = <u8>ir;
        break;
      }
      case PIC_OCW2_SPECIFIC_EOI: this.isr &= ~bitOf(level); break;
      case PIC_OCW2_ROTATE_SPECIFIC_EOI:
        this.isr &= ~bitOf(level);
        this.lowest = <u8>level;
        break;
      case PIC_OCW2_SET_PRIORITY: this.lowest = <u8>level; break;
      default: break; // PIC_OCW2_NOP
    }
  }

  // OCW3: special mask mode (ESMM, SMM), poll (P), read register (RR, RIS).
  private ocw3Write(v: u8): void {
    if ((v & PIC_OCW3_ESMM) != 0) this.smm = (v & PIC_OCW3_SMM) != 0 ? 1 : 0;
    if ((v & PIC_OCW3_RR) != 0) this.readIsr = (v & PIC_OCW3_RIS) != 0 ? 1 : 0;
    if ((v & PIC_OCW3_P) != 0) this.poll = 1;
  }
}

// The pair's ISA IRQ inputs, for devices' IrqLines (input = ISA IRQ).
@final
class PicInputs extends IrqController {
  constructor(public pic: Pic8259Pair) {
    super();
  }

  setLevel(input: u32, level: bool): void {
    this.pic.setIrq(input, level);
  }
}

export const PIC_KIND: u32 = 0x39353238;   // "8259"
const PIC_VERSION: u32 = 1;

@final
export class Pic8259Pair extends Device {
  private state: usize = heap.alloc(<usize>PIC_BLOCK_SIZE);
  // Where devices wire ISA IRQ 0-15 (IrqLine(pic.inputs, irq)). IRQ 2 is
  // the cascade, driven by the slave alone (the PC/AT sends the ISA bus's
  // IRQ2 pin to IRQ 9): an input 2, or 16 and above, is not connected.
  inputs: IrqController = changetype<IrqController>(0); // set in the constructor, which has `this`

  // `out`: what the master's INT drives, or null.
  constructor(public out: IrqLine | null) {
    super();
    this.inputs = new PicInputs(this);
    memory.fill(this.state, 0, <usize>PIC_BLOCK_SIZE);
    this.reset();
  }

  @inline get master(): Pic8259 { return changetype<Pic8259>(this.state); }
  @inline get slave(): Pic8259 { return changetype<Pic8259>(this.state + <usize>PIC_CHIP_SIZE); }

  kind(): u32 { return PIC_KIND; }
  name(): string { return "i8259"; }
  version(): u32 { return PIC_VERSION; }
  block(): usize { return this.state; }
  blockSize(): u32 { return PIC_BLOCK_SIZE; }

  // By port: the device is registered at its three PC ranges (PIC_PORTS
  // at each chip's base, PIC_ELCR_PORTS at PIC_ELCR1).
  read(a: Access): u64 {
    const m = this.master;
    let v: u8 = 0xff;
    switch (<u32>a.address) {
      case PIC_MASTER_CMD: v = m.read(false, m.slaves()); break;
      case PIC_MASTER_DATA: v = m.read(true, m.slaves()); break;
      case PIC_SLAVE_CMD: v = this.slave.read(false, 0); break;
      case PIC_SLAVE_DATA: v = this.slave.read(true, 0); break;
      case PIC_ELCR1: v = m.elcr; break;
      case PIC_ELCR2: v = this.slave.elcr; break;
      default: return v;
    }
    this.update(); // a poll read acknowledges
    return v;
  }

  write(a: Access, value: u64): u32 {
    const v = <u8>value;
    switch (<u32>a.address) {
      case PIC_MASTER_CMD: this.master.writeCommand(v); break;
      case PIC_MASTER_DATA: this.master.writeData(v); break;
      case PIC_SLAVE_CMD: this.slave.writeCommand(v); break;
      case PIC_SLAVE_DATA: this.slave.writeData(v); break;
      case PIC_ELCR1: this.master.writeElcr(v, PIC_ELCR1_MASK); break;
      case PIC_ELCR2: this.slave.writeElcr(v, PIC_ELCR2_MASK); break;
      default: return DEV_OK;
    }
    this.update();
    return DEV_OK;
  }

  reset(): void {
    this.master.biosReset(PIC_BIOS_MASTER_VECTOR, bitOf(<i32>PIC_CASCADE_IR), PIC_BIOS_MASTER_IMR);
    this.slave.biosReset(PIC_BIOS_SLAVE_VECTOR, <u8>PIC_CASCADE_IR, PIC_BIOS_SLAVE_IMR);
    this.update();
  }

  // ── The ISA side ───────────────────────────────────────────────────────

  // ISA IRQ `irq` went to `level` (what `inputs` passes on).
  setIrq(irq: u32, level: bool): void {
    if (irq >= PIC_ISA_IRQS || irq == PIC_CASCADE_IR) return;
    if (irq < 8) this.master.setInput(irq, level);
    else this.slave.setInput(irq - 8, level);
    this.update();
  }

  // ── The CPU side ───────────────────────────────────────────────────────

  // The master's INT: an unmasked request above everything in service.
  hasInterrupt(): bool {
    const m = this.master;
    return m.pending(m.slaves()) != NONE;
  }

  // The INTA cycle ("Interrupt Sequence", 8086 mode): the vector to inject.
  // The master takes its highest request into service; for an IR with a
  // slave it puts the IR's number on CAS2-0 and the slave of that ID sends
  // its own vector. With nothing to give, a chip sends its IR7 vector and
  // sets no ISR bit. MCS-80/85 mode (ICW4.uPM = 0) is taken as 8086 mode:
  // an x86 CPU runs the two-pulse cycle and reads the vector from the
  // second (QEMU does the same).
  acknowledge(): i32 {
    const m = this.master;
    const slaves = m.slaves();
    const ir = m.pending(slaves);
    let vector: i32;
    if (ir == NONE) {
      vector = <i32>m.vector + PIC_SPURIOUS_IR;
    } else {
      if ((slaves & bitOf(ir)) != 0) vector = this.slaveAcknowledge(ir);
      else vector = <i32>m.vector + ir;
      m.intack(ir);
    }
    this.update();
    return vector;
  }

  // ── Saved state ────────────────────────────────────────────────────────

  check(b: usize): string {
    const m = changetype<Pic8259>(b);
    const s = changetype<Pic8259>(b + <usize>PIC_CHIP_SIZE);
    let bad = checkChip(m, PIC_ELCR1_MASK);
    if (bad.length != 0) return "master: " + bad;
    bad = checkChip(s, PIC_ELCR2_MASK);
    if (bad.length != 0) return "slave: " + bad;
    const slaveInt: u8 = s.pending(0) != NONE ? 1 : 0;
    if (((m.lines >> <u8>PIC_CASCADE_IR) & 1) != slaveInt) return "master IR2 does not follow the slave's INT";
    return "";
  }

  restored(): void {
    this.update();
  }

  // ── Internals ──────────────────────────────────────────────────────────

  // The slave's part of an INTA cycle addressed to the slave with ID `id`:
  // its vector, IR7's if it has no request (the master's IR2 is in service
  // all the same), or a floating bus if no slave has that ID.
  private slaveAcknowledge(id: i32): i32 {
    const s = this.slave;
    if ((s.icw1 & PIC_ICW1_SNGL) != 0 || <i32>(s.icw3 & PIC_ICW3_SLAVE_ID) != id) return FLOATING_BUS;
    const ir = s.pending(0);
    if (ir == NONE) return <i32>s.vector + PIC_SPURIOUS_IR;
    s.intack(ir);
    return <i32>s.vector + ir;
  }

  // The slave's INT to the master's IR2, the master's INT to the output.
  private update(): void {
    const m = this.master;
    m.setInput(PIC_CASCADE_IR, this.slave.pending(0) != NONE);
    const out = this.out;
    if (out !== null) out.set(m.pending(m.slaves()) != NONE);
  }
}

// "" if `c` is a state an 8259A reaches, else what is wrong.
function checkChip(c: Pic8259, elcrMask: u8): string {
  if (c.reserved != 0) return "reserved byte not 0";
  if ((c.icw1 & PIC_ICW1_INIT) == 0) return "ICW1 without D4";
  const step = c.step;
  if (step != 0 && step != 2 && step != 3 && step != 4) return "initialization step out of range";
  if (step == 3 && (c.icw1 & PIC_ICW1_SNGL) != 0) return "waiting for ICW3 in single mode";
  if (step == 4 && (c.icw1 & PIC_ICW1_IC4) == 0) return "waiting for ICW4 that ICW1 did not ask for";
  if ((c.vector & ~PIC_ICW2_VECTOR) != 0) return "vector base not a multiple of 8";
  // ICW1 without IC4 zeroes ICW4's functions.
  if ((c.icw4 & ~PIC_ICW4_MASK) != 0 || (c.icw4 != 0 && (c.icw1 & PIC_ICW1_IC4) == 0)) {
    return "ICW4 out of range";
  }
  if (c.lowest > 7) return "lowest priority level out of range";
  if (c.readIsr > 1 || c.poll > 1 || c.smm > 1 || c.rotateAeoi > 1) return "flag not 0 or 1";
  if ((c.elcr & ~elcrMask) != 0) return "ELCR bit set for an edge-only IRQ";
  if (((c.irr ^ c.lines) & c.elcr) != 0) return "level-triggered request does not follow its line";
  return "";
}
