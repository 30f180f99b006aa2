// The local APIC model (src/devices/lapic.ts) against SDM Vol. 3A Chapter
// 11, register by register: xAPIC MMIO and x2APIC MSRs, priorities, EOI,
// IPIs on a bus of a few APICs (src/test-lapic.ts), the LINT pins, the
// timer in its three modes on a clock set by hand, the IA32_APIC_BASE mode
// transitions, floods that stay bounded, save/reset/restore.
import { describe, expect, it } from "vitest";
import { Machine } from "../sim/machine";

const GHZ = 1_000_000_000n;
const BUF = 0x30000;
// Registers (Table 11-1).
const ID = 0x20, VER = 0x30, TPR = 0x80, APR = 0x90, PPR = 0xa0, EOI = 0xb0, RRD = 0xc0, LDR = 0xd0, DFR = 0xe0;
const SVR = 0xf0, ISR = 0x100, TMR = 0x180, IRR = 0x200, ESR = 0x280, ICR = 0x300, ICR2 = 0x310;
const LVTT = 0x320, LVTTHM = 0x330, LVTPC = 0x340, LINT0 = 0x350, LINT1 = 0x360, LVTERR = 0x370;
const TMICT = 0x380, TMCCT = 0x390, TDCR = 0x3e0;
const MASKED = 0x10000, PERIODIC = 0x20000, TSC_DEADLINE = 0x40000, LEVEL = 0x8000, REMOTE_IRR = 0x4000;
const DM_FIXED = 0, DM_LOWEST = 1, DM_SMI = 2, DM_NMI = 4, DM_INIT = 5, DM_STARTUP = 6, DM_EXTINT = 7;
const SH_NONE = 0, SH_SELF = 1, SH_ALL = 2, SH_OTHERS = 3;
const APIC_BASE = 0x1b, TSC_DEADLINE_MSR = 0x6e0;
const IRR_MORE = 0x100;   // src/devices/lapic.ts
const EN = 1n << 11n, EXTD = 1n << 10n, BSP = 1n << 8n, BASE = 0xfee00000n;
const x2 = (off: number): number => 0x800 + (off >> 4);

function lapics(n = 2, hz = GHZ) {
  const m = new Machine();
  const e = m.exports;
  const mach = e.lapicMachine(n, hz) >>> 0;
  const apic = (i: number): number => e.lapicOf(mach, i) >>> 0;
  const rd = (i: number, off: number, w = 4): bigint => BigInt.asUintN(64, e.devRead(apic(i), off, w));
  const r = (i: number, off: number): number => Number(rd(i, off, 4));
  const w = (i: number, off: number, v: number | bigint, width = 4): void => { e.devWrite(apic(i), off, width, BigInt(v)); };
  const rdmsr = (i: number, msr: number): bigint | null =>
    e.lapicRdmsr(apic(i), msr) ? BigInt.asUintN(64, e.lapicMsrValue(apic(i))) : null;
  const wrmsr = (i: number, msr: number, v: number | bigint): boolean => e.lapicWrmsr(apic(i), msr, BigInt(v)) !== 0;
  const clock = (t: number | bigint): void => e.lapicClockSet(mach, BigInt(t));
  const fire = (): number => e.lapicTimersFire(mach);
  const deadline = (i: number): bigint => BigInt.asUintN(64, e.lapicTimerDeadline(mach, i));
  // A message on the bus from `from` (-1: an I/O APIC).
  const send = (from: number, o: { vector?: number; dm?: number; logical?: boolean; dest?: number; x2apic?: boolean;
                                    sh?: number; level?: boolean; trigger?: boolean }): void =>
    e.lapicSend(mach, from, o.vector ?? 0, o.dm ?? DM_FIXED, o.logical ? 1 : 0, o.dest ?? 0, o.x2apic ? 1 : 0,
      o.sh ?? SH_NONE, o.level === false ? 0 : 1, o.trigger ? 1 : 0);
  const last = (): any => JSON.parse(m.readString(e.lapicBusLast(mach) >>> 0)!);
  const irr = (i: number, v: number): boolean => ((r(i, IRR + ((v >> 5) << 4)) >>> (v & 31)) & 1) === 1;
  const isr = (i: number, v: number): boolean => ((r(i, ISR + ((v >> 5) << 4)) >>> (v & 31)) & 1) === 1;
  const tmr = (i: number, v: number): boolean => ((r(i, TMR + ((v >> 5) << 4)) >>> (v & 31)) & 1) === 1;
  const deliverable = (i: number): number => e.lapicHighestDeliverable(apic(i));
  const enable = (i: number): void => w(i, SVR, 0x1ff);
  // The Linux ESR read: write, then read (11.5.3).
  const esr = (i: number): number => { w(i, ESR, 0); return r(i, ESR); };
  return { m, e, mach, apic, rd, r, w, rdmsr, wrmsr, clock, fire, deadline, send, last, irr, isr, tmr, deliverable, enable, esr };
}

