// The per-domain 8254 PIT (src/devices/pit.ts): register by register and
// mode by mode as the Intel 8254 data sheet (231164) gives them, IRQ0 on
// its timer, and what Linux does with it (drivers/clocksource/i8253.c's
// clockevent and clocksource, arch/x86/kernel/tsc.c's PIT calibrations).
// The rig (src/test-pit.ts) puts the device on a port bus at 0x40-0x43 and
// 0x61, on a guest clock the test sets, with IRQ0 wired to an edge counter.
import { describe, expect, it } from "vitest";
import { Machine } from "../sim/machine";

const PIT_HZ = 1193182n;
const EXACT = PIT_HZ * 3n;   // 3 TSC ticks per input clock: clock k of a count written at TSC 0 is at 3k
const CH0 = 0x40, CH1 = 0x41, CH2 = 0x42, CMD = 0x43, PORT_B = 0x61;
const OUT = 0x80, NULL = 0x40;
const BUF = 0x30000, BUF2 = 0x38000;

function pit(hz: bigint = EXACT, wired = true, machine?: Machine, bounded = false) {
  const m = machine ?? new Machine();
  const e = m.exports;
  const r = (bounded ? e.pitRigBounded(hz) : e.pitRigCreate(hz, wired ? 1 : 0)) >>> 0;
  const dev = e.pitRigDevice(r) >>> 0;
  const at = (tsc: bigint): void => { e.pitRigSetTime(r, tsc); };
  const now = (): bigint => BigInt.asUintN(64, BigInt(e.pitRigTime(r)));
  const clk = (k: number): void => at(BigInt(k) * 3n);
  const outb = (port: number, v: number): number => e.pitOut(r, port, 1, v & 0xff);
  const inb = (port: number): number => e.pitIn(r, port, 1);
  const fire = (): number => e.pitRigFire(r);
  const deadline = (): bigint => BigInt.asUintN(64, BigInt(e.pitRigDeadline(r)));
  const rises = (): number => e.pitRigRises(r);
  const falls = (): number => e.pitRigFalls(r);
  const level = (): boolean => e.pitRigLevel(r) !== 0;
  const coalesced = (): bigint => BigInt(e.pitRigCoalesced(r));
  // A control word, then the count in the format it sets (LSB, MSB or both).
  const program = (ch: number, ctrl: number, count?: number): void => {
    outb(CMD, (ch << 6) | (ctrl & 0x3f));
    if (count === undefined) return;
    const rw = (ctrl >> 4) & 3;
    if (rw === 1 || rw === 3) outb(CH0 + ch, count & 0xff);
    if (rw === 2 || rw === 3) outb(CH0 + ch, (count >> 8) & 0xff);
  };
  // A count read in the format `rw` (two reads for LSB then MSB).
  const readCount = (ch: number, rw: number): number => {
    if (rw === 1) return inb(CH0 + ch);
    if (rw === 2) return inb(CH0 + ch) << 8;
    const lo = inb(CH0 + ch);
    return lo | (inb(CH0 + ch) << 8);
  };
  // Read-back of a counter's status and count: what the chip shows now.
  const sample = (ch: number): { status: number; count: number; out: number; nul: number } => {
    outb(CMD, 0xc0 | (2 << ch));
    const status = inb(CH0 + ch);
    const count = readCount(ch, (status >> 4) & 3);
    return { status, count, out: (status >> 7) & 1, nul: (status >> 6) & 1 };
  };
  // OUT and the count of counter `ch` at clocks `from`..`to` after TSC 0.
  const trace = (ch: number, from: number, to: number): { out: string; counts: number[] } => {
    let out = "";
    const counts: number[] = [];
    for (let k = from; k <= to; k++) {
      clk(k);
      const s = sample(ch);
      out += s.out ? "1" : "0";
      counts.push(s.count);
    }
    return { out, counts };
  };
  const save = (at = BUF): number => { e.devSave(dev, at); return e.devSaveSize(dev); };
  const restore = (from: number, len: number): string => m.readString(e.devRestore(dev, from, len) >>> 0) ?? "";
  return {
    m, e, r, dev, at, now, clk, outb, inb, fire, deadline, rises, falls, level, coalesced,
    program, readCount, sample, trace, save, restore,
  };
}

// TSC ticks at `hz` for `ticks` input clocks, rounded up (what the timer arms for).
const tscFor = (ticks: bigint, hz: bigint): bigint => (ticks * hz + PIT_HZ - 1n) / PIT_HZ;

