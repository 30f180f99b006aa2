// The ACPI PM registers of a domain (src/devices/acpi-pm.ts) on a clock set
// by hand: every register at every width, write-1-to-clear status, the
// sleep requests (S5 is a power-off), the SCI's level, PM_TMR's rate
// against the guest TSC (exact, in integers), TMR_STS and its timer, and
// the state saved, reset and restored.
import { describe, expect, it } from "vitest";
import { Machine } from "../sim/machine";

const HZ = 2_893_437_511n;     // an odd TSC rate: nothing divides evenly
const T0 = 987_654_321n;       // the guest TSC when the device is made
const PM_HZ = 3_579_545n;
const BUF = 0x30000;

const PM1_STS = 0, PM1_EN = 2, PM1_CNT = 4, GAP = 6, PM_TMR = 8;
const TMR_STS = 1 << 0, PWRBTN_STS = 1 << 8, WAK_STS = 1 << 15;
const TMR_EN = 1 << 0, GBL_EN = 1 << 5, PWRBTN_EN = 1 << 8;
const SCI_EN = 1 << 0, BM_RLD = 1 << 1, GBL_RLS = 1 << 2, SLP_EN = 1 << 13;
const slpTyp = (t: number) => t << 10;
const DEV_OK = 0, DEV_POWEROFF = 3;

// PM_TMR's count at guest TSC t (not wrapped), and the first TSC at which
// the count reaches n.
const ticks = (t: bigint): bigint => ((t - T0) * PM_HZ) / HZ;
const tscAt = (n: bigint): bigint => T0 + (n * HZ + PM_HZ - 1n) / PM_HZ;

function pm(hz = HZ, t0 = T0) {
  const m = new Machine();
  const e = m.exports;
  const d = e.acpiPmTestCreate(hz, t0) >>> 0;
  const rd = (off: number, w = 2): number => Number(BigInt.asUintN(64, e.devRead(d, off, w)));
  const wr = (off: number, v: number, w = 2): number => e.devWrite(d, off, w, BigInt(v));
  const at = (t: bigint): void => e.acpiPmTestSetTime(t);
  const sci = (): boolean => e.acpiPmTestSci() !== 0;
  const save = (): number => { e.devSave(d, BUF); return e.devSaveSize(d); };
  const restore = (len: number): string => m.readString(e.devRestore(d, BUF, len) >>> 0) ?? "";
  return { m, e, d, rd, wr, at, sci, save, restore };
}

