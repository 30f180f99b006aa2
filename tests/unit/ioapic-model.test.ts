// The guest's I/O APIC (src/devices/ioapic.ts): register by register as the
// 82093AA data sheet (3.1, 3.2) and the version 0x20 EOI register (ICH9
// 13.5) give them, the inputs and the messages they send, what Linux's
// arch/x86/kernel/apic/io_apic.c does to it (index/data accesses, entries
// written high then low while masked, clear_IO_APIC, the remote-IRR EOI of
// I/O APICs before 0x20, check_timer's IRQ0 on pin 2), garbage against a
// reference model, and saved state. The model is driven through the MMIO
// bus at 0xFEC00000 (src/test-ioapic.ts), as the EPT-violation path does.
// (tests/unit/ioapic.test.ts is the host's I/O APIC driver.)
import { describe, expect, it } from "vitest";
import { Machine } from "../sim/machine";

const BASE = 0xfec00000;
const IOREGSEL = 0x00, IOWIN = 0x10, EOI = 0x40;
const ID = 0x00, VER = 0x01, ARB = 0x02, REDIR = 0x10;
const MASKED = 1 << 16, LEVEL = 1 << 15, REMOTE_IRR = 1 << 14, ACTIVE_LOW = 1 << 13, DELIVS = 1 << 12, LOGICAL = 1 << 11;
const DM_FIXED = 0, DM_LOWEST = 1, DM_SMI = 2, DM_NMI = 4, DM_INIT = 5, DM_EXTINT = 7;
const LOW_WRITABLE = 0x1afff;   // vector, mode, DM, POL, TM, mask
const BUF = 0x30000, BUF2 = 0x38000;

interface Msg { vector: number; delivery: number; logical: boolean; x2apic: boolean; level: boolean; trigger: boolean; shorthand: number; dest: number }

function decode(p: bigint): Msg {
  const lo = Number(p & 0xffffffffn);
  return {
    vector: lo & 0xff, delivery: (lo >> 8) & 0xff, logical: (lo & 0x10000) != 0, x2apic: (lo & 0x20000) != 0,
    level: (lo & 0x40000) != 0, trigger: (lo & 0x80000) != 0, shorthand: (lo >>> 24) & 0xff, dest: Number(p >> 32n),
  };
}

// A fixed interrupt as the I/O APIC sends it.
const fixed = (vector: number, dest: number, trigger = false, delivery = DM_FIXED, logical = false): Msg =>
  ({ vector, delivery, logical, x2apic: false, level: true, trigger, shorthand: 0, dest });

function rig(id = 0) {
  const m = new Machine();
  const e = m.exports;
  const r = e.vioapicRig(id) >>> 0;
  const dev = e.vioapicDevice(r) >>> 0;
  const rd = (off: number, w = 4): bigint => BigInt.asUintN(64, e.vioapicMmioRead(r, BigInt(BASE + off), w));
  const wr = (off: number, v: number | bigint, w = 4): number => e.vioapicMmioWrite(r, BigInt(BASE + off), w, BigInt.asUintN(64, BigInt(v)));
  // Linux's io_apic_read / io_apic_write: the index, then the data.
  const reg = (i: number): number => { wr(IOREGSEL, i); return Number(rd(IOWIN)); };
  const setReg = (i: number, v: number): void => { wr(IOREGSEL, i); wr(IOWIN, v >>> 0); };
  const low = (pin: number): number => reg(REDIR + 2 * pin);
  const high = (pin: number): number => reg(REDIR + 2 * pin + 1);
  // ioapic_write_entry: the high dword first, so an unmasking low write
  // finds the destination in place.
  const writeEntry = (pin: number, lo: number, hi: number): void => { setReg(REDIR + 2 * pin + 1, hi); setReg(REDIR + 2 * pin, lo); };
  // ioapic_mask_entry: low (masked) first, then high.
  const maskEntry = (pin: number): void => { setReg(REDIR + 2 * pin, MASKED); setReg(REDIR + 2 * pin + 1, 0); };
  const gsi = (n: number, level: boolean): void => e.vioapicGsi(r, n, level ? 1 : 0);
  const pulse = (n: number): void => { gsi(n, true); gsi(n, false); };
  let seen = 0;
  // The messages sent since the last call.
  const sent = (): Msg[] => {
    const n = e.vioapicSent(r) >>> 0;
    const out: Msg[] = [];
    for (let i = seen; i < n; i++) {
      expect(e.vioapicMessageFrom(r, i)).toBe(-1);
      out.push(decode(BigInt.asUintN(64, e.vioapicMessage(r, i))));
    }
    seen = n;
    return out;
  };
  // Every register the guest can read, IOREGSEL put back as it was.
  const dump = (): number[] => {
    const sel = Number(rd(IOREGSEL));
    const out = [sel];
    for (let i = 0; i < 0x40; i++) out.push(reg(i));
    wr(IOREGSEL, sel);
    return out;
  };
  return { m, e, r, dev, rd, wr, reg, setReg, low, high, writeEntry, maskEntry, gsi, pulse, sent, dump };
}