describe("8254 PIT: registers", () => {
  it("comes out of reset stopped: mode 0 without a count, OUT low, no timer, GATE2 low", () => {
    const p = pit();
    p.outb(CMD, 0xee);   // read-back: status of counters 0, 1, 2
    for (const ch of [0, 1, 2]) expect(p.inb(CH0 + ch)).toBe(NULL | 0x30);
    expect(p.deadline()).toBe(0n);
    expect(p.level()).toBe(false);
    expect(p.inb(PORT_B)).toBe(0);
    p.clk(1_000_000);
    expect(p.fire()).toBe(0);
    expect(p.rises()).toBe(0);
    expect(p.sample(0).status).toBe(NULL | 0x30);
  });

  it("takes counts in the format of the control word: LSB only, MSB only, LSB then MSB", () => {
    const p = pit();
    p.program(1, 0x10, 0x34);          // LSB only, mode 0
    p.clk(1);
    expect(p.sample(1)).toMatchObject({ status: 0x10, count: 0x34 });
    expect(p.inb(CH1)).toBe(0x34);     // a plain read: one byte, the LSB
    expect(p.inb(CH1)).toBe(0x34);
    p.at(0n);
    p.program(1, 0x20, 0x1200);        // MSB only: the LSB is 0
    p.clk(1);
    expect(p.sample(1)).toMatchObject({ status: 0x20, count: 0x1200 });
    expect(p.inb(CH1)).toBe(0x12);
    p.at(0n);
    p.program(1, 0x30, 0xabcd);        // LSB then MSB
    p.clk(1);
    expect(p.sample(1)).toMatchObject({ status: 0x30, count: 0xabcd });
    expect(p.inb(CH1)).toBe(0xcd);     // the read flip-flop alternates
    expect(p.inb(CH1)).toBe(0xab);
    expect(p.inb(CH1)).toBe(0xcd);
  });

  it("keeps separate read and write flip-flops (the data sheet's interleaved sequence)", () => {
    const p = pit();
    p.program(1, 0x34, 0x1234);        // mode 2
    p.clk(1);
    const lsb = p.inb(CH1);            // read LSB
    p.outb(CH1, 0x78);                 // write new LSB
    const msb = p.inb(CH1);            // read MSB
    p.outb(CH1, 0x56);                 // write new MSB
    expect(lsb | (msb << 8)).toBe(0x1234);
    // Mode 2: the new count waits for the end of the period (null count until then).
    expect(p.sample(1).nul).toBe(1);
    p.clk(0x1234 + 1);
    expect(p.sample(1)).toMatchObject({ count: 0x5678, nul: 0 });
  });

  it("latches a count until it is read; a second latch before that is ignored", () => {
    const p = pit();
    p.program(1, 0x30, 1000);          // mode 0
    p.clk(11);
    p.outb(CMD, 0x40);                 // counter latch command, counter 1: 1000 - 10
    p.clk(21);
    p.outb(CMD, 0x40);                 // ignored: the first is unread
    p.clk(500);
    expect(p.inb(CH1)).toBe(990 & 0xff);
    p.clk(600);
    expect(p.inb(CH1)).toBe(990 >> 8);
    expect(p.readCount(1, 3)).toBe(1000 - 599);   // free running again
    p.outb(CMD, 0x40);
    p.clk(700);
    expect(p.readCount(1, 3)).toBe(1000 - 599);
    // In a one-byte format one read releases the latch.
    p.at(0n);
    p.program(1, 0x10, 200);
    p.clk(11);
    p.outb(CMD, 0x40);
    p.clk(51);
    expect(p.inb(CH1)).toBe(190);
    expect(p.inb(CH1)).toBe(150);
  });

  it("drops a latched count and status with a new control word for the counter", () => {
    const p = pit();
    p.program(1, 0x30, 1000);
    p.clk(11);
    p.outb(CMD, 0xc4);                 // read-back: count and status of counter 1
    p.outb(CMD, 0x70);                 // reprogrammed: mode 0, no count
    p.program(1, 0x30, 300);
    p.clk(12);
    expect(p.readCount(1, 3)).toBe(300);   // not the latched 990, nor a status
  });

  it("reads back status and count of several counters; repeats before a read are ignored", () => {
    const p = pit();
    p.program(0, 0x34, 5000);          // counter 0, mode 2
    p.program(1, 0x7c & 0x3f, 4000);   // counter 1, mode 6 (= 2), as written
    p.outb(PORT_B, 1);
    p.program(2, 0x31, 0x3000);        // counter 2, mode 0, BCD
    p.clk(101);
    p.outb(CMD, 0xce);                 // count and status of all three
    p.clk(200);
    p.outb(CMD, 0xe4);                 // status of counter 1 again: ignored
    p.outb(CMD, 0xd2);                 // count of counter 0 again: ignored
    // Status first, then the count, whichever was latched first.
    expect(p.inb(CH0)).toBe(OUT | 0x34);
    expect(p.readCount(0, 3)).toBe(5000 - 100);
    expect(p.inb(CH1)).toBe(OUT | 0x3c);    // mode bits as written: M2 set
    expect(p.readCount(1, 3)).toBe(4000 - 100);
    expect(p.inb(CH2)).toBe(0x31);          // OUT low (mode 0 before the terminal count), BCD
    expect(p.readCount(2, 3)).toBe(0x2900); // 3000 - 100 in BCD
    // Status only, then count only.
    p.outb(CMD, 0xe8);
    p.clk(300);
    p.outb(CMD, 0xd8);
    expect(p.inb(CH2)).toBe(0x31);
    expect(p.readCount(2, 3)).toBe(0x2701);
    // Read-back of no counter, and the reserved bit 0, do nothing.
    p.outb(CMD, 0xc1);
    expect(p.readCount(2, 3)).toBe(0x2701);
  });

  it("shows null count from the control word and the count until the count is loaded", () => {
    const p = pit();
    p.outb(CMD, 0x74);                       // counter 1, mode 2
    expect(p.sample(1).nul).toBe(1);
    p.outb(CH1, 10);
    expect(p.sample(1).nul).toBe(1);         // LSB written: still waiting for the MSB
    p.outb(CH1, 0);
    expect(p.sample(1).nul).toBe(1);         // loaded on the next clock
    p.clk(1);
    expect(p.sample(1)).toMatchObject({ nul: 0, count: 10 });
    p.clk(4);
    p.outb(CH1, 6);
    p.outb(CH1, 0);                          // a new count mid-period
    expect(p.sample(1)).toMatchObject({ nul: 1, count: 7 });
    p.clk(10);
    expect(p.sample(1)).toMatchObject({ nul: 1, count: 1 });
    p.clk(11);
    expect(p.sample(1)).toMatchObject({ nul: 0, count: 6 });
  });

  it("floats reads of the control word register", () => {
    const p = pit();
    expect(p.inb(CMD)).toBe(0xff);
  });

  it("passes wider accesses to each port as byte cycles (the ISA bus)", () => {
    const p = pit();
    p.program(2, 0x30, 0x1234);
    p.outb(PORT_B, 0);
    p.clk(5);
    expect(p.e.pitIn(p.r, CH2, 2)).toBe(0xff34);   // 0x42 (the LSB) then 0x43 (floats)
    expect(p.inb(CH2)).toBe(0x12);                 // the read flip-flop moved on to the MSB
    p.e.pitOut(p.r, CH1, 2, 0x7030);               // 0x41 <- 0x30, 0x42 <- 0x70
    // Counter 2 took 0x70 as the first byte of a new count: held there, in mode 0 OUT low.
    expect(p.sample(2)).toMatchObject({ count: 0x1234, out: 0 });
    p.outb(CH2, 0x00);
    p.clk(6);
    expect(p.sample(2).count).toBe(0x0070);
  });
});