describe("local APIC registers (xAPIC)", () => {
  it("comes out of reset as 11.4.7.1 says, in a 4 KiB aligned page in xAPIC layout", () => {
    const { e, m, apic, r, rdmsr } = lapics(2);
    expect(r(1, ID)).toBe(0x01000000);
    expect(r(0, ID)).toBe(0);
    for (const i of [0, 1]) {
      expect(r(i, VER)).toBe(0x00050014);   // version 14H, max LVT entry 5, no EOI-broadcast suppression
      for (const off of [TPR, APR, PPR, EOI, RRD, LDR, ESR, ICR, ICR2, TMICT, TMCCT, TDCR]) expect(r(i, off)).toBe(0);
      for (let n = 0; n < 8; n++) for (const base of [ISR, TMR, IRR]) expect(r(i, base + n * 16)).toBe(0);
      expect(r(i, DFR) >>> 0).toBe(0xffffffff);
      expect(r(i, SVR)).toBe(0xff);
      for (const off of [LVTT, LVTTHM, LVTPC, LINT1, LVTERR]) expect(r(i, off)).toBe(MASKED);
    }
    // The BSP's LINT0 is the virtual wire (ExtINT, unmasked), the AP's masked.
    expect(r(0, LINT0)).toBe(DM_EXTINT << 8);
    expect(r(1, LINT0)).toBe(MASKED);
    expect(rdmsr(0, APIC_BASE)).toBe(BASE | EN | BSP);
    expect(rdmsr(1, APIC_BASE)).toBe(BASE | EN);
    expect(e.lapicMmioBase(apic(1))).toBe(BASE);
    const page = e.lapicPage(apic(1)) >>> 0;
    expect(page % 4096).toBe(0);
    expect(m.view.getUint32(page + VER, true)).toBe(0x00050014);
    expect(m.view.getUint32(page + ID, true)).toBe(0x01000000);
    expect(e.devSaveSize(apic(1))).toBe(16 + e.LAPIC_BLOCK_SIZE.value);
  });

  it("keeps the bits each register has and ignores writes to read-only ones", () => {
    const { r, w, esr } = lapics(2);
    w(1, ID, 0xffffffff); expect(r(1, ID) >>> 0).toBe(0xff000000);    // writable in xAPIC mode (verify_local_APIC)
    w(1, ID, 0x01000000);
    w(1, VER, 0); expect(r(1, VER)).toBe(0x00050014);
    w(1, TPR, 0xfff); expect(r(1, TPR)).toBe(0xff);
    w(1, LDR, 0xffffffff); expect(r(1, LDR) >>> 0).toBe(0xff000000);
    w(1, DFR, 0); expect(r(1, DFR)).toBe(0x0fffffff);                  // cluster model
    w(1, DFR, 0xf0000000); expect(r(1, DFR) >>> 0).toBe(0xffffffff);   // flat
    w(1, SVR, 0xffffffff); expect(r(1, SVR)).toBe(0x3ff);               // bit 12 (EOI suppression) not supported
    w(1, ICR2, 0xffffffff); expect(r(1, ICR2) >>> 0).toBe(0xff000000);
    w(1, LVTT, 0xffffffff); expect(r(1, LVTT)).toBe(0x000100ff);        // mode 11b (reserved) is taken as one-shot
    w(1, LVTT, PERIODIC | 0x40); expect(r(1, LVTT)).toBe(PERIODIC | 0x40);
    w(1, LVTT, TSC_DEADLINE | 0x40); expect(r(1, LVTT)).toBe(TSC_DEADLINE | 0x40);
    w(1, LVTTHM, 0xffffffff); expect(r(1, LVTTHM)).toBe(0x000107ff);
    w(1, LVTPC, 0xffffffff); expect(r(1, LVTPC)).toBe(0x000107ff);
    w(1, LINT0, 0xffffffff); expect(r(1, LINT0)).toBe(0x0001a7ff);      // no delivery status, no remote IRR
    w(1, LINT1, 0xffffffff); expect(r(1, LINT1)).toBe(0x0001a7ff);
    w(1, LVTERR, 0xffffffff); expect(r(1, LVTERR)).toBe(0x000100ff);
    w(1, TDCR, 0xffffffff); expect(r(1, TDCR)).toBe(0xb);
    w(1, TPR, 0);
    w(1, APR, 0x55); w(1, PPR, 0x55); w(1, RRD, 1); w(1, TMCCT, 5); w(1, IRR + 0x70, 0xffffffff); w(1, ISR + 0x70, 1);
    for (const off of [APR, PPR, RRD, TMCCT, IRR + 0x70, ISR + 0x70]) expect(r(1, off)).toBe(0);
    expect(r(1, EOI)).toBe(0);
    expect(esr(1)).toBe(0);   // writing read-only registers is no error
  });

  it("reads any width as the 32-bit registers padded with zeros, writes only 32 bits at 16-byte offsets", () => {
    const { e, apic, rd, r, w, esr } = lapics(2);
    w(1, ID, 0x12000000); w(1, TPR, 0x34);
    expect(rd(1, ID + 3, 1)).toBe(0x12n);
    expect(rd(1, ID + 2, 2)).toBe(0x1200n);
    expect(rd(1, ID, 8)).toBe(0x12000000n);          // bytes 4-7 of the slot read 0
    expect(rd(1, ID + 4, 4)).toBe(0n);
    expect(rd(1, TPR - 4, 8)).toBe(0x34n << 32n);    // across two slots
    const before = e.lapicIgnored(apic(1));
    w(1, TPR, 0x56, 1); w(1, TPR, 0x56, 2); w(1, TPR, 0x56, 8); w(1, TPR + 4, 0x56, 4); w(1, TPR + 1, 0x56, 4);
    expect(r(1, TPR)).toBe(0x34);
    expect(e.lapicIgnored(apic(1)) - before).toBe(5);
    expect(esr(1)).toBe(0);
  });

  it("sets ESR 'illegal register address' on a reserved register, read or written", () => {
    const { r, w, esr } = lapics(1);
    for (const off of [0x00, 0x10, 0x40, 0x70, 0x290, 0x2f0, 0x3a0, 0x3f0, 0x400, 0xff0]) {
      expect(r(0, off)).toBe(0);
      expect(esr(0)).toBe(0x80);
      w(0, off, 0x1234);
      expect(esr(0)).toBe(0x80);
    }
    expect(esr(0)).toBe(0);
  });

  it("ESR: errors are collected until a write shows them, and raise the error LVT", () => {
    const { r, w, irr, esr, send, enable } = lapics(2);
    enable(0); enable(1);
    w(0, ICR2, 0x01000000);
    w(0, ICR, 0x0005);                 // fixed IPI with vector 5: send illegal vector, not sent
    expect(r(0, ESR)).toBe(0);         // not visible before a write
    expect(esr(0)).toBe(0x20);
    expect(esr(0)).toBe(0);            // the Linux clear sequence reads 0 the second time
    expect(irr(1, 5)).toBe(false);
    w(1, LVTERR, 0xfe);
    send(-1, { vector: 3, dest: 1 });  // receive illegal vector
    expect(irr(1, 3)).toBe(false);
    expect(irr(1, 0xfe)).toBe(true);
    expect(esr(1)).toBe(0x40);
    w(1, LVTERR, 0x02);                // an illegal error vector only adds its own error
    send(-1, { vector: 1, dest: 1 });
    expect(esr(1)).toBe(0x40);
    expect(irr(1, 2)).toBe(false);
  });

  it("outside xAPIC mode the page is not decoded", () => {
    const { r, w, rd, wrmsr, esr } = lapics(1);
    expect(wrmsr(0, APIC_BASE, BASE | EN | EXTD | BSP)).toBe(true);
    expect(rd(0, VER, 4)).toBe(0xffffffffn);
    expect(rd(0, 0x10, 8)).toBe(0xffffffffffffffffn);
    w(0, TPR, 0x20);
    expect(wrmsr(0, APIC_BASE, BASE | BSP)).toBe(true);
    expect(rd(0, TPR, 4)).toBe(0xffffffffn);
    expect(wrmsr(0, APIC_BASE, BASE | EN | BSP)).toBe(true);
    expect(r(0, TPR)).toBe(0);
    expect(esr(0)).toBe(0);
  });
});

describe("priorities, acceptance and EOI (11.8)", () => {
  it("PPR is TPR or the highest in-service class; only a class above PPR is deliverable", () => {
    const { e, apic, r, w, send, irr, isr, deliverable, enable } = lapics(1);
    send(-1, { vector: 0x51, dest: 0 });
    expect(irr(0, 0x51)).toBe(false);              // software-disabled: fixed interrupts dropped
    enable(0);
    send(-1, { vector: 0x51, dest: 0 });
    expect(deliverable(0)).toBe(0x51);
    w(0, TPR, 0x50);
    expect(r(0, PPR)).toBe(0x50);
    expect(deliverable(0)).toBe(-1);               // same class as TPR
    w(0, TPR, 0x4f);
    expect(deliverable(0)).toBe(0x51);
    e.lapicAccept(apic(0), 0x51);
    expect(irr(0, 0x51)).toBe(false);
    expect(isr(0, 0x51)).toBe(true);
    expect(r(0, PPR)).toBe(0x50);                  // ISR class 5 above TPR class 4
    w(0, TPR, 0x55);
    expect(r(0, PPR)).toBe(0x55);                  // TPR class 5 >= ISR class 5: TPR
    w(0, TPR, 0x70);
    expect(r(0, PPR)).toBe(0x70);
    w(0, TPR, 0);
    send(-1, { vector: 0x5f, dest: 0 });
    expect(deliverable(0)).toBe(-1);               // same class as the one in service
    send(-1, { vector: 0x80, dest: 0 });
    expect(deliverable(0)).toBe(0x80);             // nests
    e.lapicAccept(apic(0), 0x80);
    expect(r(0, PPR)).toBe(0x80);
    expect(deliverable(0)).toBe(-1);
    w(0, EOI, 0);                                  // the highest in service first
    expect(isr(0, 0x80)).toBe(false);
    expect(isr(0, 0x51)).toBe(true);
    expect(deliverable(0)).toBe(-1);               // 0x5f is class 5, 0x51 still in service
    e.lapicEoi(apic(0));
    expect(isr(0, 0x51)).toBe(false);
    expect(r(0, PPR)).toBe(0);
    expect(deliverable(0)).toBe(0x5f);
    w(0, SVR, 0xff);
    expect(deliverable(0)).toBe(-1);               // software-disabled: nothing
    expect(irr(0, 0x5f)).toBe(true);               // but IRR is held (11.4.7.2)
  });

  it("EOI of a level-triggered vector goes to the bus (EOI broadcast), of an edge one does not", () => {
    const { e, mach, apic, r, w, send, tmr, enable } = lapics(1);
    enable(0);
    send(-1, { vector: 0x70, dest: 0, trigger: true });
    send(-1, { vector: 0x60, dest: 0 });
    expect(tmr(0, 0x70)).toBe(true);
    expect(tmr(0, 0x60)).toBe(false);
    e.lapicAccept(apic(0), 0x60);
    e.lapicAccept(apic(0), 0x70);
    w(0, EOI, 0);
    expect(e.lapicBusEois(mach)).toBe(1);
    expect(e.lapicBusLastEoi(mach)).toBe(0x70);
    w(0, EOI, 0);
    expect(e.lapicBusEois(mach)).toBe(1);
    w(0, EOI, 0);                                  // nothing in service: nothing
    expect(e.lapicBusEois(mach)).toBe(1);
    // The same vector, edge-triggered this time, clears its TMR bit.
    send(-1, { vector: 0x70, dest: 0 });
    expect(tmr(0, 0x70)).toBe(false);
    expect(r(0, ISR + 0x30)).toBe(0);
  });

  it("drives the line to the CPU while something is pending", () => {
    const { e, mach, apic, w, send, enable } = lapics(1);
    const level = (): boolean => e.lapicIntrLevel(mach, 0) !== 0;
    enable(0);
    expect(level()).toBe(false);
    send(-1, { vector: 0x40, dest: 0 });
    expect(level()).toBe(true);
    expect(e.lapicIntrRises(mach, 0)).toBe(1);
    e.lapicAccept(apic(0), 0x40);
    expect(level()).toBe(false);
    send(-1, { vector: 0x30, dest: 0 });
    expect(level()).toBe(false);                   // below the one in service
    w(0, EOI, 0);
    expect(level()).toBe(true);
    e.lapicAccept(apic(0), 0x30); w(0, EOI, 0);
    send(-1, { dm: DM_NMI, dest: 0 });
    expect(level()).toBe(true);
    expect(e.lapicTakeNmi(apic(0))).toBe(1);
    expect(level()).toBe(false);
    expect(e.lapicIntrRises(mach, 0)).toBe(3);
  });
});