describe("guest I/O APIC registers (82093AA 3.1, 3.2)", () => {
  it("comes out of reset with IOREGSEL 0, the MADT's ID, version 0x20 with 24 entries, every entry masked", () => {
    const { rd, reg, low, high, sent } = rig(2);
    expect(rd(IOREGSEL)).toBe(0n);
    expect(reg(ID)).toBe(0x02000000);
    expect(reg(VER)).toBe(0x00170020);   // max redirection entry 23 in 23:16, PRQ (bit 15) clear
    expect(reg(ARB)).toBe(0x02000000);
    for (let pin = 0; pin < 24; pin++) {
      expect(low(pin)).toBe(MASKED);
      expect(high(pin)).toBe(0);
    }
    // Linux's bad_ioapic_register: registers 0-2 are not all ones.
    expect([reg(ID), reg(VER), reg(ARB)].every((v) => v == 0xffffffff)).toBe(false);
    expect(sent()).toEqual([]);
  });

  it("keeps IOREGSEL bits 7:0 and reads them back", () => {
    const { rd, wr } = rig();
    wr(IOREGSEL, 0xffffffff);
    expect(rd(IOREGSEL)).toBe(0xffn);
    wr(IOREGSEL, 0x12345610);
    expect(rd(IOREGSEL)).toBe(0x10n);
    wr(IOREGSEL, 0);
    expect(rd(IOREGSEL)).toBe(0n);
  });

  it("writes IOAPICID bits 27:24 only; IOAPICARB follows the ID; IOAPICVER and IOAPICARB are read-only", () => {
    const { reg, setReg } = rig(1);
    setReg(ID, 0xffffffff);
    expect(reg(ID)).toBe(0x0f000000);
    expect(reg(ARB)).toBe(0x0f000000);
    setReg(ID, 0x00ffffff);
    expect(reg(ID)).toBe(0);
    setReg(VER, 0);
    expect(reg(VER)).toBe(0x00170020);
    setReg(ARB, 0x05000000);
    expect(reg(ARB)).toBe(0);
    // Linux's resume_ioapic_id and io_apic_get_unique_id: read, set the ID
    // field, write back, read to check the change took.
    const v = reg(ID);
    setReg(ID, (v & ~0x0f000000) | (9 << 24));
    expect((reg(ID) >>> 24) & 0x0f).toBe(9);
  });

  it("redirection entries: every writable field reads back, reserved bits read 0, delivery status and remote IRR are read-only", () => {
    const { reg, setReg, low, high, writeEntry, gsi, sent } = rig();
    for (let pin = 0; pin < 24; pin++) {
      setReg(REDIR + 2 * pin, 0xffffffff);
      setReg(REDIR + 2 * pin + 1, 0xffffffff);
      expect(low(pin)).toBe(LOW_WRITABLE);   // bits 12 and 14 (read-only) and 31:17 (reserved) read 0
      expect(high(pin)).toBe(0xff000000);
      setReg(REDIR + 2 * pin + 1, 0x12345678);
      expect(high(pin) >>> 0).toBe(0x12000000);
      setReg(REDIR + 2 * pin, 0);
      expect(low(pin)).toBe(0);
    }
    // Each field alone: vector, every delivery mode, destination mode,
    // polarity, trigger mode, mask.
    for (const v of [0x10, 0x7f, 0xfe, 0x00]) { setReg(REDIR, MASKED | v); expect(low(0)).toBe(MASKED | v); }
    for (let mode = 0; mode < 8; mode++) { setReg(REDIR, MASKED | (mode << 8)); expect(low(0)).toBe(MASKED | (mode << 8)); }
    for (const bit of [LOGICAL, ACTIVE_LOW, LEVEL, MASKED]) { setReg(REDIR, bit); expect(low(0)).toBe(bit); }
    // Writing delivery status or remote IRR does not set them.
    setReg(REDIR, MASKED | LEVEL | DELIVS | REMOTE_IRR | 0x40);
    expect(low(0)).toBe(MASKED | LEVEL | 0x40);
    // Remote IRR set by a level interrupt is not cleared by a write that
    // keeps the entry level (Linux rewrites entries to move affinity).
    writeEntry(3, LEVEL | 0x43, 0x01000000);
    gsi(3, true);
    expect(sent()).toEqual([fixed(0x43, 1, true)]);
    expect(low(3)).toBe(LEVEL | REMOTE_IRR | 0x43);
    writeEntry(3, LEVEL | 0x43, 0x02000000);
    expect(low(3)).toBe(LEVEL | REMOTE_IRR | 0x43);
    expect(high(3) >>> 0).toBe(0x02000000);
    expect(sent()).toEqual([]);
    expect(reg(ID)).toBe(0);
  });

  it("indirect registers outside 0-2 and the table read 0 and ignore writes", () => {
    const { reg, setReg, dump, sent } = rig(3);
    const before = dump();
    for (const i of [3, 4, 0x0f, 0x40, 0x41, 0x7f, 0x80, 0xff]) {
      expect(reg(i)).toBe(0);
      setReg(i, 0xffffffff);
      expect(reg(i)).toBe(0);
    }
    setReg(0, 0x03000000);   // dump() leaves IOREGSEL as it found it
    const after = dump();
    expect(after.slice(1)).toEqual(before.slice(1));
    expect(sent()).toEqual([]);
  });

  it("decodes only 32-bit accesses at 0x00, 0x10 and 0x40: other offsets and widths read all ones and drop writes", () => {
    const { e, dev, rd, wr, dump } = rig(4);
    wr(IOREGSEL, 0x12);
    const before = dump();
    for (let off = 0; off < 0x1000; off += 4) {
      if (off == IOREGSEL || off == IOWIN || off == EOI) continue;
      expect(rd(off)).toBe(0xffffffffn);
      wr(off, 0);
    }
    for (const off of [IOREGSEL, IOWIN, EOI, 0x01, 0x11, 0x42, 0xfff]) {
      expect(rd(off, 1)).toBe(0xffn);
      expect(rd(off, 2)).toBe(0xffffn);
      expect(rd(off, 8)).toBe(0xffffffffffffffffn);
      wr(off, 0, 1); wr(off, 0, 2); wr(off, 0, 8);
    }
    // Unaligned dwords are not the registers either.
    for (const off of [0x01, 0x02, 0x03, 0x0d, 0x11, 0x13, 0x41, 0xffe]) {
      expect(rd(off)).toBe(0xffffffffn);
      wr(off, 0);
    }
    expect(dump()).toEqual(before);
    // The EOI register is write-only.
    expect(rd(EOI)).toBe(0n);
    // Called directly at another width (no bus in between), the same.
    expect(BigInt.asUintN(64, e.devRead(dev, IOWIN, 2))).toBe(0xffffn);
    expect(e.devWrite(dev, IOREGSEL, 1, 0n)).toBe(0);
    expect(dump()).toEqual(before);
  });
});