describe("8254 PIT: modes", () => {
  it("mode 0: OUT low until N + 1 clocks after the count, then high; the count runs on past 0", () => {
    const p = pit();
    p.program(1, 0x30, 4);
    const t = p.trace(1, 0, 7);
    expect(t.out).toBe("00000111");
    expect(t.counts).toEqual([4, 4, 3, 2, 1, 0, 0xffff, 0xfffe]);
  });

  it("mode 0: the first byte of a new count stops counting and sets OUT low; the second restarts it", () => {
    const p = pit();
    p.program(1, 0x30, 100);
    p.clk(101);
    expect(p.sample(1)).toMatchObject({ out: 1, count: 0 });
    p.outb(CH1, 50);                      // first byte
    expect(p.sample(1).out).toBe(0);
    p.clk(120);
    expect(p.sample(1)).toMatchObject({ out: 0, count: 0 });   // not counting
    p.outb(CH1, 0);                       // second: 50 loaded on the next clock
    p.clk(121);
    expect(p.sample(1)).toMatchObject({ out: 0, count: 50 });
    p.clk(170);
    expect(p.sample(1).out).toBe(0);
    p.clk(171);
    expect(p.sample(1).out).toBe(1);
  });

  it("mode 1 (counter 2): a GATE rising edge starts an N-clock low pulse; it retriggers", () => {
    const p = pit();
    p.program(2, 0x32, 5);
    p.clk(10);
    expect(p.sample(2)).toMatchObject({ out: 1, nul: 1 });   // waiting for a trigger
    p.outb(PORT_B, 1);                   // trigger at clock 10
    expect(p.trace(2, 10, 17).out).toBe("10000011");
    p.outb(PORT_B, 0);
    p.clk(20);
    p.outb(PORT_B, 1);                   // retrigger at 20
    p.clk(23);
    p.outb(PORT_B, 0);
    p.outb(PORT_B, 1);                   // and again at 23: the pulse restarts
    expect(p.trace(2, 23, 29).out).toBe("1000001");
    // A new count does not affect the pulse under way; the next trigger takes it.
    p.outb(CH2, 2);
    p.outb(CH2, 0);
    p.clk(40);
    p.outb(PORT_B, 0);
    p.outb(PORT_B, 1);
    expect(p.trace(2, 40, 43).out).toBe("1001");
  });

  it("modes 1 and 5 never trigger on counters 0 and 1 (their GATE is tied high)", () => {
    const p = pit();
    p.program(0, 0x32, 5);
    p.program(1, 0x3a, 5);
    expect(p.rises()).toBe(1);           // the control word took OUT0 from mode 0's low to high
    p.clk(100);
    expect(p.sample(0)).toMatchObject({ out: 1, nul: 1 });
    expect(p.sample(1)).toMatchObject({ out: 1, nul: 1 });
    expect(p.fire()).toBe(0);
    expect(p.deadline()).toBe(0n);
    expect(p.rises()).toBe(1);
  });

  it("mode 2: divide by N, OUT low for the one clock the count is 1", () => {
    const p = pit();
    p.program(1, 0x34, 4);
    const t = p.trace(1, 0, 12);
    expect(t.out).toBe("1111011101110");
    expect(t.counts).toEqual([4, 4, 3, 2, 1, 4, 3, 2, 1, 4, 3, 2, 1]);
    // Mode 6 is mode 2.
    p.at(0n);
    p.program(1, 0x3c, 4);
    expect(p.trace(1, 0, 12).out).toBe("1111011101110");
  });

  it("mode 2: a new count takes effect at the end of the current period", () => {
    const p = pit();
    p.program(1, 0x34, 10);
    p.clk(15);
    p.outb(CH1, 4);
    p.outb(CH1, 0);
    const t = p.trace(1, 18, 29);
    expect(t.counts).toEqual([3, 2, 1, 4, 3, 2, 1, 4, 3, 2, 1, 4]);
    expect(t.out).toBe("110111011101");
  });

  it("mode 3: a square wave, even counts high and low N/2 clocks, decrementing by two", () => {
    const p = pit();
    p.program(1, 0x36, 6);
    const t = p.trace(1, 0, 13);
    expect(t.out).toBe("11110001110001");
    expect(t.counts).toEqual([6, 6, 4, 2, 6, 4, 2, 6, 4, 2, 6, 4, 2, 6]);
    // Mode 7 is mode 3.
    p.at(0n);
    p.program(1, 0x3e, 6);
    expect(p.trace(1, 0, 13).out).toBe("11110001110001");
  });

  it("mode 3: odd counts are high (N + 1)/2 clocks and low (N - 1)/2", () => {
    const p = pit();
    p.program(1, 0x36, 5);
    const t = p.trace(1, 0, 11);
    expect(t.out).toBe("111100111001");
    expect(t.counts).toEqual([5, 4, 2, 0, 4, 2, 4, 2, 0, 4, 2, 4]);
  });

  it("mode 3: a new count is loaded at the end of the current half-cycle", () => {
    const p = pit();
    p.program(1, 0x36, 10);
    p.clk(3);
    p.outb(CH1, 4);
    p.outb(CH1, 0);
    // The high half of 10 ends at clock 5; the low half from 6 is the new count's (2 clocks).
    expect(p.trace(1, 3, 13).out).toBe("11100110011");
  });

  it("mode 4: OUT strobes low for one clock N + 1 clocks after the count; a new count restarts it", () => {
    const p = pit();
    p.program(1, 0x38, 3);
    const t = p.trace(1, 0, 6);
    expect(t.out).toBe("1111011");
    expect(t.counts).toEqual([3, 3, 2, 1, 0, 0xffff, 0xfffe]);
    p.at(0n);
    p.program(1, 0x38, 10);
    p.clk(5);
    p.outb(CH1, 3);
    p.outb(CH1, 0);
    expect(p.trace(1, 5, 11).out).toBe("1111011");
  });

  it("mode 5 (counter 2): the strobe comes N + 1 clocks after a trigger", () => {
    const p = pit();
    p.program(2, 0x3a, 3);
    p.clk(10);
    expect(p.sample(2).out).toBe(1);
    p.outb(PORT_B, 1);
    expect(p.trace(2, 10, 16).out).toBe("1111011");
  });

  it("counts in BCD: four decades, 0 is 10000, digits above 9 count their value", () => {
    const p = pit();
    p.program(1, 0x31, 0x1000);
    p.clk(1);
    expect(p.sample(1)).toMatchObject({ count: 0x1000, status: 0x31 });
    p.clk(2);
    expect(p.sample(1).count).toBe(0x0999);
    p.clk(1000);
    expect(p.sample(1)).toMatchObject({ count: 0x0001, out: 0 });
    p.clk(1001);
    expect(p.sample(1)).toMatchObject({ count: 0x0000, out: 1 });
    p.clk(1002);
    expect(p.sample(1).count).toBe(0x9999);
    p.at(0n);
    p.program(1, 0x31, 0);
    p.clk(2);
    expect(p.sample(1).count).toBe(0x9999);
    p.clk(10000);
    expect(p.sample(1).out).toBe(0);
    p.clk(10001);
    expect(p.sample(1).out).toBe(1);
    p.at(0n);
    p.program(1, 0x31, 0x00a0);          // 100 clocks, shown as proper BCD
    p.clk(1);
    expect(p.sample(1).count).toBe(0x0100);
    p.clk(101);
    expect(p.sample(1).out).toBe(1);
    // Mode 3 in BCD: 0x10 is ten clocks, counting 10, 8, .. in BCD.
    p.at(0n);
    p.program(1, 0x37, 0x10);
    expect(p.trace(1, 1, 11).counts).toEqual([0x10, 0x08, 0x06, 0x04, 0x02, 0x10, 0x08, 0x06, 0x04, 0x02, 0x10]);
  });

  it("takes binary 0 as 65536", () => {
    const p = pit();
    p.program(1, 0x30, 0);
    p.clk(1);
    expect(p.sample(1).count).toBe(0);
    p.clk(2);
    expect(p.sample(1).count).toBe(0xffff);
    p.clk(65536);
    expect(p.sample(1).out).toBe(0);
    p.clk(65537);
    expect(p.sample(1).out).toBe(1);
  });
});