describe("IPIs and messages (11.6)", () => {
  it("ICR sends fixed IPIs by physical ID, at once; delivery status reads idle", () => {
    const { e, mach, r, w, irr, last, enable } = lapics(3);
    for (const i of [0, 1, 2]) enable(i);
    w(0, ICR2, 0x02000000);
    w(0, ICR, 0x0000c041);            // level assert and trigger bits are not issued for a fixed IPI
    expect(irr(2, 0x41)).toBe(true);
    expect(irr(1, 0x41)).toBe(false);
    expect(last()).toEqual({ vector: 0x41, delivery: DM_FIXED, logical: false, dest: 2, x2apic: false, shorthand: 0, level: true, trigger: false });
    expect(e.lapicBusLastFrom(mach)).toBe(0);
    expect(r(0, ICR) & 0x1000).toBe(0);
    expect(r(0, ICR)).toBe(0xc041);
    w(0, ICR2, 0xff000000);           // physical broadcast
    w(0, ICR, 0x42);
    for (const i of [0, 1, 2]) expect(irr(i, 0x42)).toBe(true);
  });

  it("logical destinations: flat and cluster models, lowest priority to one target", () => {
    const { e, apic, w, irr, enable } = lapics(3);
    for (const i of [0, 1, 2]) { enable(i); w(i, LDR, (1 << i) << 24); }
    w(0, ICR2, 0x06000000);
    w(0, ICR, 0x0800 | 0x43);         // logical, flat: APICs 1 and 2
    expect([0, 1, 2].map((i) => irr(i, 0x43))).toEqual([false, true, true]);
    w(0, ICR, 0x0900 | 0x44);         // lowest priority: the bus gives it to the first match
    expect([0, 1, 2].map((i) => irr(i, 0x44))).toEqual([false, true, false]);
    for (const i of [0, 1, 2]) w(i, DFR, 0x0fffffff);
    w(1, LDR, 0x21000000);            // cluster 2, member bit 0
    w(2, LDR, 0x22000000);            // cluster 2, member bit 1
    expect(e.lapicMatches(apic(1), 0x23, 1, 0)).toBe(1);
    expect(e.lapicMatches(apic(2), 0x23, 1, 0)).toBe(1);
    expect(e.lapicMatches(apic(2), 0x13, 1, 0)).toBe(0);   // another cluster
    expect(e.lapicMatches(apic(2), 0x21, 1, 0)).toBe(0);
    expect(e.lapicMatches(apic(0), 0xff, 1, 0)).toBe(1);   // broadcast
    w(0, ICR2, 0x22000000);
    w(0, ICR, 0x0800 | 0x45);
    expect([0, 1, 2].map((i) => irr(i, 0x45))).toEqual([false, false, true]);
    w(2, DFR, 0x5fffffff);            // neither model: no logical match
    expect(e.lapicMatches(apic(2), 0x22, 1, 0)).toBe(0);
    expect(e.lapicMatches(apic(2), 2, 0, 0)).toBe(1);      // physical still
  });

  it("shorthands: self, all including self, all excluding self", () => {
    const { w, irr, enable } = lapics(3);
    for (const i of [0, 1, 2]) enable(i);
    w(1, ICR, (SH_SELF << 18) | 0x50);
    expect([0, 1, 2].map((i) => irr(i, 0x50))).toEqual([false, true, false]);
    w(1, ICR, (SH_ALL << 18) | 0x51);
    expect([0, 1, 2].map((i) => irr(i, 0x51))).toEqual([true, true, true]);
    w(1, ICR, (SH_OTHERS << 18) | 0x52);
    expect([0, 1, 2].map((i) => irr(i, 0x52))).toEqual([true, false, true]);
  });

  it("NMI, INIT (assert; de-assert ignored), STARTUP and ExtINT are left for the CPU side", () => {
    const { e, apic, r, w, send, last, irr, enable } = lapics(2);
    enable(1);
    w(1, TPR, 0x20);
    send(-1, { vector: 0x44, dest: 1 });
    w(0, ICR2, 0x01000000);
    w(0, ICR, 0x0400);                                   // NMI
    expect(e.lapicPendingNmi(apic(1))).toBe(1);
    expect(e.lapicTakeNmi(apic(1))).toBe(1);
    expect(e.lapicTakeNmi(apic(1))).toBe(0);
    w(0, ICR, 0xc500);                                   // INIT, level assert
    expect(last()).toMatchObject({ delivery: DM_INIT, level: true, trigger: true });
    expect(e.lapicPendingInit(apic(1))).toBe(1);
    e.lapicTakeInit(apic(1));
    w(0, ICR, 0x8500);                                   // INIT level de-assert: sent, ignored
    expect(last()).toMatchObject({ delivery: DM_INIT, level: false, trigger: true });
    expect(e.lapicPendingInit(apic(1))).toBe(0);
    w(0, ICR, 0x0600 | 0x9a);                            // STARTUP at page 9AH
    expect(e.lapicTakeSipi(apic(1))).toBe(0x9a);
    expect(e.lapicTakeSipi(apic(1))).toBe(-1);
    w(0, ICR, 0x0600 | 0x10);
    w(0, ICR, 0x4500);                                   // an INIT discards the STARTUP before it
    expect(e.lapicTakeSipi(apic(1))).toBe(-1);
    w(0, ICR, 0x0600 | 0x11);
    // Taking the INIT resets the APIC but its ID; the SIPI after it stays.
    w(1, ID, 0x07000000);
    expect(e.lapicTakeInit(apic(1))).toBe(1);
    expect(r(1, ID)).toBe(0x07000000);
    expect(r(1, TPR)).toBe(0);
    expect(r(1, SVR)).toBe(0xff);
    expect(irr(1, 0x44)).toBe(false);
    expect(e.lapicTakeSipi(apic(1))).toBe(0x11);
    // SMI is not modelled; ExtINT messages are the PIC's interrupt.
    send(-1, { dm: DM_SMI, dest: 7 });
    expect(e.lapicWants(apic(1))).toBe(0);
    send(-1, { dm: DM_EXTINT, dest: 7 });
    expect(e.lapicPendingExtInt(apic(1))).toBe(1);
    e.lapicTakeExtInt(apic(1));
    expect(e.lapicPendingExtInt(apic(1))).toBe(0);
  });

  it("reserved ICR delivery modes send nothing; a lowest-priority IPI with vector < 16 is a send error", () => {
    const { e, mach, w, esr } = lapics(2);
    const before = e.lapicBusSent(mach);
    w(0, ICR, 0x0300 | 0x40);
    w(0, ICR, 0x0700 | 0x40);
    expect(e.lapicBusSent(mach)).toBe(before);
    w(0, ICR, 0x0100 | 0x0f);
    expect(esr(0)).toBe(0x20);
    expect(e.lapicBusSent(mach)).toBe(before);
  });
});