describe("guest I/O APIC inputs and messages (82093AA 3.2.4)", () => {
  it("edge-triggered: one message per rising edge of an unmasked input; an edge on a masked input is lost", () => {
    const { low, writeEntry, setReg, gsi, pulse, sent } = rig();
    writeEntry(4, MASKED | 0x34, 0x01000000);
    gsi(4, true);
    gsi(4, false);
    expect(sent()).toEqual([]);
    setReg(REDIR + 8, 0x34);   // unmask (io_apic_modify: the low dword alone)
    expect(sent()).toEqual([]);
    gsi(4, true);
    expect(sent()).toEqual([fixed(0x34, 1)]);
    gsi(4, true);   // no change on the wire, no edge
    gsi(4, false);
    expect(sent()).toEqual([]);
    pulse(4); pulse(4);
    expect(sent()).toEqual([fixed(0x34, 1), fixed(0x34, 1)]);
    // Masked while high, unmasked while high: no edge in between, nothing.
    gsi(4, true);
    sent();
    setReg(REDIR + 8, MASKED | 0x34);
    gsi(4, false); gsi(4, true);
    setReg(REDIR + 8, 0x34);
    expect(sent()).toEqual([]);
    // An edge entry never sets remote IRR.
    expect(low(4)).toBe(0x34);
  });

  it("active-low inputs are asserted while their wire is low", () => {
    const { low, writeEntry, gsi, sent, e, r } = rig();
    // Edge, active low: the falling edge sends.
    gsi(5, true);
    writeEntry(5, ACTIVE_LOW | 0x35, 0);
    expect(sent()).toEqual([]);   // a change of the entry is not an edge
    gsi(5, false);
    expect(sent()).toEqual([fixed(0x35, 0)]);
    gsi(5, true);
    expect(sent()).toEqual([]);
    // Level, active low (a PCI INTx#): the wire idles high; low sends.
    gsi(16, true);
    writeEntry(16, LEVEL | ACTIVE_LOW | 0x50, 0);
    expect(sent()).toEqual([]);
    gsi(16, false);
    expect(sent()).toEqual([fixed(0x50, 0, true)]);
    expect(low(16)).toBe(LEVEL | ACTIVE_LOW | REMOTE_IRR | 0x50);
    gsi(16, true);   // the driver quietened the device before its EOI
    e.vioapicEoi(r, 0x50);
    expect(sent()).toEqual([]);
    expect(low(16)).toBe(LEVEL | ACTIVE_LOW | 0x50);
  });

  it("level-triggered: sends and sets remote IRR, holds further sends until an EOI of its vector, then sends again while asserted", () => {
    const { e, r, wr, low, writeEntry, gsi, sent } = rig();
    writeEntry(10, LEVEL | 0x61, 0x03000000);
    gsi(10, true);
    expect(sent()).toEqual([fixed(0x61, 3, true)]);
    expect(low(10) & REMOTE_IRR).toBe(REMOTE_IRR);
    gsi(10, false); gsi(10, true);   // nothing more while the first is in service
    expect(sent()).toEqual([]);
    e.vioapicEoi(r, 0x62);           // another vector's EOI
    expect(sent()).toEqual([]);
    expect(low(10) & REMOTE_IRR).toBe(REMOTE_IRR);
    // The three ways an EOI comes: the model's eoi() (an ApicBus
    // consumer), the local APICs' broadcast through the ApicBus, and the
    // EOI register, which compares bits 7:0 only.
    e.vioapicEoi(r, 0x61);
    expect(sent()).toEqual([fixed(0x61, 3, true)]);
    e.vioapicBusEoi(r, 0x61);
    expect(sent()).toEqual([fixed(0x61, 3, true)]);
    wr(EOI, 0xffffff61);
    expect(sent()).toEqual([fixed(0x61, 3, true)]);
    // De-asserted before the EOI: remote IRR clears, nothing is sent.
    gsi(10, false);
    wr(EOI, 0x61);
    expect(sent()).toEqual([]);
    expect(low(10) & REMOTE_IRR).toBe(0);
    gsi(10, true);
    expect(sent()).toEqual([fixed(0x61, 3, true)]);
  });

  it("unmasking an asserted level input sends; masking keeps remote IRR, which an EOI clears while masked", () => {
    const { setReg, low, writeEntry, gsi, wr, sent } = rig();
    writeEntry(11, MASKED | LEVEL | 0x71, 0);
    gsi(11, true);
    expect(sent()).toEqual([]);
    setReg(REDIR + 22, LEVEL | 0x71);
    expect(sent()).toEqual([fixed(0x71, 0, true)]);
    setReg(REDIR + 22, MASKED | LEVEL | 0x71);
    expect(low(11)).toBe(MASKED | LEVEL | REMOTE_IRR | 0x71);
    wr(EOI, 0x71);
    expect(low(11)).toBe(MASKED | LEVEL | 0x71);
    expect(sent()).toEqual([]);   // masked: the asserted input waits
    setReg(REDIR + 22, LEVEL | 0x71);
    expect(sent()).toEqual([fixed(0x71, 0, true)]);
    // An edge entry made level while its input is asserted sends too.
    writeEntry(12, 0x72, 0);
    gsi(12, true);
    expect(sent()).toEqual([fixed(0x72, 0)]);
    setReg(REDIR + 24, LEVEL | 0x72);
    expect(sent()).toEqual([fixed(0x72, 0, true)]);
  });

  it("clears remote IRR on every entry of the EOI'd vector", () => {
    const { e, r, low, writeEntry, gsi, sent } = rig();
    writeEntry(16, LEVEL | 0x80, 0);
    writeEntry(17, LEVEL | 0x80, 0);
    writeEntry(18, LEVEL | 0x81, 0);
    gsi(16, true); gsi(17, true); gsi(18, true);
    expect(sent().length).toBe(3);
    gsi(16, false);
    e.vioapicBusEoi(r, 0x80);
    expect(low(16) & REMOTE_IRR).toBe(0);
    expect(low(18) & REMOTE_IRR).toBe(REMOTE_IRR);
    expect(sent()).toEqual([fixed(0x80, 0, true)]);   // 17 is still asserted
    expect(low(17) & REMOTE_IRR).toBe(REMOTE_IRR);
  });

  it("writing an entry edge-triggered clears remote IRR; the level entry written back sends again if still asserted (__eoi_ioapic_pin before 0x20)", () => {
    const { low, high, writeEntry, gsi, sent } = rig();
    writeEntry(19, LEVEL | ACTIVE_LOW | 0x91, 0x02000000);
    gsi(19, false);   // asserted (active low)
    expect(sent()).toEqual([fixed(0x91, 2, true)]);
    // The lost EOI: mask and make it edge, then restore the entry.
    const lo = low(19), hi = high(19);
    expect(lo & REMOTE_IRR).toBe(REMOTE_IRR);
    writeEntry(19, (lo | MASKED) & ~LEVEL, hi);
    expect(low(19) & REMOTE_IRR).toBe(0);
    expect(sent()).toEqual([]);
    writeEntry(19, lo & ~REMOTE_IRR, hi);
    expect(sent()).toEqual([fixed(0x91, 2, true)]);
    expect(low(19) & REMOTE_IRR).toBe(REMOTE_IRR);
    // No longer asserted: the same sequence just clears it.
    gsi(19, true);
    writeEntry(19, (lo | MASKED) & ~LEVEL, hi);
    writeEntry(19, lo & ~REMOTE_IRR, hi);
    expect(sent()).toEqual([]);
    expect(low(19) & REMOTE_IRR).toBe(0);
  });

  it("sends lowest priority and logical destinations as programmed; SMI, NMI, INIT and ExtINT as edges; the reserved modes nothing", () => {
    const { e, r, low, writeEntry, gsi, pulse, sent } = rig();
    writeEntry(1, LOGICAL | (DM_LOWEST << 8) | 0x31, 0xff000000);
    pulse(1);
    expect(sent()).toEqual([fixed(0x31, 0xff, false, DM_LOWEST, true)]);
    writeEntry(2, LEVEL | LOGICAL | (DM_LOWEST << 8) | 0x32, 0x0f000000);
    gsi(2, true);
    expect(sent()).toEqual([fixed(0x32, 0x0f, true, DM_LOWEST, true)]);
    // Programmed level, sent as edges: no remote IRR, one message per edge.
    for (const [pin, mode] of [[6, DM_SMI], [7, DM_NMI], [8, DM_INIT], [9, DM_EXTINT]]) {
      writeEntry(pin, LEVEL | (mode << 8), 0x01000000);
      gsi(pin, true);
      expect(sent()).toEqual([fixed(0, 1, false, mode)]);
      expect(low(pin) & REMOTE_IRR).toBe(0);
      gsi(pin, false);
      e.vioapicEoi(r, 0);
      expect(sent()).toEqual([]);
      gsi(pin, true);
      expect(sent()).toEqual([fixed(0, 1, false, mode)]);
    }
    for (const mode of [3, 6]) {
      writeEntry(13, mode << 8 | 0x44, 0);
      pulse(13);
      writeEntry(14, LEVEL | mode << 8 | 0x45, 0);
      gsi(14, true);
      expect(low(14) & REMOTE_IRR).toBe(0);
      gsi(14, false);
      expect(sent()).toEqual([]);
    }
  });

  it("ignores input numbers past 23", () => {
    const { e, r, writeEntry, dump, sent } = rig();
    for (let pin = 0; pin < 24; pin++) writeEntry(pin, LEVEL | ACTIVE_LOW | (0x20 + pin), 0);
    expect(sent().length).toBe(24);   // every wire is low: all asserted
    const before = dump();
    for (const n of [24, 31, 32, 0x7fffffff, 0xffffffff]) {
      e.vioapicInput(r, n, 1);
      e.vioapicInput(r, n, 0);
    }
    expect(sent()).toEqual([]);
    expect(dump()).toEqual(before);
  });

  it("allocates nothing on input changes, register accesses and EOIs", () => {
    const { e, r, rd, wr, setReg, writeEntry, gsi, pulse } = rig();
    writeEntry(3, 0x33, 0);
    writeEntry(9, LEVEL | 0x39, 0);
    const used = e.heapCurrentUsed();
    for (let i = 0; i < 500; i++) {
      pulse(3);
      gsi(9, true);
      wr(EOI, 0x39);
      e.vioapicBusEoi(r, 0);
      gsi(9, false);
      setReg(REDIR + 6, 0x33);
      rd(IOWIN); rd(0x20); rd(IOWIN, 8); wr(0x30, 1, 2);
    }
    expect(e.heapCurrentUsed()).toBe(used);
  });
});


