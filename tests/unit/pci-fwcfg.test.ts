// The PCI host bridge (configuration mechanism #1, the PIIX reset control
// register) and QEMU's fw_cfg, on a port bus as a domain has them.
import { describe, expect, it } from "vitest";
import { Machine } from "../sim/machine";

const BUF = 0x30000;

function bus() {
  const m = new Machine();
  const e = m.exports;
  const b = e.portBusCreate() >>> 0;
  const inp = (port: number, size: number): number => e.portRead(b, port, size) >>> 0;
  const out = (port: number, size: number, v: number): number => e.portWrite(b, port, size, v) >>> 0;
  return { m, e, b, inp, out };
}

describe("PCI host bridge", () => {
  function pci() {
    const w = bus();
    const dev = w.e.pciHostCreate() >>> 0;
    expect(w.e.portBusRegister(w.b, 0xcf8, 8, 0, dev)).toBe(0);
    const cfg = (busno: number, d: number, f: number, reg: number) =>
      (0x80000000 | (busno << 16) | (d << 11) | (f << 8) | (reg & 0xfc)) >>> 0;
    const read = (d: number, f: number, reg: number, size = 4) => {
      w.out(0xcf8, 4, cfg(0, d, f, reg));
      return w.inp(0xcfc + (reg & 3), size);
    };
    return { ...w, dev, cfg, read };
  }

  it("shows the host bridge and the ISA bridge on bus 0, all ones elsewhere", () => {
    const p = pci();
    expect(p.read(0, 0, 0)).toBe(0x12378086);
    expect(p.read(0, 0, 8) >>> 8).toBe(0x060000);     // class 06 00 00
    expect(p.read(0, 0, 8) & 0xff).toBe(0x02);        // revision
    expect(p.read(1, 0, 0)).toBe(0x70008086);
    expect(p.read(1, 0, 8) >>> 16).toBe(0x0601);
    expect(p.read(1, 0, 0x0c) >>> 16 & 0xff).toBe(0x80);   // header type: multi-function
    expect(p.read(2, 0, 0)).toBe(0xffffffff);
    expect(p.read(0, 1, 0)).toBe(0xffffffff);
    p.out(0xcf8, 4, p.cfg(1, 0, 0, 0));
    expect(p.inp(0xcfc, 4)).toBe(0xffffffff);           // bus 1: nothing
    p.out(0xcf8, 4, 0x00000000);                        // disabled
    expect(p.inp(0xcfc, 4)).toBe(0xffffffff);
  });

  it("reads CONFIG_ADDRESS back as a dword only, with bytes and words of the data port", () => {
    const p = pci();
    p.out(0xcf8, 4, p.cfg(0, 0, 0, 0) | 0x3);          // the low two bits are not kept
    expect(p.inp(0xcf8, 4)).toBe(p.cfg(0, 0, 0, 0));
    expect(p.inp(0xcfc, 2)).toBe(0x8086);
    expect(p.inp(0xcfe, 2)).toBe(0x1237);
    expect(p.inp(0xcfd, 1)).toBe(0x80);
    expect(p.inp(0xcf8, 2)).toBe(0xffff);              // not a config address access
  });

  it("keeps only the writable command bits; other registers ignore writes", () => {
    const p = pci();
    p.out(0xcf8, 4, p.cfg(0, 0, 0, 4));
    p.out(0xcfc, 2, 0xffff);
    expect(p.inp(0xcfc, 2)).toBe(0x000f);
    p.out(0xcf8, 4, p.cfg(0, 0, 0, 0));
    p.out(0xcfc, 4, 0x12345678);
    expect(p.inp(0xcfc, 4)).toBe(0x12378086);
  });

  it("asks for a reset when RST_CPU is set in the reset control register at 0xcf9", () => {
    const p = pci();
    const DEV_RESET = 2;
    expect(p.out(0xcf9, 1, 0x02)).toBe(0);              // SYS_RST alone: nothing yet
    expect(p.out(0xcf9, 1, 0x06)).toBe(DEV_RESET);      // RST_CPU 0 -> 1
    expect(p.inp(0xcf9, 1)).toBe(0x02);
    expect(p.out(0xcf9, 1, 0x06)).toBe(DEV_RESET);      // RST_CPU self-clears: again a reset
  });

  it("saves, resets and restores its state", () => {
    const p = pci();
    p.out(0xcf8, 4, p.cfg(0, 1, 0, 4));
    p.out(0xcfc, 2, 0x0005);
    const len = p.e.devSaveSize(p.dev);
    p.e.devSave(p.dev, BUF);
    p.e.devReset(p.dev);
    expect(p.inp(0xcf8, 4)).toBe(0);
    expect(p.m.readString(p.e.devRestore(p.dev, BUF, len) >>> 0)).toBe("");
    expect(p.inp(0xcf8, 4)).toBe(p.cfg(0, 1, 0, 4));
    expect(p.inp(0xcfc, 2)).toBe(0x0005);
  });
});