describe("LINT pins (11.5.1)", () => {
  it("LINT0 as ExtINT is the PIC's line; LINT1 as NMI raises one NMI per rising edge; masked entries drop", () => {
    const { e, apic, w } = lapics(1);
    const a = apic(0);
    e.lapicSetLint(a, 0, 1);
    expect(e.lapicPendingExtInt(a)).toBe(1);             // the BSP's virtual wire, even software-disabled
    e.lapicSetLint(a, 0, 0);
    expect(e.lapicPendingExtInt(a)).toBe(0);
    w(0, LINT0, MASKED | (DM_EXTINT << 8));
    e.lapicSetLint(a, 0, 1);
    expect(e.lapicPendingExtInt(a)).toBe(0);
    e.lapicSetLint(a, 0, 0);
    w(0, SVR, 0x1ff);
    w(0, LINT1, DM_NMI << 8);
    e.lapicSetLint(a, 1, 1);
    expect(e.lapicTakeNmi(a)).toBe(1);
    e.lapicSetLint(a, 1, 1);                             // still high: no new edge
    expect(e.lapicTakeNmi(a)).toBe(0);
    e.lapicSetLint(a, 1, 0); e.lapicSetLint(a, 1, 1);
    expect(e.lapicTakeNmi(a)).toBe(1);
    e.lapicSetLint(a, 1, 0);
    w(0, LINT1, MASKED | (DM_NMI << 8));
    e.lapicSetLint(a, 1, 1);
    expect(e.lapicTakeNmi(a)).toBe(0);
  });

  it("a level-triggered fixed LINT0 sets remote IRR until its EOI, and comes again while asserted", () => {
    const { e, mach, apic, r, w, irr, tmr } = lapics(1);
    const a = apic(0);
    w(0, SVR, 0x1ff);
    w(0, LINT0, LEVEL | 0x61);
    e.lapicSetLint(a, 0, 1);
    expect(irr(0, 0x61)).toBe(true);
    expect(tmr(0, 0x61)).toBe(true);
    expect(r(0, LINT0) & REMOTE_IRR).toBe(REMOTE_IRR);
    e.lapicAccept(a, 0x61);
    w(0, LINT0, LEVEL | 0x61);                           // remote IRR is read-only
    expect(r(0, LINT0) & REMOTE_IRR).toBe(REMOTE_IRR);
    w(0, EOI, 0);                                        // still asserted: again
    expect(e.lapicBusEois(mach)).toBe(1);
    expect(irr(0, 0x61)).toBe(true);
    e.lapicAccept(a, 0x61);
    e.lapicSetLint(a, 0, 0);
    w(0, EOI, 0);
    expect(irr(0, 0x61)).toBe(false);
    expect(r(0, LINT0) & REMOTE_IRR).toBe(0);
    w(0, LINT0, 0x62);                                   // edge
    e.lapicSetLint(a, 0, 1);
    expect(irr(0, 0x62)).toBe(true);
    expect(tmr(0, 0x62)).toBe(false);
  });

  it("with the APIC globally disabled LINT0 is INTR and LINT1 NMI", () => {
    const { e, apic, wrmsr } = lapics(2);
    const a = apic(1);
    e.lapicSetLint(a, 0, 1);
    expect(e.lapicPendingExtInt(a)).toBe(0);             // the AP's LINT0 is masked
    expect(wrmsr(1, APIC_BASE, BASE)).toBe(true);
    expect(e.lapicPendingExtInt(a)).toBe(1);
    e.lapicSetLint(a, 1, 1);
    expect(e.lapicTakeNmi(a)).toBe(1);
  });
});

