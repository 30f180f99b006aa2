// The device interface (src/devices/device.ts): every model saves its
// guest-visible state as a versioned, size-checked block; a device saved,
// reset and restored answers exactly as it did; a block it cannot honour is
// refused with a clear error and changes nothing.
import { describe, expect, it } from "vitest";
import { Machine } from "../sim/machine";

const BUF = 0x30000;     // saved blocks
const BUF2 = 0x38000;

// UART registers (offsets from 0x3f8) and their reads, in an order that
// exercises the state a read shows (IIR, LSR and RBR reads have effects).
const UART_READS: Array<[number, string]> = [
  [3, "LCR"], [1, "IER"], [4, "MCR"], [7, "SCR"], [2, "IIR"], [5, "LSR"], [6, "MSR"], [0, "RBR"], [0, "RBR"], [5, "LSR"], [2, "IIR"],
];

function setup() {
  const m = new Machine();
  const e = m.exports;
  const con = e.consoleCreate(m.newString("dev")) >>> 0;
  e.consoleSetLog(con, 0);
  const rd = (d: number, off: number, w = 1): bigint => BigInt.asUintN(64, e.devRead(d, off, w));
  const wr = (d: number, off: number, v: number | bigint, w = 1): number => e.devWrite(d, off, w, BigInt(v));
  const save = (d: number, at = BUF): number => { e.devSave(d, at); return e.devSaveSize(d); };
  const restore = (d: number, at: number, len: number): string => m.readString(e.devRestore(d, at, len) >>> 0) ?? "";
  return { m, e, con, rd, wr, save, restore };
}

function uartReads(rd: (d: number, off: number) => bigint, u: number): bigint[] {
  return UART_READS.map(([off]) => rd(u, off));
}