// clear_IO_APIC_pin as Linux has it, for an I/O APIC of `version`: an SMI
// pin is left alone; others are masked, a set remote IRR is EOI'd (the EOI
// register from 0x20, else mask + edge and back), and the entry is cleared
// but for its mask. Returns whether remote IRR survived ("Unable to reset
// IRR").
function clearPin(t: ReturnType<typeof rig>, pin: number, version: number): boolean {
  let lo = t.low(pin);
  const hi = t.high(pin);
  if (((lo >> 8) & 7) == DM_SMI) return false;
  if ((lo & MASKED) == 0) {
    lo |= MASKED;
    t.writeEntry(pin, lo, hi);
    lo = t.low(pin);
  }
  if ((lo & REMOTE_IRR) != 0) {
    if ((lo & LEVEL) == 0) { lo |= LEVEL; t.writeEntry(pin, lo, hi); }
    if (version >= 0x20) {
      t.wr(EOI, lo & 0xff);
    } else {
      t.writeEntry(pin, (lo | MASKED) & ~LEVEL, hi);
      t.writeEntry(pin, lo, hi);
    }
  }
  t.maskEntry(pin);
  return (t.low(pin) & REMOTE_IRR) != 0;
}

describe("the guest I/O APIC as Linux drives it (arch/x86/kernel/apic/io_apic.c)", () => {
  it("routes IRQs: entries masked low then high, written high then low while masked, unmasked through the low dword", () => {
    const { e, r, rd, reg, setReg, low, writeEntry, maskEntry, gsi, sent } = rig(0);
    // mp_register_ioapic: the version and the number of entries.
    const ver = reg(VER);
    expect(ver & 0xff).toBe(0x20);
    expect(((ver >>> 16) & 0xff) + 1).toBe(24);
    // GSI 16, a PCI INTA# (level, active low), idles high; ISA IRQ 4 is
    // edge, active high.
    gsi(16, true);
    maskEntry(4); maskEntry(16);
    writeEntry(4, MASKED | 0x24, 0x01000000);
    writeEntry(16, MASKED | LEVEL | ACTIVE_LOW | 0x41, 0x01000000);
    expect(sent()).toEqual([]);
    // startup_ioapic_irq -> __unmask_ioapic: io_apic_modify_irq, the low
    // dword with the mask cleared.
    setReg(REDIR + 8, 0x24);
    setReg(REDIR + 32, LEVEL | ACTIVE_LOW | 0x41);
    expect(sent()).toEqual([]);
    gsi(4, true);
    gsi(16, false);
    expect(sent()).toEqual([fixed(0x24, 1), fixed(0x41, 1, true)]);
    // mask_ioapic_irq and io_apic_sync's dummy read; the handler's
    // apic_eoi broadcasts the EOI; ioapic_irq_get_chip_state finds the
    // interrupt no longer active (remote IRR clear); unmask sends the
    // still-asserted level interrupt again.
    setReg(REDIR + 32, MASKED | LEVEL | ACTIVE_LOW | 0x41);
    rd(IOWIN);
    e.vioapicBusEoi(r, 0x41);
    expect(low(16) & (REMOTE_IRR | LEVEL)).toBe(LEVEL);
    expect(sent()).toEqual([]);
    setReg(REDIR + 32, LEVEL | ACTIVE_LOW | 0x41);
    expect(sent()).toEqual([fixed(0x41, 1, true)]);
  });

  for (const version of [0x20, 0x11]) {
    it(`clear_IO_APIC leaves every entry masked and remote IRR clear, sending nothing (EOI path of version ${version.toString(16)})`, () => {
      const t = rig(0);
      // What a kernel before kexec left: level interrupts in service with
      // their inputs asserted, edge entries unmasked, an SMI pin.
      const entries: Array<[number, number, number]> = [
        [0, DM_EXTINT << 8, 0],
        [2, 0x30, 0],
        [9, LEVEL | 0x39, 0x01000000],
        [16, LEVEL | ACTIVE_LOW | LOGICAL | (DM_LOWEST << 8) | 0x51, 0x03000000],
        [17, LEVEL | ACTIVE_LOW | 0x52, 0x02000000],
        [20, DM_SMI << 8, 0],
      ];
      for (const [pin, lo, hi] of entries) t.writeEntry(pin, lo, hi);
      t.gsi(9, true); t.gsi(16, false); t.gsi(17, false);
      expect(t.sent().length).toBe(3);
      for (const pin of [9, 16, 17]) expect(t.low(pin) & REMOTE_IRR).toBe(REMOTE_IRR);
      for (let pin = 0; pin < 24; pin++) expect(clearPin(t, pin, version)).toBe(false);
      for (let pin = 0; pin < 24; pin++) {
        expect([pin, t.low(pin), t.high(pin)]).toEqual(pin == 20 ? [pin, DM_SMI << 8, 0] : [pin, MASKED, 0]);
      }
      expect(t.sent()).toEqual([]);
    });
  }

  it("check_timer: IRQ0 through pin 2 (edge, active high) reaches the boot CPU; through the 8259A on pin 0; the virtual wire's ExtINT", () => {
    const t = rig(0);
    // The firmware's virtual wire: the 8259A's INT on pin 0, ExtINT, to
    // the boot CPU. enable_IO_APIC finds it (unmasked, ExtINT), then
    // clear_IO_APIC masks everything.
    t.writeEntry(0, DM_EXTINT << 8, 0);
    const extint = [...Array(24).keys()].find((pin) => (t.low(pin) & MASKED) == 0 && ((t.low(pin) >> 8) & 7) == DM_EXTINT);
    expect(extint).toBe(0);
    for (let pin = 0; pin < 24; pin++) clearPin(t, pin, 0x20);
    // setup_IO_APIC_irqs: IRQ0 on pin 2 (the MADT's override), edge and
    // active high, so already unmasked; vector 0x30, physical APIC 0.
    t.writeEntry(2, 0x30, 0);
    // timer_irq_works: the PIT's ticks on GSI 2 arrive, one per tick.
    for (let i = 0; i < 10; i++) t.pulse(2);
    expect(t.sent()).toEqual(Array(10).fill(fixed(0x30, 0)));
    // Had it failed: clear_IO_APIC_pin(apic1, pin1), then IRQ0 through the
    // 8259A on pin 0 with the timer's vector.
    clearPin(t, 2, 0x20);
    t.writeEntry(0, 0x30, 0);
    t.pulse(2);
    t.pulse(0);
    expect(t.sent()).toEqual([fixed(0x30, 0)]);
    // And unlock_ExtINT_logic's (and disable_IO_APIC's) virtual wire.
    t.writeEntry(0, DM_EXTINT << 8, 0);
    t.pulse(0);
    expect(t.sent()).toEqual([fixed(0, 0, false, DM_EXTINT)]);
  });
});