describe("8254 PIT: gates and port 0x61", () => {
  it("mode 0 on counter 2 counts only while GATE2 is high; a count written with it low is loaded", () => {
    const p = pit();
    p.program(2, 0x30, 10);              // GATE2 low
    p.clk(5);
    expect(p.sample(2)).toMatchObject({ count: 10, out: 0, nul: 0 });
    p.outb(PORT_B, 1);                   // gate high at 5
    p.clk(9);
    expect(p.sample(2).count).toBe(6);
    p.outb(PORT_B, 0);                   // low at 9: holds
    p.clk(50);
    expect(p.sample(2).count).toBe(6);
    p.outb(PORT_B, 1);                   // high again at 50
    p.clk(55);
    expect(p.sample(2)).toMatchObject({ count: 1, out: 0 });
    p.clk(56);
    expect(p.sample(2)).toMatchObject({ count: 0, out: 1 });
  });

  it("mode 2 on counter 2: GATE low sets OUT high at once; GATE high restarts the period", () => {
    const p = pit();
    p.outb(PORT_B, 1);
    p.program(2, 0x34, 4);
    p.clk(4);
    expect(p.sample(2).out).toBe(0);     // the one low clock
    p.outb(PORT_B, 0);
    expect(p.sample(2).out).toBe(1);
    p.clk(30);
    expect(p.sample(2)).toMatchObject({ out: 1, count: 1 });
    p.outb(PORT_B, 1);                   // trigger at 30: reloaded on the next clock
    expect(p.trace(2, 31, 38).counts).toEqual([4, 3, 2, 1, 4, 3, 2, 1]);
  });

  it("mode 3 on counter 2 with GATE2: the speaker square wave and OUT2 in port 0x61", () => {
    const p = pit();
    p.program(2, 0x36, 4);
    p.outb(PORT_B, 3);                   // GATE2 and speaker data at clock 0
    let seen = "";
    for (let k = 1; k <= 8; k++) {
      p.clk(k);
      seen += (p.inb(PORT_B) & 0x20) ? "1" : "0";
    }
    expect(seen).toBe("11001100");
  });

  it("port 0x61: bits 3:0 read back, bits 7:4 are read only; bit 4 toggles every 18 clocks", () => {
    const p = pit();
    p.outb(PORT_B, 0xfe);
    expect(p.inb(PORT_B) & 0xcf).toBe(0x0e);
    p.outb(PORT_B, 0x00);
    const bits: number[] = [];
    for (const k of [0, 17, 18, 35, 36, 54, 71, 72]) {
      p.clk(k);
      bits.push((p.inb(PORT_B) >> 4) & 1);
    }
    expect(bits).toEqual([0, 0, 1, 1, 0, 1, 1, 0]);
  });
});