describe("the timer (11.5.4)", () => {
  it("one-shot: counts down at the TSC rate over the divisor, interrupts once at 0", () => {
    const { e, apic, r, w, clock, fire, deadline, irr, enable } = lapics(1);
    enable(0);
    clock(1000);
    w(0, LVTT, 0x40);
    w(0, TMICT, 500);                    // divide by 2 (reset value)
    expect(deadline(0)).toBe(2000n);
    clock(1001); expect(r(0, TMCCT)).toBe(500);
    clock(1002); expect(r(0, TMCCT)).toBe(499);
    clock(1999); expect(r(0, TMCCT)).toBe(1);
    expect(fire()).toBe(0);
    expect(irr(0, 0x40)).toBe(false);
    clock(2000);
    expect(fire()).toBe(1);
    expect(irr(0, 0x40)).toBe(true);
    expect(r(0, TMCCT)).toBe(0);
    expect(r(0, TMICT)).toBe(500);
    expect(deadline(0)).toBe(0n);
    clock(5000); expect(fire()).toBe(0);
    expect(e.lapicTimerExpiries(apic(0))).toBe(1n);
    // Divide by 1; a new initial count restarts; 0 stops.
    w(0, TDCR, 0xb);
    w(0, TMICT, 100);
    clock(5040); expect(r(0, TMCCT)).toBe(60);
    w(0, TMICT, 0);
    expect(r(0, TMCCT)).toBe(0);
    expect(deadline(0)).toBe(0n);
  });

  it("a divide change mid-count goes on from the current count at the new rate", () => {
    const { r, w, clock, deadline, enable } = lapics(1);
    enable(0);
    w(0, TDCR, 0xb);
    w(0, LVTT, 0x40);
    w(0, TMICT, 1000);
    clock(400); expect(r(0, TMCCT)).toBe(600);
    w(0, TDCR, 0);                       // divide by 2
    expect(r(0, TMCCT)).toBe(600);
    clock(600); expect(r(0, TMCCT)).toBe(500);
    expect(deadline(0)).toBe(1600n);
    let t = 10_000;
    for (const [dcr, div] of [[0, 2], [1, 4], [2, 8], [3, 16], [8, 32], [9, 64], [10, 128], [11, 1]]) {
      t += 10_000;
      clock(t); w(0, TDCR, dcr); w(0, TMICT, 10);
      clock(t + div - 1); expect(r(0, TMCCT)).toBe(10);
      clock(t + div); expect(r(0, TMCCT)).toBe(9);
    }
  });

  it("a masked timer counts but arms nothing; unmasking arms it at its next expiry", () => {
    const { r, w, clock, fire, deadline, irr, enable } = lapics(1);
    enable(0);
    w(0, TDCR, 0xb);
    w(0, LVTT, MASKED | PERIODIC | 0x40);
    w(0, TMICT, 1_000_000);
    expect(deadline(0)).toBe(0n);
    clock(2_500_000);
    expect(r(0, TMCCT)).toBe(500_000);
    w(0, LVTT, PERIODIC | 0x40);
    expect(irr(0, 0x40)).toBe(false);    // what expired while masked is gone
    expect(deadline(0)).toBe(3_000_000n);
    clock(3_000_000); fire();
    expect(irr(0, 0x40)).toBe(true);
    // Software disable masks every LVT and keeps them masked.
    w(0, SVR, 0xff);
    expect(r(0, LVTT)).toBe(MASKED | PERIODIC | 0x40);
    expect(deadline(0)).toBe(0n);
    w(0, LVTT, PERIODIC | 0x40);
    expect(r(0, LVTT) & MASKED).toBe(MASKED);
    for (const off of [LVTTHM, LVTPC, LINT0, LINT1, LVTERR]) {
      w(0, off, 0x50);
      expect(r(0, off) & MASKED).toBe(MASKED);
    }
  });

  it("periodic: reloads in phase; periods the host serves late coalesce in one interrupt", () => {
    const { e, apic, r, w, clock, fire, deadline, irr, enable } = lapics(1);
    enable(0);
    const a = apic(0);
    w(0, TDCR, 0xb);
    w(0, LVTT, PERIODIC | 0x40);
    w(0, TMICT, 1_000_000);              // 1 ms at 1 GHz
    clock(999_999); expect(fire()).toBe(0);
    clock(1_000_000); expect(fire()).toBe(1);
    expect(irr(0, 0x40)).toBe(true);
    expect(r(0, TMCCT)).toBe(1_000_000);
    expect(deadline(0)).toBe(2_000_000n);
    clock(1_250_000); expect(r(0, TMCCT)).toBe(750_000);
    e.lapicAccept(a, 0x40); w(0, EOI, 0);
    clock(4_500_000); expect(fire()).toBe(1);   // 2, 3 and 4 ms passed: one interrupt
    expect(irr(0, 0x40)).toBe(true);
    expect(deadline(0)).toBe(5_000_000n);
    expect(r(0, TMCCT)).toBe(500_000);
    expect(e.lapicTimerExpiries(a)).toBe(4n);
    expect(e.lapicTimerCoalesced(a)).toBe(2n);
    clock(5_000_000); fire();                   // not serviced: merges with the pending one
    expect(e.lapicTimerCoalesced(a)).toBe(3n);
    // Switching mode disarms (11.5.4.1).
    w(0, LVTT, 0x40);
    expect(r(0, TMICT)).toBe(0);
    expect(r(0, TMCCT)).toBe(0);
    expect(deadline(0)).toBe(0n);
  });

  it("TSC-deadline: IA32_TSC_DEADLINE arms it, the interrupt clears it; initial count is ignored", () => {
    const { e, apic, r, w, rdmsr, wrmsr, clock, fire, deadline, irr, enable } = lapics(1);
    enable(0);
    expect(wrmsr(0, TSC_DEADLINE_MSR, 5000)).toBe(true);   // not in TSC-deadline mode: ignored
    expect(rdmsr(0, TSC_DEADLINE_MSR)).toBe(0n);
    w(0, LVTT, TSC_DEADLINE | 0x41);
    w(0, TMICT, 100);
    expect(r(0, TMICT)).toBe(0);
    expect(r(0, TMCCT)).toBe(0);
    expect(deadline(0)).toBe(0n);
    clock(1000);
    wrmsr(0, TSC_DEADLINE_MSR, 5000);
    expect(rdmsr(0, TSC_DEADLINE_MSR)).toBe(5000n);
    expect(deadline(0)).toBe(5000n);
    clock(4999); expect(fire()).toBe(0);
    clock(5000); expect(fire()).toBe(1);
    expect(irr(0, 0x41)).toBe(true);
    expect(rdmsr(0, TSC_DEADLINE_MSR)).toBe(0n);
    e.lapicAccept(apic(0), 0x41); w(0, EOI, 0);
    wrmsr(0, TSC_DEADLINE_MSR, 10);              // already passed: at once
    expect(irr(0, 0x41)).toBe(true);
    expect(deadline(0)).toBe(0n);
    wrmsr(0, TSC_DEADLINE_MSR, 9000);
    wrmsr(0, TSC_DEADLINE_MSR, 0);               // 0 disarms
    expect(deadline(0)).toBe(0n);
    // A masked deadline still ends and clears the MSR, without interrupt.
    e.lapicAccept(apic(0), 0x41); w(0, EOI, 0);
    w(0, LVTT, MASKED | TSC_DEADLINE | 0x41);
    wrmsr(0, TSC_DEADLINE_MSR, 6000);
    expect(deadline(0)).toBe(0n);
    clock(6000);
    expect(rdmsr(0, TSC_DEADLINE_MSR)).toBe(0n);
    expect(irr(0, 0x41)).toBe(false);
    // Leaving the mode disarms and clears it.
    w(0, LVTT, TSC_DEADLINE | 0x41);
    wrmsr(0, TSC_DEADLINE_MSR, 90000);
    w(0, LVTT, PERIODIC | 0x41);
    expect(deadline(0)).toBe(0n);
    w(0, LVTT, TSC_DEADLINE | 0x41);
    expect(rdmsr(0, TSC_DEADLINE_MSR)).toBe(0n);
  });
});