// ── Garbage against a reference model ──────────────────────────────────────

// The behaviour the model's header states, written again in plain
// TypeScript: every read and every message of a random sequence must match.
class Reference {
  regsel = 0;
  id: number;
  pins = 0;
  lo: number[] = Array(24).fill(MASKED);
  hi: number[] = Array(24).fill(0);
  msgs: Msg[] = [];
  constructor(id: number) { this.id = ((id << 24) & 0x0f000000) >>> 0; }
  private levelTrig(lo: number): boolean { const m = (lo >> 8) & 7; return (lo & LEVEL) != 0 && (m == DM_FIXED || m == DM_LOWEST); }
  private asserted(p: number): boolean { return ((this.pins >>> p) & 1) != ((this.lo[p] & ACTIVE_LOW) != 0 ? 1 : 0); }
  private send(p: number, trigger: boolean): void {
    const lo = this.lo[p], mode = (lo >> 8) & 7;
    if (mode == 3 || mode == 6) return;
    this.msgs.push(fixed(lo & 0xff, this.hi[p] >>> 24, trigger, mode, (lo & LOGICAL) != 0));
  }
  private service(p: number): void {
    const lo = this.lo[p];
    if (!this.levelTrig(lo) || (lo & (MASKED | REMOTE_IRR)) != 0 || !this.asserted(p)) return;
    this.lo[p] = lo | REMOTE_IRR;
    this.send(p, true);
  }
  setPin(p: number, level: boolean): void {
    if (p >= 24) return;
    const old = this.pins;
    this.pins = (level ? old | (1 << p) : old & ~(1 << p)) >>> 0;
    if (this.pins == old || !this.asserted(p)) return;
    if (this.levelTrig(this.lo[p])) this.service(p);
    else if ((this.lo[p] & MASKED) == 0) this.send(p, false);
  }
  eoi(v: number): void {
    for (let p = 0; p < 24; p++) {
      if ((this.lo[p] & REMOTE_IRR) == 0 || (this.lo[p] & 0xff) != (v & 0xff)) continue;
      this.lo[p] &= ~REMOTE_IRR;
      this.service(p);
    }
  }
  private readReg(i: number): number {
    if (i == ID || i == ARB) return this.id;
    if (i == VER) return 0x00170020;
    if (i >= 0x10 && i < 0x40) return ((i & 1) != 0 ? this.hi : this.lo)[(i - 0x10) >> 1] >>> 0;
    return 0;
  }
  private writeReg(i: number, v: number): void {
    if (i == ID) { this.id = (v & 0x0f000000) >>> 0; return; }
    if (i < 0x10 || i >= 0x40) return;
    const p = (i - 0x10) >> 1;
    if ((i & 1) != 0) { this.hi[p] = (v & 0xff000000) >>> 0; return; }
    let lo = (this.lo[p] & REMOTE_IRR) | (v & LOW_WRITABLE);
    if ((lo & LEVEL) == 0) lo &= ~REMOTE_IRR;
    this.lo[p] = lo;
    this.service(p);
  }
  read(off: number, w: number): bigint {
    if (w != 4) return (1n << BigInt(8 * w)) - 1n;
    if (off == IOREGSEL) return BigInt(this.regsel);
    if (off == IOWIN) return BigInt(this.readReg(this.regsel));
    if (off == EOI) return 0n;
    return 0xffffffffn;
  }
  write(off: number, w: number, v: number): void {
    if (w != 4) return;
    if (off == IOREGSEL) this.regsel = v & 0xff;
    else if (off == IOWIN) this.writeReg(this.regsel, v);
    else if (off == EOI) this.eoi(v);
  }
}