describe("8254 PIT: IRQ0", () => {
  it("mode 2 (Linux's periodic tick, HZ=1000): one rising edge per period, each deadline exact, no drift", () => {
    const hz = 2_400_000_000n;
    const p = pit(hz);
    const t0 = 1_000_000n;
    p.at(t0);
    p.program(0, 0x34, 1193);            // pit_set_periodic: binary, mode 2, LSB/MSB, PIT_LATCH
    expect(p.rises()).toBe(1);           // OUT0 was low (mode 0 after reset): the control word raised it
    expect(p.level()).toBe(true);
    const edges0 = p.e.pitRigEdges(p.r);
    for (let k = 1n; k <= 2000n; k++) {
      const due = t0 + tscFor(1193n * k + 1n, hz);
      expect(p.deadline()).toBe(due);
      p.at(due - 1n);
      expect(p.fire()).toBe(0);
      p.at(due);
      expect(p.fire()).toBe(1);
    }
    expect(BigInt(p.e.pitRigEdges(p.r)) - BigInt(edges0)).toBe(2000n);
    expect(p.coalesced()).toBe(0n);
    expect(p.level()).toBe(true);
  });

  it("counts edges as rises of the line: the first control word's, then one per period", () => {
    const p = pit();
    p.program(0, 0x34, 100);
    expect(p.rises()).toBe(1);           // mode 0 (low) to mode 2 (high): a rising edge, as on the chip
    p.clk(101);
    expect(p.fire()).toBe(1);
    expect(p.rises()).toBe(2);
    p.clk(201);
    p.fire();
    expect(p.rises()).toBe(3);
    expect(p.falls()).toBe(2);
  });

  it("coalesces the edges a late guest missed into one, re-arms for the next, keeps the count exact", () => {
    const p = pit();
    p.program(0, 0x34, 1000);
    const rises = p.rises();
    p.clk(100 * 1000 + 1 + 500);         // 100 periods late
    expect(p.fire()).toBe(1);
    expect(p.rises()).toBe(rises + 1);
    expect(p.coalesced()).toBe(99n);
    expect(p.deadline()).toBe(3n * (101n * 1000n + 1n));
    expect(p.fire()).toBe(0);            // no storm
    expect(p.sample(0).count).toBe(1000 - 500);
    p.clk(101 * 1000 + 1);
    expect(p.fire()).toBe(1);
    expect(p.rises()).toBe(rises + 2);
    expect(p.coalesced()).toBe(99n);
  });

  it("a domain's PIT expires at most every 100 us: a count of 2 cannot make a timer storm", () => {
    const hz = 2_400_000_000n;
    const p = pit(hz, true, undefined, true);
    p.program(0, 0x34, 2);               // mode 2, a period of 2 clocks (1.7 us)
    const edges0 = BigInt(p.e.pitRigEdges(p.r));
    let fired = 0;
    let last = 0n;
    const end = hz / 100n;               // 10 ms
    while (p.deadline() !== 0n && p.deadline() <= end) {
      const d = p.deadline();
      if (fired > 0) expect(d - last).toBeGreaterThanOrEqual(hz / 10_000n);
      p.at(d);
      fired += p.fire();
      last = d;
    }
    expect(fired).toBeGreaterThanOrEqual(99);
    expect(fired).toBeLessThanOrEqual(101);
    const periods = (BigInt(p.e.pitRigEdges(p.r)) - edges0) + p.coalesced();
    expect(periods).toBe((PIT_HZ * last / hz - 1n) / 2n);   // every period counted, none lost
  });

  it("a late expiry does not shift the next deadline", () => {
    const p = pit();
    p.program(0, 0x34, 1000);
    p.clk(1001 + 700);
    expect(p.fire()).toBe(1);
    expect(p.deadline()).toBe(3n * 2001n);
    expect(p.coalesced()).toBe(0n);
  });

  it("an access to counter 0 after a due edge delivers it; the timer then has nothing left", () => {
    const p = pit();
    p.program(0, 0x34, 1000);
    const rises = p.rises();
    p.clk(1005);
    p.outb(CMD, 0x00);                   // Linux's i8253 clocksource: latch, read
    expect(p.readCount(0, 3)).toBe(1000 - 1004 % 1000);
    expect(p.rises()).toBe(rises + 1);
    expect(p.fire()).toBe(0);
    expect(p.deadline()).toBe(3n * 2001n);
  });

  it("mode 4 (Linux's oneshot): one edge at the end of the strobe per count written", () => {
    const p = pit();
    p.program(0, 0x30);                  // pit_shutdown
    p.program(0, 0x38);                  // pit_set_oneshot: OUT0 goes high
    const rises = p.rises();
    p.clk(10);
    p.outb(CH0, 100);                    // pit_next_event(100)
    p.outb(CH0, 0);
    expect(p.deadline()).toBe(3n * (10n + 102n));
    p.clk(10 + 102);
    expect(p.fire()).toBe(1);
    expect(p.rises()).toBe(rises + 1);
    expect(p.deadline()).toBe(0n);
    p.clk(100_000);
    expect(p.fire()).toBe(0);
    p.outb(CH0, 0x10);
    p.outb(CH0, 0x27);                   // 10000
    p.clk(100_000 + 10001);
    expect(p.fire()).toBe(0);
    p.clk(100_000 + 10002);
    expect(p.fire()).toBe(1);
    expect(p.rises()).toBe(rises + 2);
  });

  it("mode 0 one-shot: OUT0 low, one edge N + 1 clocks on, then high and quiet", () => {
    const p = pit();
    p.program(0, 0x34, 500);             // periodic first: OUT0 high
    p.clk(100);
    p.program(0, 0x30, 2000);            // mode 0: OUT0 (and IRQ0) low at once
    expect(p.level()).toBe(false);
    const rises = p.rises();
    p.clk(100 + 2001);
    expect(p.fire()).toBe(1);
    expect(p.rises()).toBe(rises + 1);
    expect(p.level()).toBe(true);
    expect(p.deadline()).toBe(0n);
  });

  it("Linux's clockevent_i8253_disable leaves no timer and no edge", () => {
    const p = pit();
    p.program(0, 0x34, 1193);
    p.clk(5000);
    p.fire();
    p.outb(CMD, 0x30);
    p.outb(CH0, 0);
    p.outb(CH0, 0);
    p.outb(CMD, 0x30);
    expect(p.deadline()).toBe(0n);
    const rises = p.rises();
    p.clk(5000 + 70000);
    expect(p.fire()).toBe(0);
    expect(p.sample(0).status & (OUT | NULL)).toBe(NULL);
    expect(p.rises()).toBe(rises);
  });

  it("a new mode 2 count mid-period: the edge at the end of the period, then the new period's", () => {
    const p = pit();
    p.program(0, 0x34, 1000);
    p.clk(1500);
    p.outb(CH0, 100);
    p.outb(CH0, 0);
    expect(p.deadline()).toBe(3n * 2001n);
    p.clk(2001);
    expect(p.fire()).toBe(1);
    expect(p.deadline()).toBe(3n * 2101n);
    p.clk(2101);
    expect(p.fire()).toBe(1);
    expect(p.deadline()).toBe(3n * 2201n);
    // Late past the reload and two new periods: one edge for all three.
    p.outb(CH0, 50);
    p.outb(CH0, 0);
    p.clk(2401);
    const rises = p.rises();
    expect(p.fire()).toBe(1);
    expect(p.rises()).toBe(rises + 1);
    expect(p.coalesced()).toBe(4n);      // 2201 (the 100's last), 2251, 2301, 2351, 2401 as one
    expect(p.deadline()).toBe(3n * 2451n);
  });

  it("mode 3 on counter 0 (the BIOS's 18.2 Hz): an edge each period, at the start of its high half", () => {
    const p = pit();
    p.program(0, 0x36, 0);               // 65536
    for (let k = 1; k <= 3; k++) {
      expect(p.deadline()).toBe(3n * (65536n * BigInt(k) + 1n));
      p.clk(65536 * k + 1);
      expect(p.fire()).toBe(1);
    }
  });

  it("a mode 3 count loaded at the end of a high half: the next edge is the new count's", () => {
    const p = pit();
    p.program(0, 0x36, 10);
    p.clk(3);
    p.outb(CH0, 4);
    p.outb(CH0, 0);
    // Low from 6 for the new count's low half (2 clocks), high again at 8, then every 4.
    expect(p.deadline()).toBe(3n * 8n);
    p.clk(8);
    expect(p.fire()).toBe(1);
    expect(p.deadline()).toBe(3n * 12n);
    p.clk(12);
    expect(p.fire()).toBe(1);
    expect(p.coalesced()).toBe(0n);
  });

  it("the illegal count of 1 in modes 2 and 3 holds OUT0 high: no edges, no timer", () => {
    const p = pit();
    for (const ctrl of [0x34, 0x36]) {
      p.at(0n);
      p.program(0, ctrl, 1);
      const rises = p.rises();
      expect(p.deadline()).toBe(0n);
      p.clk(1000);
      expect(p.fire()).toBe(0);
      expect(p.sample(0)).toMatchObject({ out: 1, count: 1 });
      expect(p.rises()).toBe(rises);
    }
    // Count 2 is the fastest legal rate: an edge every other clock.
    p.at(0n);
    p.program(0, 0x34, 2);
    expect(p.deadline()).toBe(3n * 3n);
    p.clk(3);
    p.fire();
    expect(p.deadline()).toBe(3n * 5n);
  });

  it("without an interrupt line counter 0 arms no timer", () => {
    const p = pit(EXACT, false);
    p.program(0, 0x34, 100);
    expect(p.deadline()).toBe(0n);
    p.clk(1000);
    expect(p.fire()).toBe(0);
    expect(p.sample(0).count).toBe(100 - 999 % 100);
  });

  it("a guest moving its TSC back before the load finds the counter waiting, and nothing traps", () => {
    const p = pit();
    p.at(3000n);
    p.program(0, 0x34, 100);
    p.at(0n);
    expect(p.sample(0)).toMatchObject({ count: 100, nul: 1 });
    p.at(3000n + 3n * 101n);
    expect(p.fire()).toBe(1);
  });
});