describe("ACPI PM registers", () => {
  it("after creation: status and enable 0, SCI_EN set, PM_TMR at 0, the gap floating, the SCI low", () => {
    const { e, d, rd, sci } = pm();
    expect(Buffer.from(new Uint32Array([e.devKind(d) >>> 0]).buffer).toString("latin1")).toBe("ACPM");
    expect(rd(PM1_STS)).toBe(0);
    expect(rd(PM1_EN)).toBe(0);
    expect(rd(PM1_CNT)).toBe(SCI_EN);
    expect(rd(GAP)).toBe(0xffff);
    expect(rd(PM_TMR, 4)).toBe(0);
    expect(sci()).toBe(false);
    expect(e.acpiPmTestTimerDeadline()).toBe(0n);
  });

  it("decodes byte, word and dword accesses to each register and its halves", () => {
    const { rd, wr } = pm();
    expect(wr(PM1_EN, 0x4721)).toBe(DEV_OK);
    expect(wr(PM1_CNT, BM_RLD | slpTyp(3))).toBe(DEV_OK);
    const cnt = SCI_EN | BM_RLD | slpTyp(3);
    expect(rd(PM1_STS, 4)).toBe(0x4721 << 16 >>> 0);       // STS | EN << 16
    expect(rd(PM1_EN, 1)).toBe(0x21);
    expect(rd(PM1_EN + 1, 1)).toBe(0x47);
    expect(rd(PM1_CNT, 1)).toBe(cnt & 0xff);
    expect(rd(PM1_CNT + 1, 1)).toBe(cnt >> 8);
    expect(rd(PM1_CNT, 4)).toBe((0xffff0000 | cnt) >>> 0);  // the gap above CNT floats
    expect(rd(PM1_STS + 1, 2)).toBe(0x2100);                // straddling STS and EN
    // Byte writes reach one half only.
    expect(wr(PM1_EN + 1, 0x00, 1)).toBe(DEV_OK);
    expect(rd(PM1_EN)).toBe(0x0021);
    expect(wr(PM1_EN, 0x00, 1)).toBe(DEV_OK);
    expect(rd(PM1_EN)).toBe(0);
    // A dword write at 0x600 writes STS (clearing) and EN together.
    expect(wr(PM1_STS, (PWRBTN_EN << 16) | 0xffff, 4)).toBe(DEV_OK);
    expect(rd(PM1_EN)).toBe(PWRBTN_EN);
  });

  it("PM1_EN keeps the enable bits ACPI defines and no others", () => {
    const { rd, wr } = pm();
    wr(PM1_EN, 0xffff);
    expect(rd(PM1_EN)).toBe(0x4721);   // TMR, GBL, PWRBTN, SLPBTN, RTC, PCIEXP_WAKE_DIS
    wr(PM1_EN, GBL_EN);
    expect(rd(PM1_EN)).toBe(GBL_EN);   // Linux's global lock check: GBL_EN sticks
  });

  it("PM1_STS bits are set by their events and cleared by writing 1", () => {
    const { e, d, rd, wr, at } = pm();
    e.acpiPmPowerButton(d);
    expect(rd(PM1_STS)).toBe(PWRBTN_STS);
    wr(PM1_CNT, slpTyp(1) | SLP_EN);                 // a sleep that is not slept: WAK_STS
    at(tscAt(1n << 31n));                            // PM_TMR's bit 31 goes to 1: TMR_STS
    expect(rd(PM1_STS)).toBe(PWRBTN_STS | WAK_STS | TMR_STS);
    wr(PM1_STS, 0);                                  // 0s leave them
    wr(PM1_STS, 0xffff, 1);                          // a byte of 1s clears the low half only
    expect(rd(PM1_STS)).toBe(PWRBTN_STS | WAK_STS);
    wr(PM1_STS + 1, PWRBTN_STS >> 8, 1);
    expect(rd(PM1_STS)).toBe(WAK_STS);
    wr(PM1_STS, WAK_STS);
    expect(rd(PM1_STS)).toBe(0);
    wr(PM1_STS, 0xffff);                             // bits the model has not are not made
    expect(rd(PM1_STS)).toBe(0);
  });

  it("PM1_CNT: SCI_EN always reads 1, BM_RLD and SLP_TYP read back, SLP_EN and GBL_RLS read 0", () => {
    const { rd, wr } = pm();
    expect(wr(PM1_CNT, 0)).toBe(DEV_OK);
    expect(rd(PM1_CNT)).toBe(SCI_EN);
    expect(wr(PM1_CNT, 0xffff & ~SLP_EN)).toBe(DEV_OK);
    expect(rd(PM1_CNT)).toBe(SCI_EN | BM_RLD | slpTyp(7));
    expect(wr(PM1_CNT, GBL_RLS)).toBe(DEV_OK);
    expect(rd(PM1_CNT)).toBe(SCI_EN);
  });

  it("SLP_EN with the \\_S5 type powers off, at any width; other types end at once with WAK_STS", () => {
    const { rd, wr } = pm();
    expect(wr(PM1_CNT, slpTyp(5))).toBe(DEV_OK);                // the type alone does nothing
    expect(wr(PM1_CNT, slpTyp(5) | SLP_EN)).toBe(DEV_POWEROFF); // Linux's word write
    expect(rd(PM1_CNT)).toBe(SCI_EN | slpTyp(5));               // SLP_EN reads 0
    expect(wr(PM1_CNT + 1, (slpTyp(5) | SLP_EN) >> 8, 1)).toBe(DEV_POWEROFF);
    expect(wr(PM1_CNT, slpTyp(5) | SLP_EN | SCI_EN, 4)).toBe(DEV_POWEROFF);
    // The type already written, SLP_EN in a later byte write.
    wr(PM1_CNT, slpTyp(5));
    expect(wr(PM1_CNT + 1, SLP_EN >> 8 | slpTyp(5) >> 8, 1)).toBe(DEV_POWEROFF);
    expect(rd(PM1_STS)).toBe(0);
    for (const typ of [0, 1, 2, 3, 4, 6, 7]) {
      wr(PM1_STS, 0xffff);
      expect(wr(PM1_CNT, slpTyp(typ) | SLP_EN), `SLP_TYP ${typ}`).toBe(DEV_OK);
      expect(rd(PM1_STS), `SLP_TYP ${typ}`).toBe(WAK_STS);
    }
  });

  it("the SCI (IRQ 9) is asserted while an enabled status bit is set", () => {
    const { e, d, wr, sci } = pm();
    e.acpiPmPowerButton(d);
    expect(sci()).toBe(false);                 // PWRBTN_EN clear
    wr(PM1_EN, PWRBTN_EN);
    expect(sci()).toBe(true);
    expect(e.acpiPmTestSciInput()).toBe(9);
    wr(PM1_STS, PWRBTN_STS);
    expect(sci()).toBe(false);
    e.acpiPmPowerButton(d);
    expect(sci()).toBe(true);
    wr(PM1_EN, 0);
    expect(sci()).toBe(false);
    // WAK_STS has no enable: it never raises the SCI.
    wr(PM1_STS, 0xffff);
    wr(PM1_EN, 0x4721);
    wr(PM1_CNT, slpTyp(1) | SLP_EN);
    expect(sci()).toBe(false);
    expect(e.acpiPmTestSciChanges()).toBe(4);
  });
});