describe("x2APIC (11.12)", () => {
  it("switches from xAPIC: ID and LDR from the x2APIC ID, the rest kept; refuses invalid transitions", () => {
    const { e, apic, r, w, rdmsr, wrmsr, irr, enable } = lapics(2);
    enable(1);
    w(1, ID, 0x09000000); w(1, TPR, 0x20); w(1, LDR, 0x80000000); w(1, ICR2, 0x05000000);
    w(1, LVTT, PERIODIC | 0x33); w(1, LINT1, DM_NMI << 8);
    w(1, ICR, (SH_SELF << 18) | 0x77);
    expect(rdmsr(1, x2(TPR))).toBeNull();                      // x2APIC MSRs #GP in xAPIC mode
    expect(wrmsr(1, APIC_BASE, BASE | EXTD)).toBe(false);      // EN=0 EXTD=1: invalid state
    expect(wrmsr(1, APIC_BASE, BASE | EN | EXTD)).toBe(true);
    expect(e.lapicMmioActive(apic(1))).toBe(0);
    expect(rdmsr(1, x2(ID))).toBe(1n);
    expect(rdmsr(1, x2(LDR))).toBe(0x00000002n);               // cluster 0, bit 1
    expect(rdmsr(1, x2(ICR))).toBe(BigInt((SH_SELF << 18) | 0x77));   // destination not kept
    expect(rdmsr(1, x2(TPR))).toBe(0x20n);
    expect(rdmsr(1, x2(SVR))).toBe(0x1ffn);
    expect(rdmsr(1, x2(LVTT))).toBe(BigInt(PERIODIC | 0x33));
    expect(rdmsr(1, x2(LINT1))).toBe(BigInt(DM_NMI << 8));
    expect(rdmsr(1, x2(VER))).toBe(0x00050014n);
    expect(rdmsr(1, x2(IRR + 0x30))).toBe(1n << 23n);
    expect(wrmsr(1, APIC_BASE, BASE | EN)).toBe(false);        // x2APIC -> xAPIC
    expect(wrmsr(1, APIC_BASE, BASE | EN | EXTD | 1n)).toBe(false);          // reserved bit 0
    expect(wrmsr(1, APIC_BASE, BASE | EN | EXTD | (1n << 9n))).toBe(false);  // reserved bit 9
    expect(wrmsr(1, APIC_BASE, (1n << 39n) | EN | EXTD)).toBe(false);        // above MAXPHYADDR
    expect(rdmsr(1, APIC_BASE)).toBe(BASE | EN | EXTD);
    // To disabled (the state goes), then to xAPIC: power-up registers.
    expect(wrmsr(1, APIC_BASE, BASE)).toBe(true);
    expect(rdmsr(1, x2(TPR))).toBeNull();
    expect(wrmsr(1, APIC_BASE, BASE | EN | EXTD)).toBe(false); // disabled -> x2APIC
    expect(wrmsr(1, APIC_BASE, BASE | EN | BSP)).toBe(true);   // BSP is read-only
    expect(rdmsr(1, APIC_BASE)).toBe(BASE | EN);
    expect(r(1, ID)).toBe(0x01000000);
    expect(r(1, TPR)).toBe(0);
    expect(r(1, SVR)).toBe(0xff);
    expect(r(1, LVTT)).toBe(MASKED);
    expect(irr(1, 0x77)).toBe(false);
  });

  it("MSR semantics: read-only, write-only and absent registers, reserved bits, EOI and ESR writes of 0", () => {
    const { wrmsr, rdmsr, enable } = lapics(1);
    enable(0);
    wrmsr(0, APIC_BASE, BASE | EN | EXTD | BSP);
    for (const off of [APR, RRD, DFR, ICR2, 0x2f0, 0x00, 0x3a0]) {
      expect(rdmsr(0, x2(off))).toBeNull();
      expect(wrmsr(0, x2(off), 0)).toBe(false);
    }
    expect(rdmsr(0, 0x8ff)).toBeNull();
    for (const off of [ID, VER, PPR, LDR, ISR, TMR + 0x10, IRR + 0x70, TMCCT]) {
      expect(rdmsr(0, x2(off))).not.toBeNull();
      expect(wrmsr(0, x2(off), 0)).toBe(false);
    }
    expect(rdmsr(0, x2(EOI))).toBeNull();
    expect(rdmsr(0, 0x83f)).toBeNull();           // SELF IPI: write-only
    expect(wrmsr(0, x2(EOI), 1)).toBe(false);
    expect(wrmsr(0, x2(EOI), 0)).toBe(true);
    expect(wrmsr(0, x2(ESR), 1)).toBe(false);
    expect(wrmsr(0, x2(ESR), 0)).toBe(true);
    expect(wrmsr(0, x2(TPR), 0x100)).toBe(false);
    expect(wrmsr(0, x2(TPR), 1n << 32n)).toBe(false);
    expect(wrmsr(0, x2(TPR), 0xff)).toBe(true);
    expect(wrmsr(0, x2(SVR), 0x1000 | 0x1ff)).toBe(false);    // EOI-broadcast suppression not supported
    expect(wrmsr(0, x2(LVTT), 0x80000)).toBe(false);
    expect(wrmsr(0, x2(LVTT), 0x1000 | 0x40)).toBe(true);     // delivery status: read-only, not reserved
    expect(rdmsr(0, x2(LVTT))).toBe(0x40n);
    expect(wrmsr(0, x2(LINT0), 0x20000)).toBe(false);
    expect(wrmsr(0, x2(TDCR), 4)).toBe(false);
    expect(wrmsr(0, x2(TDCR), 0xb)).toBe(true);
    expect(wrmsr(0, 0x83f, 0x100)).toBe(false);
    expect(wrmsr(0, x2(ICR), 1n << 13n)).toBe(false);
    expect(wrmsr(0, x2(ICR), 1n << 20n)).toBe(false);
    expect(rdmsr(0, x2(TPR))).toBe(0xffn);
    expect(rdmsr(0, 0x1234)).toBeNull();          // not an APIC MSR
  });

  it("the 64-bit ICR sends to a 32-bit destination; SELF IPI goes to itself, not on the bus", () => {
    const { e, m, mach, apic, rdmsr, wrmsr, last, enable } = lapics(3);
    for (const i of [0, 1, 2]) { enable(i); expect(wrmsr(i, APIC_BASE, BASE | EN | EXTD | (i === 0 ? BSP : 0n))).toBe(true); }
    expect(wrmsr(0, x2(ICR), (2n << 32n) | 0x1000n | 0x4041n)).toBe(true);
    expect(last()).toEqual({ vector: 0x41, delivery: DM_FIXED, logical: false, dest: 2, x2apic: true, shorthand: 0, level: true, trigger: false });
    expect(rdmsr(0, x2(ICR))).toBe((2n << 32n) | 0x4041n);
    const page = e.lapicPage(apic(0)) >>> 0;
    expect(m.view.getBigUint64(page + ICR, true)).toBe((2n << 32n) | 0x4041n);   // as VMX keeps it
    expect(e.lapicHighestIrr(apic(2))).toBe(0x41);
    // Logical x2APIC: cluster 0, bits 0 and 2 -> APICs 0 and 2.
    expect(wrmsr(1, x2(ICR), (0x5n << 32n) | 0x800n | 0x42n)).toBe(true);
    expect([0, 1, 2].map((i) => e.lapicHighestIrr(apic(i)))).toEqual([0x42, -1, 0x42]);
    expect(wrmsr(1, x2(ICR), (0xffffffffn << 32n) | 0x43n)).toBe(true);
    expect([0, 1, 2].map((i) => e.lapicHighestIrr(apic(i)))).toEqual([0x43, 0x43, 0x43]);
    // An xAPIC-form message (an I/O APIC's) reaches an x2APIC by its ID.
    expect(e.lapicMatches(apic(1), 1, 0, 0)).toBe(1);
    expect(e.lapicMatches(apic(1), 0xff, 0, 0)).toBe(1);
    const sent = e.lapicBusSent(mach);
    expect(wrmsr(1, 0x83f, 0x90)).toBe(true);
    expect(e.lapicHighestIrr(apic(1))).toBe(0x90);
    expect(e.lapicBusSent(mach)).toBe(sent);
    expect(wrmsr(1, 0x83f, 0x05)).toBe(true);
    expect(wrmsr(1, x2(ESR), 0)).toBe(true);
    expect(rdmsr(1, x2(ESR))).toBe(0x60n);
  });
});

describe("IA32_APIC_BASE: global disable, re-enable, relocation (11.4.3, 11.4.4)", () => {
  it("disabling clears the state and drops messages; enabling again works; the base moves", () => {
    const { e, apic, r, w, rd, rdmsr, wrmsr, send, clock, deadline, irr, enable } = lapics(2);
    enable(1);
    w(1, TPR, 0x30); w(1, LVTT, 0x40); w(1, TMICT, 1000);
    send(-1, { vector: 0x55, dest: 1 });
    expect(deadline(1)).not.toBe(0n);
    expect(wrmsr(1, APIC_BASE, BASE)).toBe(true);
    expect(deadline(1)).toBe(0n);
    expect(rd(1, VER)).toBe(0xffffffffn);
    expect(e.lapicMatches(apic(1), 1, 0, 0)).toBe(0);
    send(-1, { dm: DM_NMI, dest: 1 });
    expect(e.lapicPendingNmi(apic(1))).toBe(0);
    expect(rdmsr(1, TSC_DEADLINE_MSR)).toBe(0n);
    expect(e.lapicHighestDeliverable(apic(1))).toBe(-1);
    expect(wrmsr(1, APIC_BASE, 0xfed00000n | EN)).toBe(true);
    expect(e.lapicMmioBase(apic(1))).toBe(0xfed00000n);
    expect(e.lapicMmioActive(apic(1))).toBe(1);
    expect(r(1, VER)).toBe(0x00050014);
    expect(r(1, TPR)).toBe(0);
    expect(r(1, SVR)).toBe(0xff);
    expect(irr(1, 0x55)).toBe(false);
    // It works as after power-up.
    enable(1);
    send(-1, { vector: 0x56, dest: 1 });
    expect(e.lapicHighestDeliverable(apic(1))).toBe(0x56);
    clock(10);
    w(1, LVTT, 0x40); w(1, TMICT, 1000);
    expect(deadline(1)).toBe(2010n);
  });
});