describe("8254 PIT: IRQ0 through the 8259A pair", () => {
  it("ticks once per period as Linux sets them up: INTA gives IRQ0's vector, EOI, the next tick", () => {
    const m = new Machine();
    const e = m.exports;
    const r = e.pitRigWithPic(EXACT) >>> 0;
    const outb = (port: number, v: number): number => e.pitOut(r, port, 1, v);
    const at = (k: number): void => e.pitRigSetTime(r, BigInt(k) * 3n);
    const int = (): boolean => e.pitRigPicInt(r) !== 0;
    // init_8259A: ICW1 edge, cascade, ICW4; vectors 0x30/0x38; IRQ2 cascade; 8086 mode; IRQ0 unmasked.
    outb(0x20, 0x11); outb(0x21, 0x30); outb(0x21, 0x04); outb(0x21, 0x01);
    outb(0xa0, 0x11); outb(0xa1, 0x38); outb(0xa1, 0x02); outb(0xa1, 0x01);
    outb(0x21, 0xfa); outb(0xa1, 0xff);
    outb(0x43, 0x34); outb(0x40, 1193 & 0xff); outb(0x40, 1193 >> 8);
    // The control word took OUT0 from low to high: one interrupt, as on a PC.
    expect(int()).toBe(true);
    expect(e.pitRigPicAck(r)).toBe(0x30);
    outb(0x20, 0x20);
    expect(int()).toBe(false);
    for (let k = 1; k <= 50; k++) {
      at(1193 * k);
      e.pitRigFire(r);
      expect(int()).toBe(false);
      at(1193 * k + 1);
      e.pitRigFire(r);
      expect(int()).toBe(true);
      expect(e.pitRigPicAck(r)).toBe(0x30);
      outb(0x20, 0x20);                  // EOI
      expect(int()).toBe(false);
    }
    // A guest that neither takes nor acknowledges ticks for 20 periods: one interrupt.
    at(1193 * 70 + 1);
    e.pitRigFire(r);
    expect(int()).toBe(true);
    expect(e.pitRigPicAck(r)).toBe(0x30);
    outb(0x20, 0x20);
    expect(int()).toBe(false);
    expect(BigInt(e.pitRigCoalesced(r))).toBe(19n);
  });
});