describe("device state", () => {
  it("a UART saved, reset and restored gives the same reads", () => {
    const { e, con, rd, wr, save, restore } = setup();
    const u = e.uartCreate(con) >>> 0;
    wr(u, 3, 0x80); wr(u, 0, 0x01); wr(u, 1, 0x00); // divisor 1 (115200 baud)
    wr(u, 3, 0x03);                                   // 8N1
    wr(u, 2, 0xc7);                                   // FIFOs on, trigger 14
    wr(u, 1, 0x05);                                   // ERBFI | ELSI
    wr(u, 4, 0x0b);                                   // DTR RTS OUT2
    wr(u, 7, 0x5a);
    for (const b of Buffer.from("typed")) e.uartReceive(u, b);
    const len = save(u);
    expect(len).toBe(16 + e.UART_BLOCK_SIZE.value);
    const before = uartReads(rd, u);
    e.devReset(u);
    const reset = uartReads(rd, u);
    expect(reset).not.toEqual(before);
    expect(restore(u, BUF, len)).toBe("");
    expect(uartReads(rd, u)).toEqual(before);
    // The divisor latch came back too.
    wr(u, 3, 0x83);
    expect(rd(u, 0)).toBe(1n);
  });

  it("the MMIO test device saved, reset and restored gives the same reads at every width", () => {
    const { e, rd, wr, save, restore } = setup();
    const t = e.testdevCreate() >>> 0;
    wr(t, 0, 0x1122334455667788n, 8);
    wr(t, 9, 0xabcd, 2);
    wr(t, 63, 0x7f, 1);
    const reads = (): bigint[] => [rd(t, 0, 8), rd(t, 4, 4), rd(t, 8, 2), rd(t, 10, 1), rd(t, 62, 2), rd(t, 63, 4)];
    const before = reads();
    expect(before).toEqual([0x1122334455667788n, 0x11223344n, 0xcd00n, 0xabn, 0x7f00n, 0xffffff7fn]);
    const len = save(t);
    e.devReset(t);
    expect(reads()).toEqual([0n, 0n, 0n, 0n, 0n, 0xffffff00n]);
    expect(restore(t, BUF, len)).toBe("");
    expect(reads()).toEqual(before);
  });

  it("refuses a block of another kind, version or size, or a truncated one, and changes nothing", () => {
    const { m, e, con, rd, wr, save, restore } = setup();
    const u = e.uartCreate(con) >>> 0;
    wr(u, 7, 0x42);
    const len = save(u);
    // A fresh view each time: a refusal's message may grow the memory.
    const view = { setUint32: (at: number, v: number, le: boolean) => new DataView(m.memory.buffer).setUint32(at, v, le) };
    const copy = (): void => { m.bytes.copyWithin(BUF2, BUF, BUF + len); };
    wr(u, 7, 0x99);   // what must survive every refused restore
    copy(); view.setUint32(BUF2 + 4, 2, true);
    expect(restore(u, BUF2, len)).toBe("uart16550 state: version 2, this hypervisor has version 1");
    copy(); view.setUint32(BUF2 + 8, 300, true);
    expect(restore(u, BUF2, len)).toBe("uart16550 state: size 300 in 320 bytes, expected 304");
    copy();
    expect(restore(u, BUF2, len - 1)).toBe("uart16550 state: size 304 in 319 bytes, expected 304");
    expect(restore(u, BUF2, 8)).toBe("uart16550 state: truncated header (8 bytes)");
    copy(); view.setUint32(BUF2, 0x56444554, true);
    expect(restore(u, BUF2, len)).toBe("uart16550 state: saved by another device (kind 0x56444554)");
    // A testdev block offered to the UART, and the other way round.
    const t = e.testdevCreate() >>> 0;
    const tlen = save(t, BUF2);
    expect(restore(u, BUF2, tlen)).toMatch(/^uart16550 state: saved by another device/);
    expect(restore(t, BUF, len)).toMatch(/^testdev state: saved by another device \(kind 0x30353555\)/);
    expect(rd(u, 7)).toBe(0x99n);
  });

  it("refuses a UART block whose FIFO or ring indices are out of range", () => {
    const { m, e, con, rd, wr, save, restore } = setup();
    const u = e.uartCreate(con) >>> 0;
    const len = save(u);
    wr(u, 7, 0x33);
    const view = new DataView(m.memory.buffer);
    const HDR = 16, FIFO_COUNT = 31, RX_IN = 4;
    view.setUint8(BUF + HDR + FIFO_COUNT, 17);
    expect(restore(u, BUF, len)).toBe("uart16550 state: RX FIFO index out of range");
    view.setUint8(BUF + HDR + FIFO_COUNT, 0);
    view.setUint32(BUF + HDR + RX_IN, 1000, true);
    expect(restore(u, BUF, len)).toBe("uart16550 state: input ring holds more than its size");
    expect(rd(u, 7)).toBe(0x33n);
  });
});

describe("a domain's devices", () => {
  it("every device the builder gives a domain saves, resets and restores to the same block", async () => {
    const { vmxMachine } = await import("./fixtures");
    const { m, e, create } = vmxMachine();
    const id = create("devs", "testdev=1 vcpus=2");
    const n = e.testDomainDeviceCount(id);
    m.tscStep = 0n;   // the clocked models (RTC, PIT) catch up to now on restore
    const kinds: string[] = [];
    for (let i = 0; i < n; i++) {
      const d = e.testDomainDeviceAt(id, i) >>> 0;
      kinds.push(Buffer.from(new Uint32Array([e.devKind(d) >>> 0]).buffer).toString("latin1"));
      const len = e.devSaveSize(d);
      e.devSave(d, BUF);
      const saved = Buffer.from(m.bytes.subarray(BUF, BUF + len));
      e.devReset(d);
      expect(m.readString(e.devRestore(d, BUF, len) >>> 0)).toBe("");
      e.devSave(d, BUF2);
      expect(Buffer.from(m.bytes.subarray(BUF2, BUF2 + len))).toEqual(saved);
    }
    // A PC (src/domain/pc.ts): a LAPIC per vCPU, the chipset, COM1.
    expect(kinds).toEqual(["DBGX", "TEDV", "LAPC", "LAPC", "8259", "IOAP", "8254", "6818", "PHST", "ACPM", "FCFG", "8042", "PT92", "U550"]);
  });
});