describe("APIC virtualization hooks", () => {
  it("with virtual-interrupt delivery every arrival raises the line anew: the CPU takes IRR unseen", () => {
    const { e, m, mach, apic, w, send, enable } = lapics(1);
    const a = apic(0);
    const page = e.lapicPage(a) >>> 0;
    const rises = (): number => e.lapicIntrRises(mach, 0);
    enable(0);
    e.lapicSetVirtualDelivery(a, 1);
    send(-1, { vector: 0x40, dest: 0 });
    expect(rises()).toBe(1);
    // The processor delivered 0x40 from the page (IRR to ISR, an EOI
    // virtualized): the line is still high, as the model last left it.
    e.lapicTakePosted(a);
    m.view.setUint32(page + IRR + 0x20, 0, true);
    expect(e.lapicIntrLevel(mach, 0)).toBe(1);
    // What comes now is news all the same: a halted vCPU must wake for it.
    send(-1, { dm: DM_NMI, dest: 0 });
    expect(rises()).toBe(2);
    send(-1, { vector: 0x41, dest: 0 });
    expect(rises()).toBe(3);
    send(-1, { dm: DM_INIT, dest: 0, level: true });
    expect(rises()).toBe(4);
    send(-1, { dm: DM_STARTUP, vector: 0x08, dest: 0 });
    expect(rises()).toBe(5);
    e.lapicTakeNmi(a); e.lapicTakeInit(a); e.lapicTakeSipi(a);
    // The PIC's INT through an ExtINT LINT0: each time it rises, not while it stays up.
    enable(0);
    w(0, LINT0, DM_EXTINT << 8);
    const before = rises();
    e.lapicSetLint(a, 0, 1);
    expect(rises()).toBe(before + 1);
    w(0, TPR, 0x10);
    expect(rises()).toBe(before + 1);
    e.lapicSetLint(a, 0, 0);
    e.lapicSetLint(a, 0, 1);
    expect(rises()).toBe(before + 2);
  });

  it("without it too, news raises the line anew while it is up: an INIT must reach a vCPU halted with a vector it cannot take", () => {
    const { e, mach, send, enable } = lapics(1);
    const rises = (): number => e.lapicIntrRises(mach, 0);
    enable(0);
    send(-1, { vector: 0x40, dest: 0 });
    expect(rises()).toBe(1);
    expect(e.lapicIntrLevel(mach, 0)).toBe(1);
    send(-1, { dm: DM_INIT, dest: 0, level: true });
    expect(rises()).toBe(2);
    send(-1, { dm: DM_NMI, dest: 0 });
    expect(rises()).toBe(3);
    send(-1, { vector: 0x41, dest: 0 });
    expect(rises()).toBe(4);
  });

  it("with virtual-interrupt delivery a vector received waits off the page, which the processor owns, until the next entry", () => {
    const { e, m, apic, send, enable } = lapics(2);
    const a = apic(1);
    const page = e.lapicPage(a) >>> 0;
    const irrWord = (i: number): number => m.view.getUint32(page + IRR + 0x10 * i, true);
    enable(1);
    e.lapicSetVirtualDelivery(a, 1);
    // The processor running vCPU 1 is delivering 0x31 meanwhile: it owns IRR.
    m.view.setUint32(page + IRR + 0x10, 1 << 17, true);
    send(0, { vector: 0x35, dest: 1 });
    send(0, { vector: 0x62, dest: 1 });
    expect(irrWord(1)).toBe(1 << 17);
    expect(irrWord(3)).toBe(0);
    // Counted as requested all the same: a halted vCPU wakes for it.
    expect(e.lapicHighestIrr(a)).toBe(0x62);
    expect(e.lapicWants(a)).toBe(1);
    // It delivered 0x31; before the next entry the posted ones join IRR,
    // the highest first and the others flagged.
    m.view.setUint32(page + IRR + 0x10, 0, true);
    expect(e.lapicTakePosted(a)).toBe(0x62 | IRR_MORE);
    expect(irrWord(1)).toBe(1 << 21);
    expect(irrWord(3)).toBe(1 << 2);
    expect(e.lapicHighestIrr(a)).toBe(0x62);
    expect(e.lapicTakePosted(a)).toBe(0x62 | IRR_MORE);
    expect(irrWord(1)).toBe(1 << 21);
    // A PPR asked for by another CPU is not stored in the page.
    m.view.setUint32(page + ISR + 0x30, 1 << 2, true);
    m.view.setUint32(page + PPR, 0x20, true);
    expect(e.lapicWants(a)).toBe(0);
    expect(m.view.getUint32(page + PPR, true)).toBe(0x20);
    // INIT clears what is posted with IRR.
    send(0, { vector: 0x70, dest: 1 });
    send(0, { dm: DM_INIT, dest: 1, level: true });
    e.lapicTakeInit(a);
    expect(e.lapicTakePosted(a)).toBe(-1);
    expect(e.lapicHighestIrr(a)).toBe(-1);
    enable(1);   // INIT left it software-disabled
    send(0, { vector: 0x71, dest: 1 });
    expect(e.lapicTakePosted(a)).toBe(0x71);
    // Two vectors in one word are more too.
    send(0, { vector: 0x72, dest: 1 });
    expect(e.lapicTakePosted(a)).toBe(0x72 | IRR_MORE);
  });

  it("what the processor writes in the page is what the model sees; APIC-write and EOI exits finish the job", () => {
    const { e, m, mach, apic, r, wrmsr, last, deadline, enable, clock } = lapics(2);
    const a = apic(0);
    const page = e.lapicPage(a) >>> 0;
    const set = (off: number, v: number): void => m.view.setUint32(page + off, v, true);
    enable(0); enable(1);
    // Virtual-interrupt delivery posts into IRR and moves it to ISR itself.
    set(IRR + 0x60, 1 << 3);              // vector 0xc3
    expect(e.lapicHighestIrr(a)).toBe(0xc3);
    set(IRR + 0x60, 0); set(ISR + 0x60, 1 << 3);
    expect(e.lapicHighestIsr(a)).toBe(0xc3);
    expect(e.lapicPpr(a)).toBe(0xc0);
    set(TPR, 0xd0);                       // TPR shadow
    expect(e.lapicPpr(a)).toBe(0xd0);
    e.lapicSetTpr(a, 0x10);
    expect(r(0, TPR)).toBe(0x10);
    // EOI virtualization cleared ISR; the EOI-induced exit does the rest.
    set(TMR + 0x60, 1 << 3);
    set(ISR + 0x60, 0);
    e.lapicEoiVirtualized(a, 0xc3);
    expect(e.lapicBusLastEoi(mach)).toBe(0xc3);
    // APIC-write exits: the write is in the page already.
    clock(100);
    set(TDCR, 0xb); e.lapicApicWrite(a, TDCR);
    set(LVTT, 0x48); e.lapicApicWrite(a, LVTT);
    set(TMICT, 500); e.lapicApicWrite(a, TMICT);
    expect(deadline(0)).toBe(600n);
    set(LVTT, TSC_DEADLINE | 0x48); e.lapicApicWrite(a, LVTT);   // a mode change, seen through the shadow
    expect(deadline(0)).toBe(0n);
    expect(r(0, TMICT)).toBe(0);
    set(ICR2, 0x01000000); set(ICR, 0x4a); e.lapicApicWrite(a, ICR);
    expect(last()).toMatchObject({ vector: 0x4a, dest: 1, x2apic: false });
    set(ESR, 0xffffffff); e.lapicApicWrite(a, ESR);
    expect(r(0, ESR)).toBe(0);
    // x2APIC: the ICR is 64 bits at 300H.
    wrmsr(1, APIC_BASE, BASE | EN | EXTD);
    const p1 = e.lapicPage(apic(1)) >>> 0;
    m.view.setBigUint64(p1 + ICR, (0n << 32n) | 0x4bn, true);
    e.lapicApicWrite(apic(1), ICR);
    expect(last()).toMatchObject({ vector: 0x4b, dest: 0, x2apic: true });
    expect(e.lapicHighestIrr(a)).toBe(0x4b);
  });
});