// mulberry32: a small seeded generator, so a failure repeats.
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0);
  };
}

describe("guest I/O APIC against garbage", () => {
  for (const seed of [1, 0x82093aa, 0xfec00000]) {
    it(`answers a random sequence of accesses, inputs and EOIs as the reference does (seed ${seed.toString(16)})`, () => {
      const t = rig(seed & 0xf);
      const ref = new Reference(seed & 0xf);
      const next = random(seed);
      const pick = <T>(xs: T[]): T => xs[next() % xs.length];
      const vectorOf = (): number => (next() & 1) != 0 ? ref.lo[next() % 24] & 0xff : next() & 0xff;
      for (let i = 0; i < 6000; i++) {
        const op = next() % 100;
        if (op < 20) {
          // IOREGSEL: garbage, or an index that means something.
          const v = (next() & 1) != 0 ? next() : next() % 0x44;
          t.wr(IOREGSEL, v); ref.write(IOREGSEL, 4, v);
        } else if (op < 45) {
          // IOWIN: garbage, or garbage with the mask bit clear.
          let v = next();
          if ((next() & 3) == 0) v &= ~MASKED;
          t.wr(IOWIN, v >>> 0); ref.write(IOWIN, 4, v >>> 0);
        } else if (op < 60) {
          const off = pick([IOREGSEL, IOWIN, IOWIN, EOI, next() & 0xfff, next() % 0x1008]);
          const w = pick([4, 4, 4, 1, 2, 8]);
          expect(t.rd(off, w)).toBe(ref.read(off, w));
        } else if (op < 70) {
          const off = pick([EOI, next() & 0xfff, 0x04, 0x14, 0x3c, 0x44, 0xffc, 0x1000]);
          const w = pick([4, 1, 2, 8]);
          const v = next() >>> 0;
          t.wr(off, v, w); ref.write(off, w, v);
        } else if (op < 90) {
          const pin = (next() & 7) == 0 ? next() % 40 : next() % 24;
          const level = (next() & 1) != 0;
          t.e.vioapicInput(t.r, pin, level ? 1 : 0); ref.setPin(pin, level);
        } else if (op < 95) {
          const v = vectorOf();
          t.wr(EOI, v | (next() & 0xffffff00)); ref.eoi(v);
        } else {
          const v = vectorOf();
          if ((next() & 1) != 0) t.e.vioapicEoi(t.r, v); else t.e.vioapicBusEoi(t.r, v);
          ref.eoi(v);
        }
      }
      const got = t.sent();
      expect(got.length).toBe(ref.msgs.length);
      expect(got).toEqual(ref.msgs);
      expect(got.length).toBeGreaterThan(100);   // the sequence did exercise sending
      const dump = t.dump();
      const refDump = [ref.regsel];
      for (let i = 0; i < 0x40; i++) { ref.write(IOREGSEL, 4, i); refDump.push(Number(ref.read(IOWIN, 4))); }
      expect(dump).toEqual(refDump);
      // What is left is a state check() accepts.
      const len = t.e.devSaveSize(t.dev);
      t.e.devSave(t.dev, BUF);
      expect(t.m.readString(t.e.devRestore(t.dev, BUF, len) >>> 0)).toBe("");
    });
  }
});