describe("fw_cfg", () => {
  function fw(mem = 0x2000000, cpus = 2) {
    const w = bus();
    const dev = w.e.fwCfgCreate(BigInt(mem), cpus, 0x9fc00n) >>> 0;
    expect(w.e.portBusRegister(w.b, 0x510, 2, 0, dev)).toBe(0);
    const item = (key: number, n: number): number[] => {
      w.out(0x510, 2, key);
      return Array.from({ length: n }, () => w.inp(0x511, 1));
    };
    return { ...w, dev, item };
  }
  const le = (b: number[]) => b.reduce((v, x, i) => v + BigInt(x) * (1n << BigInt(8 * i)), 0n);

  it("answers the signature, the feature bits, RAM and the CPU counts", () => {
    const f = fw();
    expect(Buffer.from(f.item(0x0000, 4)).toString("latin1")).toBe("QEMU");
    expect(le(f.item(0x0001, 4))).toBe(1n);
    expect(le(f.item(0x0003, 8))).toBe(0x2000000n);
    expect(le(f.item(0x0005, 2))).toBe(2n);
    expect(le(f.item(0x000f, 2))).toBe(2n);
    expect(f.item(0x1234, 4)).toEqual([0, 0, 0, 0]);    // an unknown key reads zeros
    expect(f.item(0x0000, 6).slice(4)).toEqual([0, 0]); // past an item's end: zeros
  });

  it("lists etc/e820 in its file directory, with the domain's memory map", () => {
    const f = fw();
    const dir = f.item(0x0019, 4 + 64);
    const be = (b: number[]) => b.reduce((v, x) => v * 256 + x, 0);
    expect(be(dir.slice(0, 4))).toBe(1);
    const size = be(dir.slice(4, 8)), select = be(dir.slice(8, 10));
    expect(Buffer.from(dir.slice(12, 20)).toString("latin1")).toBe("etc/e820");
    expect(size).toBe(60);
    const e820 = f.item(select, size);
    const entry = (i: number) => [le(e820.slice(i * 20, i * 20 + 8)), le(e820.slice(i * 20 + 8, i * 20 + 16)), le(e820.slice(i * 20 + 16, i * 20 + 20))];
    expect(entry(0)).toEqual([0n, 0x9fc00n, 1n]);
    expect(entry(1)).toEqual([0x9fc00n, 0x100000n - 0x9fc00n, 2n]);
    expect(entry(2)).toEqual([0x100000n, 0x2000000n - 0x100000n, 1n]);
  });

  it("saves, resets and restores where it was reading", () => {
    const f = fw();
    f.out(0x510, 2, 0x0000);
    f.inp(0x511, 1);
    const len = f.e.devSaveSize(f.dev);
    f.e.devSave(f.dev, BUF);
    f.e.devReset(f.dev);
    expect(f.m.readString(f.e.devRestore(f.dev, BUF, len) >>> 0)).toBe("");
    expect(String.fromCharCode(f.inp(0x511, 1))).toBe("E");
    new DataView(f.m.memory.buffer).setUint32(BUF + 16, 0x10000, true);
    expect(f.m.readString(f.e.devRestore(f.dev, BUF, len) >>> 0)).toBe("fw_cfg state: selector out of range");
  });
});