describe("floods stay bounded", () => {
  it("self-IPIs and EOIs in loops: one IRR bit, no allocation", () => {
    const { e, mach, apic, w, rdmsr, wrmsr, enable } = lapics(1);
    const a = apic(0);
    enable(0);
    const heap = e.heapCurrentUsed();
    for (let i = 0; i < 20_000; i++) w(0, ICR, (SH_SELF << 18) | 0x70);
    expect(e.lapicBusSent(mach)).toBe(20_000);
    expect(e.lapicHighestIrr(a)).toBe(0x70);
    expect(e.lapicHighestDeliverable(a)).toBe(0x70);
    for (let i = 0; i < 20_000; i++) e.lapicEoi(a);
    expect(e.lapicBusEois(mach)).toBe(0);
    wrmsr(0, APIC_BASE, BASE | EN | EXTD | BSP);
    for (let i = 0; i < 50_000; i++) wrmsr(0, 0x83f, 0x71 + (i & 7));
    expect(rdmsr(0, x2(IRR + 0x30))).toBe(0x1ffn << 16n);   // 70H (the ICR's) and 71H-78H
    for (let i = 0; i < 50_000; i++) { const v = e.lapicHighestDeliverable(a); if (v >= 0) e.lapicAccept(a, v); wrmsr(0, x2(EOI), 0); }
    expect(e.lapicHighestIrr(a)).toBe(-1);
    expect(e.lapicHighestIsr(a)).toBe(-1);
    expect(e.heapCurrentUsed()).toBe(heap);
  });

  it("a periodic timer at initial count 1 is served at most every 100 us and keeps its count", () => {
    const { e, apic, r, w, clock, fire, enable } = lapics(1);
    const a = apic(0);
    enable(0);
    w(0, TDCR, 0xb);
    w(0, LVTT, PERIODIC | 0x30);
    w(0, TMICT, 1);                       // a period of 1 TSC tick at 1 GHz
    const heap = e.heapCurrentUsed();
    let fires = 0, delivered = 0;
    const step = 10_000, steps = 10_000;  // 100 ms in 10 us steps
    for (let i = 1; i <= steps; i++) {
      clock(i * step);
      fires += fire();
      const v = e.lapicHighestDeliverable(a);
      // The guest services the first half, then leaves the interrupt pending.
      if (v === 0x30 && i <= steps / 2) { e.lapicAccept(a, v); e.lapicEoi(a); delivered++; }
    }
    const minTicks = Number(e.LAPIC_TIMER_MIN_PERIOD_US.value) * 1000;
    expect(fires).toBeLessThanOrEqual((steps * step) / minTicks + 1);
    expect(fires).toBeGreaterThanOrEqual((steps * step) / minTicks - 1);
    expect(delivered).toBeGreaterThan(400);
    const expiries = e.lapicTimerExpiries(a);
    const coalesced = e.lapicTimerCoalesced(a);
    expect(expiries).toBeGreaterThan(BigInt(steps * step - minTicks));
    expect(expiries).toBeLessThanOrEqual(BigInt(steps * step));
    expect(expiries - coalesced).toBe(BigInt(delivered + 1));   // every interrupt delivered, plus the one left pending
    expect(e.heapCurrentUsed()).toBe(heap);
    // The count stays in phase: a period of 3 reads 3, 2, 1.
    w(0, TMICT, 3);
    const t0 = steps * step;
    expect([0, 1, 2, 3, 4].map((d) => { clock(t0 + d); return r(0, TMCCT); })).toEqual([3, 2, 1, 3, 2]);
  });
});

describe("saved state", () => {
  it("saved, reset and restored: the same registers, events, and the timer armed again", () => {
    const { e, m, mach, apic, r, w, rdmsr, wrmsr, send, clock, fire, deadline, irr, enable } = lapics(2);
    const a = apic(1);
    enable(1);
    w(1, TDCR, 0xb); w(1, TPR, 0x20); w(1, LDR, 0x02000000); w(1, LVTERR, 0xee);
    clock(1000);
    w(1, LVTT, PERIODIC | 0x40); w(1, TMICT, 1_000_000);
    send(-1, { vector: 0x90, dest: 1, trigger: true });
    send(-1, { vector: 0xa0, dest: 1 });
    e.lapicAccept(a, 0xa0);
    send(0, { dm: DM_NMI, dest: 1 });
    send(0, { dm: DM_STARTUP, vector: 0x12, dest: 1 });
    clock(250_000);
    const regs = (): number[] => [ID, TPR, PPR, LDR, SVR, ISR + 0x50, TMR + 0x40, IRR + 0x40, LVTT, LVTERR, TMICT, TMCCT, TDCR]
      .map((off) => r(1, off));
    const before = regs();
    const len = e.devSaveSize(a);
    e.devSave(a, BUF);
    e.devReset(a);
    expect(regs()).not.toEqual(before);
    expect(deadline(1)).toBe(0n);
    expect(e.lapicPendingNmi(a)).toBe(0);
    expect(m.readString(e.devRestore(a, BUF, len) >>> 0)).toBe("");
    expect(regs()).toEqual(before);
    expect(deadline(1)).toBe(1_001_000n);
    expect(e.lapicPendingNmi(a)).toBe(1);
    expect(e.lapicTakeSipi(a)).toBe(0x12);
    clock(1_001_000); expect(fire()).toBe(1);
    expect(irr(1, 0x40)).toBe(true);
    w(1, EOI, 0);
    expect(e.lapicBusEois(mach)).toBe(0);            // 0xa0 was edge
    // x2APIC and a TSC deadline, through the same block.
    wrmsr(1, APIC_BASE, BASE | EN | EXTD);
    wrmsr(1, x2(LVTT), TSC_DEADLINE | 0x41);
    wrmsr(1, TSC_DEADLINE_MSR, 7_000_000);
    e.devSave(a, BUF);
    e.devReset(a);
    expect(rdmsr(1, x2(TPR))).toBeNull();
    expect(m.readString(e.devRestore(a, BUF, len) >>> 0)).toBe("");
    expect(rdmsr(1, TSC_DEADLINE_MSR)).toBe(7_000_000n);
    expect(deadline(1)).toBe(7_000_000n);
    expect(rdmsr(1, x2(ID))).toBe(1n);
  });

  it("refuses a block it cannot be in, and changes nothing", () => {
    const { e, m, apic, r, w, wrmsr, enable } = lapics(3);
    const a = apic(1);
    enable(1);
    w(1, TPR, 0x42);
    const len = e.devSaveSize(a);
    e.devSave(a, BUF);
    const HDR = 16, STATE = HDR + e.LAPIC_STATE.value;
    const v = m.view;
    const copy = m.bytes.slice(BUF, BUF + len);
    const tryWith = (edit: () => void): string => {
      m.bytes.set(copy, BUF);
      edit();
      return m.readString(e.devRestore(a, BUF, len) >>> 0)!;
    };
    w(1, TPR, 0x43);
    expect(tryWith(() => v.setUint32(BUF + HDR + 0x24, 1, true))).toBe("lapic state: register page: reserved bytes not 0");
    expect(tryWith(() => v.setUint32(BUF + HDR + 0x10, 1, true))).toBe("lapic state: register page: reserved bytes not 0");
    expect(tryWith(() => v.setBigUint64(BUF + STATE, 0xfee00800n | (1n << 9n), true))).toBe("lapic state: IA32_APIC_BASE has reserved bits set");
    expect(tryWith(() => v.setBigUint64(BUF + STATE, 0xfee00400n, true))).toBe("lapic state: IA32_APIC_BASE: EXTD without EN");
    expect(tryWith(() => v.setBigUint64(BUF + STATE, 0xfee00900n, true))).toBe("lapic state: IA32_APIC_BASE.BSP is not this vCPU's");
    expect(tryWith(() => v.setUint32(BUF + HDR + IRR, 1 << 7, true))).toBe("lapic state: vectors 0-15 in IRR, ISR, TMR or posted");
    expect(tryWith(() => v.setUint32(BUF + HDR + VER, 0x14, true))).toBe("lapic state: version register differs");
    expect(tryWith(() => v.setUint32(BUF + HDR + LVTT, 0x40, true))).toBe("lapic state: timer entry and its shadow differ");
    expect(tryWith(() => v.setUint32(BUF + HDR + TPR, 0x100, true))).toBe("lapic state: a register has bits set it cannot hold");
    expect(tryWith(() => v.setUint32(BUF + STATE + 48, 1, true))).toBe("lapic state: running timer inconsistent with its registers");
    expect(r(1, TPR)).toBe(0x43);
    // An x2APIC block belongs to its vCPU: vCPU 2's is refused by vCPU 1.
    wrmsr(2, APIC_BASE, BASE | EN | EXTD);
    e.devSave(apic(2), BUF);
    expect(m.readString(e.devRestore(a, BUF, len) >>> 0)).toBe("lapic state: x2APIC ID or LDR is not this vCPU's");
    expect(r(1, TPR)).toBe(0x43);
  });
});