describe("PM_TMR", () => {
  it("counts 3.579545 MHz on the guest TSC exactly: floor((t - t0) x 3579545 / hz), 32 bits", () => {
    const { rd, at } = pm();
    // One second of guest time is exactly 3,579,545 ticks (within 0.1%, as
    // asked, and in fact to the tick).
    at(T0 + HZ);
    expect(rd(PM_TMR, 4)).toBe(3579545);
    const points = [1n, 808n, 809n, HZ / 3n, HZ - 1n, 7n * HZ + 12345n, 1000n * HZ, 1199n * HZ + HZ / 2n, 1200n * HZ, 86400n * HZ];
    for (const dt of points) {
      at(T0 + dt);
      const want = Number(ticks(T0 + dt) & 0xffffffffn);
      expect(rd(PM_TMR, 4), `${dt}`).toBe(want);
      expect(rd(PM_TMR, 2), `${dt}`).toBe(want & 0xffff);
      expect(rd(PM_TMR + 2, 2), `${dt}`).toBe(want >>> 16);
      expect([0, 1, 2, 3].map((i) => rd(PM_TMR + i, 1)), `${dt}`).toEqual([0, 8, 16, 24].map((s) => (want >>> s) & 0xff));
    }
    // No drift: a day in, it is still the exact figure (2^32 ticks wrap
    // after about 1200 s).
    at(T0 + 86400n * HZ);
    expect(rd(PM_TMR, 4)).toBe(Number((86400n * PM_HZ) & 0xffffffffn));
  });

  it("over any second its rate is 3579545 Hz within a tick, at several TSC rates", () => {
    for (const hz of [1_000_000_000n, 2_893_437_511n, 3_600_000_000n, 4_000_000n]) {
      const { rd, at } = pm(hz, 5n);
      for (const from of [0n, hz / 7n, 13n * hz + 1n]) {
        at(5n + from);
        const a = rd(PM_TMR, 4);
        at(5n + from + hz);
        const b = rd(PM_TMR, 4);
        const n = (b - a) >>> 0;
        expect(Math.abs(n - 3579545), `${hz} Hz from ${from}`).toBeLessThanOrEqual(1);
      }
    }
  });

  it("is read-only, reads as a dword straddling the gap, and ignores a clock behind its start", () => {
    const { rd, wr, at } = pm();
    at(T0 + HZ);
    expect(wr(PM_TMR, 0x12345678, 4)).toBe(DEV_OK);
    expect(wr(PM_TMR + 1, 0x12, 1)).toBe(DEV_OK);
    expect(rd(PM_TMR, 4)).toBe(3579545);
    expect(rd(GAP, 4)).toBe(((3579545 & 0xffff) * 0x10000 + 0xffff) >>> 0);
    expect(rd(12, 4)).toBe(0xffffffff);              // past the block
    at(T0 - 1000n);
    expect(rd(PM_TMR, 4)).toBe(0);
  });

  it("sets TMR_STS at every change of bit 31, found on a read even without TMR_EN", () => {
    const { e, rd, wr, at, sci } = pm();
    at(tscAt(1n << 31n) - 1n);
    expect(rd(PM1_STS)).toBe(0);
    at(tscAt(1n << 31n));
    expect(rd(PM_TMR, 4)).toBe(0x80000000);
    expect(rd(PM1_STS)).toBe(TMR_STS);
    expect(sci()).toBe(false);
    expect(e.acpiPmTestTimerDeadline()).toBe(0n);   // no timer without TMR_EN
    wr(PM1_STS, TMR_STS);
    at(tscAt(1n << 32n) - 1n);
    expect(rd(PM1_STS)).toBe(0);
    at(tscAt(1n << 32n));                           // bit 31 back to 0 (the wrap)
    expect(rd(PM1_STS)).toBe(TMR_STS);
    expect(rd(PM_TMR, 4)).toBe(0);
  });

  it("with TMR_EN a timer raises the SCI when bit 31 changes, and re-arms for the next change", () => {
    const { e, rd, wr, at, sci } = pm();
    at(T0 + 10n * HZ);
    wr(PM1_EN, TMR_EN);
    const first = tscAt(1n << 31n);
    expect(e.acpiPmTestTimerDeadline()).toBe(first);
    at(first - 1n);
    expect(e.acpiPmTestFire(false)).toBe(0);
    expect(sci()).toBe(false);
    at(first);
    expect(e.acpiPmTestFire(false)).toBe(1);
    expect(sci()).toBe(true);
    expect(rd(PM1_STS)).toBe(TMR_STS);
    expect(e.acpiPmTestTimerDeadline()).toBe(tscAt(1n << 32n));
    wr(PM1_STS, TMR_STS);
    expect(sci()).toBe(false);
    at(tscAt(1n << 32n));
    expect(e.acpiPmTestFire(false)).toBe(1);
    expect(sci()).toBe(true);
    expect(e.acpiPmTestTimerDeadline()).toBe(tscAt(3n << 31n));
    wr(PM1_EN, 0);
    expect(sci()).toBe(false);                      // TMR_STS stays, unenabled
    expect(rd(PM1_STS)).toBe(TMR_STS);
    expect(e.acpiPmTestTimerDeadline()).toBe(0n);
  });

  it("a timer that fires before the Clock reaches the change (vCPU 0's TSC ahead) counts it once", () => {
    const { e, rd, wr, at, sci } = pm();
    wr(PM1_EN, TMR_EN);
    at(tscAt(1n << 31n) - 100n);
    expect(e.acpiPmTestFire(true)).toBe(1);
    expect(sci()).toBe(true);
    wr(PM1_STS, TMR_STS);
    expect(e.acpiPmTestTimerDeadline()).toBe(tscAt(1n << 32n));
    at(tscAt(1n << 31n) + 100n);                    // the Clock passes the change: not again
    expect(rd(PM1_STS)).toBe(0);
    expect(e.acpiPmTestFire(false)).toBe(0);
  });

  it("a guest TSC set back far behind the count (WRMSR IA32_TSC) starts the count again: the timer is armed a change from now, not for the old time", () => {
    const { e, rd, wr, at, sci } = pm();
    at(tscAt(5n << 31n) + 7n);
    wr(PM1_EN, TMR_EN);
    wr(PM1_STS, TMR_STS);
    const back = T0 + HZ;
    at(back);
    expect(rd(PM_TMR, 4)).toBe(0);
    // A deadline 2^63 or more ahead reads as passed: the timer fires once,
    // and is then armed one change of bit 31 from the clock.
    expect(e.acpiPmTestFire(true)).toBe(1);
    expect(sci()).toBe(false);
    expect(e.acpiPmTestTimerDeadline()).toBe(back + ((1n << 31n) * HZ + PM_HZ - 1n) / PM_HZ);
    expect(e.acpiPmTestFire(false)).toBe(0);
  });
});