// ── Saved state ───────────────────────────────────────────────────────────

describe("guest I/O APIC saved state (src/devices/device.ts)", () => {
  // An I/O APIC in use: a changed ID, IOREGSEL pointing into the table,
  // edge and level entries, one level interrupt in service, inputs high.
  function inUse() {
    const t = rig(1);
    t.setReg(ID, 0x07000000);
    t.writeEntry(1, 0x31, 0x01000000);
    t.writeEntry(4, LOGICAL | (DM_LOWEST << 8) | 0x34, 0x0f000000);
    t.writeEntry(9, LEVEL | 0x39, 0x02000000);
    t.writeEntry(16, MASKED | LEVEL | ACTIVE_LOW | 0x51, 0x03000000);
    t.gsi(9, true);
    t.gsi(16, true);
    t.gsi(4, true);
    t.wr(IOREGSEL, 0x23);
    t.sent();
    return t;
  }

  it("has the layout the header draws, kind IOAP, a 208-byte block", () => {
    const { e, dev } = rig();
    expect(e.vioapicLayoutCheck()).toBe(0);
    expect(Buffer.from(new Uint32Array([e.devKind(dev) >>> 0]).buffer).toString("latin1")).toBe("IOAP");
    expect(e.VIOAPIC_STATE_SIZE.value).toBe(208);
    expect(e.devSaveSize(dev)).toBe(16 + 208);
  });

  it("saved, reset and restored answers the same reads and carries on where it was", () => {
    const t = inUse();
    const len = t.e.devSaveSize(t.dev);
    t.e.devSave(t.dev, BUF);
    const saved = Buffer.from(t.m.bytes.subarray(BUF, BUF + len));
    const before = t.dump();
    t.e.devReset(t.dev);
    const reset = t.dump();
    expect(reset).not.toEqual(before);
    expect(reset[0]).toBe(0);
    expect(reset[1]).toBe(0x01000000);   // the MADT's ID again
    for (let pin = 0; pin < 24; pin++) expect([reset[1 + 0x10 + 2 * pin], reset[1 + 0x11 + 2 * pin]]).toEqual([MASKED, 0]);
    // The wires survive a reset: a level entry unmasked on GSI 9, still
    // high, sends at once.
    t.writeEntry(9, LEVEL | 0x66, 0);
    expect(t.sent()).toEqual([fixed(0x66, 0, true)]);
    const used = t.e.heapCurrentUsed();
    expect(t.m.readString(t.e.devRestore(t.dev, BUF, len) >>> 0)).toBe("");
    expect(t.e.heapCurrentUsed()).toBe(used);   // an accepted block builds no message
    expect(t.dump()).toEqual(before);
    expect(t.sent()).toEqual([]);   // a restore sends nothing
    t.e.devSave(t.dev, BUF2);
    expect(Buffer.from(t.m.bytes.subarray(BUF2, BUF2 + len))).toEqual(saved);
    // It goes on as the saved one would: the EOI of the level interrupt
    // in service sends it again (GSI 9 still high), GSI 4's next edge
    // sends, GSI 16 (masked, active low, wire high) stays quiet.
    t.e.vioapicBusEoi(t.r, 0x39);
    t.gsi(4, false); t.gsi(4, true);
    t.gsi(16, false);
    expect(t.sent()).toEqual([fixed(0x39, 2, true), fixed(0x34, 0x0f, false, DM_LOWEST, true)]);
  });

  it("refuses a corrupt block with the reason, and changes nothing", () => {
    const t = inUse();
    const len = t.e.devSaveSize(t.dev);
    t.e.devSave(t.dev, BUF);
    const before = t.dump();
    // A fresh view each time: a refusal's message may grow the memory.
    const view = { setUint32: (at: number, v: number, le: boolean) => new DataView(t.m.memory.buffer).setUint32(at, v, le) };
    const HDR = 16, TABLE = HDR + 16;
    const cases: Array<[(at: number) => void, string]> = [
      [(at) => view.setUint32(at + HDR, 0x100, true), "IOREGSEL 0x00000100 beyond bits 7:0"],
      [(at) => view.setUint32(at + HDR + 4, 0x17000000, true), "IOAPICID 0x17000000 has reserved bits set"],
      [(at) => view.setUint32(at + HDR + 8, 0x01000200, true), "input levels 0x01000200 beyond input 23"],
      [(at) => view.setUint32(at + HDR + 12, 1, true), "reserved word not 0"],
      [(at) => view.setUint32(at + TABLE + 5 * 8, MASKED | (1 << 17), true), "redirection entry 5 has reserved bits set"],
      [(at) => view.setUint32(at + TABLE + 6 * 8 + 4, 0x00800000, true), "redirection entry 6 has reserved bits set"],
      [(at) => view.setUint32(at + TABLE + 7 * 8, MASKED | DELIVS, true), "redirection entry 7 has a send pending"],
      [(at) => view.setUint32(at + TABLE + 8 * 8, REMOTE_IRR | 0x48, true), "redirection entry 8 has remote IRR set but is edge-triggered"],
      [(at) => view.setUint32(at + 4, 2, true), "version 2, this hypervisor has version 1"],
      [(at) => view.setUint32(at, 0x30353555, true), "saved by another device (kind 0x30353555)"],
    ];
    for (const [corrupt, why] of cases) {
      t.m.bytes.copyWithin(BUF2, BUF, BUF + len);
      corrupt(BUF2);
      expect(t.m.readString(t.e.devRestore(t.dev, BUF2, len) >>> 0)).toBe("ioapic state: " + why);
      expect(t.dump()).toEqual(before);
    }
    expect(t.m.readString(t.e.devRestore(t.dev, BUF, len - 4) >>> 0)).toMatch(/^ioapic state: size 208 in 220 bytes/);
    expect(t.m.readString(t.e.devRestore(t.dev, BUF, len) >>> 0)).toBe("");
    expect(t.dump()).toEqual(before);
    expect(t.sent()).toEqual([]);
  });
});