describe("8254 PIT: what Linux does with it", () => {
  // arch/x86/kernel/tsc.c, pit_calibrate_tsc(latch, ms, loopmin): counter 2
  // in mode 0 gated by port 0x61, polled for OUT2; each port access is an
  // exit costing `step` TSC ticks.
  function pitCalibrate(hz: bigint, step: bigint): { khz: bigint; loops: number } {
    const p = pit(hz);
    let t = 123_456_789n;
    const io = (): void => { t += step; p.at(t); };
    const inb = (port: number): number => { io(); return p.inb(port); };
    const outb = (v: number, port: number): void => { io(); p.outb(port, v); };
    const latch = Number(PIT_HZ / (1000n / 10n));
    outb((inb(0x61) & ~0x02) | 0x01, 0x61);
    outb(0xb0, 0x43);
    outb(latch & 0xff, 0x42);
    outb(latch >> 8, 0x42);
    const t1 = t;
    let t2 = t;
    let loops = 0;
    while ((inb(0x61) & 0x20) === 0) {
      t2 = t;
      loops++;
      if (loops > 10_000_000) throw new Error("OUT2 never rose");
    }
    return { khz: (t2 - t1) / 10n, loops };
  }

  it("pit_calibrate_tsc: OUT2 rises after the latch's 10 ms; the TSC rate comes out right", () => {
    for (const hz of [2_400_000_000n, 3_000_000_000n, 4_000_000n]) {
      const step = hz / 1_000_000n;    // 1 us per exit
      const { khz, loops } = pitCalibrate(hz, step);
      const expected = hz / 1000n;
      // The latch is 11931 clocks (9.9993 ms) plus the load clock: within 0.1%.
      expect(Number(khz - expected) / Number(expected)).toBeGreaterThan(-0.001);
      expect(Number(khz - expected) / Number(expected)).toBeLessThan(0.001);
      expect(loops).toBeGreaterThanOrEqual(1000);   // loopmin for the 10 ms loop
    }
  });

  // quick_pit_calibrate(): counter 2 in mode 0 from 0xffff, the MSB read
  // with pit_verify_msb/pit_expect_msb until the error is below 500 ppm.
  it("quick_pit_calibrate: the MSB counts down every 256 clocks; the fast calibration succeeds", () => {
    const hz = 2_400_000_000n;
    const p = pit(hz);
    let t = 5_000_000n;
    const step = 1200n;   // 0.5 us per port access
    const io = (): void => { t += step; p.at(t); };
    const inb = (port: number): number => { io(); return p.inb(port); };
    const outb = (v: number, port: number): void => { io(); p.outb(port, v); };
    const verifyMsb = (val: number): boolean => { inb(0x42); return inb(0x42) === val; };
    const expectMsb = (val: number): { ok: boolean; tsc: bigint; d: bigint } => {
      let tsc = t, prev = t, count = 0;
      for (; count < 50000; count++) {
        if (!verifyMsb(val)) break;
        prev = tsc;
        tsc = t;
      }
      return { ok: count > 5, tsc, d: t - prev };
    };
    outb((inb(0x61) & ~0x02) | 0x01, 0x61);
    outb(0xb0, 0x43);
    outb(0xff, 0x42);
    outb(0xff, 0x42);
    verifyMsb(0);
    const first = expectMsb(0xff);
    expect(first.ok).toBe(true);
    const MAX = Number(50n * PIT_HZ / 1000n / 256n);
    let khz = 0n;
    for (let i = 1; i <= MAX; i++) {
      const next = expectMsb(0xff - i);
      expect(next.ok).toBe(true);
      const delta = next.tsc - first.tsc;
      if (first.d + next.d >= delta >> 11n) continue;
      expect(verifyMsb(0xfe - i)).toBe(true);
      khz = (delta * PIT_HZ) / BigInt(i * 256 * 1000);
      break;
    }
    expect(khz).not.toBe(0n);
    expect(Math.abs(Number(khz - hz / 1000n)) / Number(hz / 1000n)).toBeLessThan(0.0005);
  });

  it("i8253 clocksource reads: latch, LSB, MSB, consistent however often it reads", () => {
    const p = pit(2_400_000_000n);
    p.at(0n);
    p.program(0, 0x34, 11932);
    let last = -1;
    for (let k = 1; k < 200; k++) {
      p.at(BigInt(k) * 9_999n);
      p.outb(CMD, 0x00);
      p.at(BigInt(k) * 9_999n + 5000n);    // the count stays latched while the guest reads
      const c = p.readCount(0, 3);
      const expected = 11932 - ((Math.floor(Number(BigInt(k) * 9_999n * PIT_HZ / 2_400_000_000n)) - 1) % 11932);
      expect(c).toBe(expected);
      if (last >= 0) expect(c).toBeLessThan(last);   // 989 clocks in all: no reload, always down
      last = c;
    }
  });
});