describe("ACPI PM state", () => {
  it("saved, reset and restored: the same registers, the timer counting on from the same start, the SCI and timer back", () => {
    const { e, d, rd, wr, at, sci, save, restore } = pm();
    at(T0 + 3n * HZ);
    wr(PM1_EN, PWRBTN_EN | TMR_EN | GBL_EN);
    wr(PM1_CNT, BM_RLD | slpTyp(2));
    e.acpiPmPowerButton(d);
    expect(sci()).toBe(true);
    const len = save();
    expect(len).toBe(16 + e.ACPI_PM_BLOCK_SIZE.value);
    expect(e.acpiPmLayoutCheck()).toBe(0);
    const regs = (): number[] => [rd(PM1_STS), rd(PM1_EN), rd(PM1_CNT), rd(PM_TMR, 4)];
    const before = regs();
    const deadline = e.acpiPmTestTimerDeadline();
    expect(deadline).toBe(tscAt(1n << 31n));
    e.devReset(d);
    expect(regs()).toEqual([0, 0, SCI_EN, 0]);      // PM_TMR starts again at reset
    expect(sci()).toBe(false);
    expect(e.acpiPmTestTimerDeadline()).toBe(0n);
    at(T0 + 5n * HZ);
    expect(restore(len)).toBe("");
    expect(sci()).toBe(true);
    expect(e.acpiPmTestTimerDeadline()).toBe(deadline);
    expect(rd(PM_TMR, 4)).toBe(Number(ticks(T0 + 5n * HZ)));
    at(T0 + 3n * HZ);
    expect(regs()).toEqual(before);
  });

  it("refuses a block with bits the model cannot hold, and changes nothing", () => {
    const { m, rd, wr, save, restore } = pm();
    const view = new DataView(m.memory.buffer);
    const bad: Array<[number, number, string]> = [
      [0, 0x0002, "acpi-pm state: PM1 status bits this model does not have"],
      [2, 0x0002, "acpi-pm state: PM1 enable bits this model does not have"],
      [4, SLP_EN, "acpi-pm state: PM1 control bits that are not stored"],
      [4, SCI_EN, "acpi-pm state: PM1 control bits that are not stored"],
      [6, 1, "acpi-pm state: reserved field not 0"],
    ];
    for (const [off, v, why] of bad) {
      wr(PM1_EN, 0);
      const len = save();
      view.setUint16(BUF + 16 + off, v, true);
      wr(PM1_EN, PWRBTN_EN);
      expect(restore(len)).toBe(why);
      expect(rd(PM1_EN)).toBe(PWRBTN_EN);
    }
  });

  it("allocates nothing after creation: accesses, the power button, timer firings", () => {
    const { e, d, rd, wr, at } = pm();
    wr(PM1_EN, TMR_EN | PWRBTN_EN);
    rd(PM1_STS);
    const used = e.heapCurrentUsed();
    for (let i = 0; i < 2000; i++) {
      at(T0 + BigInt(i) * (HZ / 3n));
      rd(PM_TMR, 4); rd(PM1_STS, 1); rd(PM1_CNT, 4);
      wr(PM1_STS, 0xffff); wr(PM1_EN, TMR_EN | PWRBTN_EN, 4); wr(PM1_CNT, slpTyp(1) | SLP_EN);
      e.acpiPmPowerButton(d);
      e.acpiPmTestFire(false);
    }
    expect(e.heapCurrentUsed()).toBe(used);
  });

  it("sits on a domain's port bus at 0x600-0x60B and answers there at every width", () => {
    const { e, d, at } = pm();
    const b = e.portBusCreate() >>> 0;
    expect(e.portBusRegister(b, 0x600, 12, 0, d)).toBe(0);
    at(T0 + HZ);
    expect(e.portRead(b, 0x608, 4) >>> 0).toBe(3579545);
    expect(e.portRead(b, 0x604, 2)).toBe(SCI_EN);
    expect(e.portRead(b, 0x60c, 1)).toBe(0xff);     // past the block: nothing decodes it
    expect(e.portWrite(b, 0x603, 1, PWRBTN_EN >> 8)).toBe(DEV_OK);
    expect(e.portRead(b, 0x600, 4) >>> 0).toBe(PWRBTN_EN << 16);
    expect(e.portWrite(b, 0x604, 2, slpTyp(5) | SLP_EN)).toBe(DEV_POWEROFF);
  });
});