describe("8254 PIT: nonsense and saved state", () => {
  // A small deterministic generator (xorshift32).
  function rng(seed: number): () => number {
    let s = seed >>> 0 || 1;
    return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
  }
  const PORTS = [CH0, CH1, CH2, CMD, PORT_B];

  it("takes every value at every port with defined answers, never a trap; the state stays restorable", () => {
    const p = pit();
    const q = pit(EXACT, true, p.m);     // a second rig in the same machine to restore into
    let t = 0n;
    for (const port of PORTS) {
      for (let v = 0; v < 256; v++) {
        t += 37n;
        p.at(t);
        p.outb(port, v);
        for (const r of PORTS) {
          const x = p.inb(r);
          expect(x).toBeGreaterThanOrEqual(0);
          expect(x).toBeLessThanOrEqual(0xff);
        }
        p.fire();
      }
    }
    const next = rng(0x8254);
    for (let i = 0; i < 20000; i++) {
      t += BigInt(next() % 5000);
      p.at(t);
      const port = PORTS[next() % PORTS.length];
      const w = [1, 2, 4][next() % 3];
      if (next() & 1) p.e.pitOut(p.r, port, w, next());
      else expect(p.e.pitIn(p.r, port, w) >>> 0).toBeLessThanOrEqual(w === 4 ? 0xffffffff : (1 << (8 * w)) - 1);
      p.fire();
      if (i % 1000 === 999) {
        const len = p.save();
        q.at(t);
        expect(q.restore(BUF, len)).toBe("");
        expect(q.deadline()).toBe(p.deadline());
        for (const port of PORTS) expect(q.inb(port)).toBe(p.inb(port));
      }
    }
  });

  // A busy PIT: every counter mid-sequence, latches and flip-flops half-way.
  function busy() {
    const p = pit(2_400_000_000n);
    p.at(1_000_000n);
    p.program(0, 0x34, 1193);            // periodic IRQ0
    p.program(1, 0x37, 0x2500);          // mode 3 BCD
    p.outb(PORT_B, 0x0d);                // GATE2, NMI bits
    p.program(2, 0x30, 30000);           // mode 0
    p.at(50_000_000n);
    p.fire();
    p.outb(CH1, 0x40);                   // mode 3 new count pending (both bytes in LSB/MSB)
    p.outb(CH1, 0x01);
    p.outb(CMD, 0x40);                   // latch counter 1, read one byte of it
    p.inb(CH1);
    p.outb(CMD, 0xe8);                   // status of counter 2 latched
    p.outb(CH2, 0x11);                   // half a new count: mode 0 holds
    p.inb(CH0);                          // counter 0's read flip-flop at MSB
    return p;
  }
  // Reads from 50,000,000 on, timers fired as they come due; IRQ0's rises
  // counted from the start.
  const probe = (p: ReturnType<typeof pit>): number[] => {
    const got: number[] = [];
    const rises = p.rises();
    for (const dt of [0n, 7n, 1_000_003n, 25_000_000n]) {
      p.at(50_000_000n + dt);
      got.push(p.fire(), Number(p.deadline() & 0xffffffffn), p.inb(CH0), p.inb(CH0), p.inb(CH1), p.inb(CH1), p.inb(CH2), p.inb(CH2));
      got.push(p.inb(PORT_B), p.rises() - rises);
      p.outb(CMD, 0xce);
      for (const ch of [0, 1, 2]) got.push(p.inb(CH0 + ch), p.inb(CH0 + ch), p.inb(CH0 + ch));
    }
    return got;
  };

  it("saved, reset and restored: the same reads, the timer re-armed at the same deadline", () => {
    const p = busy();
    const len = p.save();
    expect(len).toBe(16 + p.e.PIT_BLOCK_SIZE.value);
    const deadline = p.deadline();
    expect(deadline).not.toBe(0n);
    const before = probe(p);
    expect(p.restore(BUF, len)).toBe("");
    p.at(50_000_000n);
    expect(p.deadline()).toBe(deadline);
    expect(probe(p)).toEqual(before);
    p.e.devReset(p.dev);
    expect(p.deadline()).toBe(0n);
    p.at(50_000_000n);
    expect(probe(p)).not.toEqual(before);
    expect(p.restore(BUF, len)).toBe("");
    p.at(50_000_000n);
    expect(p.deadline()).toBe(deadline);
    // And on another PIT: the block is all it needs.
    const q = pit(2_400_000_000n, true, p.m);
    q.at(50_000_000n);
    expect(q.restore(BUF, len)).toBe("");
    expect(q.deadline()).toBe(deadline);
    expect(q.level()).toBe(true);
    expect(probe(q)).toEqual(before);
  });

  it("re-arms a restored timer whose edge is already due, and fires it at once", () => {
    const p = pit();
    p.program(0, 0x34, 1000);
    p.clk(500);
    const len = p.save();
    const q = pit(EXACT, true, p.m);
    q.clk(5000);                         // restored later in guest time
    expect(q.restore(BUF, len)).toBe("");
    expect(q.deadline()).toBe(3n * 1001n);
    expect(q.fire()).toBe(1);
    expect(q.coalesced()).toBe(3n);      // 1001, 2001, 3001, 4001 as one
    expect(q.deadline()).toBe(3n * 5001n);
  });

  it("refuses a corrupt block with the reason and changes nothing", () => {
    const p = busy();
    const len = p.save();
    // Afresh each time: a restore may grow the memory and detach an old view.
    const view = (): DataView => p.m.view;
    const HDR = 16, CH = 56, TAIL = 168;
    const cases: Array<[number, number, number, string]> = [
      // offset in the block, width, value, message
      [42, 1, 0x40, "counter 0: control word out of range"],
      [CH + 42, 1, 0x06, "counter 1: control word out of range"],
      [43, 1, 3, "counter 0: phase out of range"],
      [43, 1, 1, "counter 0: waits for a trigger in mode 2"],
      [32, 4, 0, "counter 0: count out of range"],
      [32, 4, 65537, "counter 0: count out of range"],
      [CH + 32, 4, 16666, "counter 1: count out of range"],
      [44, 1, 2, "counter 0: flag not 0 or 1"],
      [CH + 49, 1, 3, "counter 1: more latched bytes than its format reads"],
      [52, 1, 0, "counter 0: gate low (it is tied high)"],
      [2 * CH + 52, 1, 0, "counter 2: gate differs from port 0x61 bit 0"],
      [CH + 24, 8, 5, "counter 1: edge reported without an interrupt line"],
      [2 * CH + 16, 8, 7, "counter 2: reload without a pending count"],
      [16, 8, -1, "counter 0: position out of range"],
      [53, 1, 1, "counter 0: reserved bytes not 0"],
      [TAIL, 1, 0x1d, "port 0x61 read-only bits set"],
      [TAIL + 1, 1, 2, "IRQ0 level not 0 or 1"],
      [TAIL + 7, 1, 1, "reserved bytes not 0"],
    ];
    const base = probeState(p);
    for (const [off, width, value, message] of cases) {
      p.m.bytes.copyWithin(BUF2, BUF, BUF + len);
      const at = BUF2 + HDR + off;
      if (width === 1) view().setUint8(at, value);
      else if (width === 4) view().setUint32(at, value, true);
      else view().setBigInt64(at, BigInt(value), true);
      expect(p.restore(BUF2, len)).toBe(`i8254 state: ${message}`);
      expect(probeState(p)).toEqual(base);
    }
    // A half-written count in a one-byte format.
    p.m.bytes.copyWithin(BUF2, BUF, BUF + len);
    view().setUint8(BUF2 + HDR + 2 * CH + 42, 0x10);   // counter 2 LSB only, with its write flip-flop set
    expect(p.restore(BUF2, len)).toBe("i8254 state: counter 2: half-written count in a one-byte format");
    expect(probeState(p)).toEqual(base);
  });

  // What the block holds, without reading the device (reads change it).
  function probeState(p: ReturnType<typeof pit>): string {
    p.save(BUF2 + 0x4000);
    return Buffer.from(p.m.bytes.subarray(BUF2 + 0x4000, BUF2 + 0x4000 + 16 + 176)).toString("hex") + p.deadline();
  }

  it("allocates nothing on accesses, gate changes, timer expiries and interrupt edges", () => {
    const p = busy();
    const next = rng(61);
    p.fire();
    const used = p.e.heapCurrentUsed();
    let t = 50_000_000n;
    for (let i = 0; i < 5000; i++) {
      t += BigInt(next() % 100_000);
      p.at(t);
      p.fire();
      const port = PORTS[next() % PORTS.length];
      if (next() & 1) p.outb(port, next());
      else p.inb(port);
      if (i % 500 === 0) p.program(0, 0x34, 1193);
    }
    expect(p.rises()).toBeGreaterThan(100);
    expect(p.e.heapCurrentUsed()).toBe(used);
  });

  it("lays out its state block as documented", () => {
    const p = pit();
    expect(p.e.pitLayoutCheck()).toBe(0);
    expect(p.e.PIT_BLOCK_SIZE.value).toBe(176);
    expect(p.e.devKind(p.dev) >>> 0).toBe(0x34353238);   // "8254"
  });
});
