// The multiboot information given to guests (src/domain/bootinfo-writer.ts),
// read back by the hypervisor's own parser (src/boot/bootinfo.ts).
import { describe, expect, it } from "vitest";
import { Machine } from "../sim/machine";

const MB1_MAGIC = 0x2badb002;
const MB2_MAGIC = 0x36d76289;
const DST = 0x30000;
const hex = (v: bigint | number) => "0x" + BigInt(v).toString(16);

function guestMap(mem: bigint) {
  const m = [
    { base: "0x0", length: "0x9fc00", type: 1 },
    { base: "0x9fc00", length: "0x400", type: 2 },
    { base: "0xf0000", length: "0x10000", type: 2 },
  ];
  if (mem > 0x100000n) m.push({ base: "0x100000", length: hex(mem - 0x100000n), type: 1 });
  return m;
}

// Writes at DST for guest address `gpa`, copies the bytes to `gpa` (as the
// builder copies into guest memory) and parses them there.
function roundTrip(proto: 1 | 2, gpa: number, mem: bigint, cmdline: string) {
  const m = new Machine();
  m.fill(DST, 0x1000, 0xa5); // garbage the writer must overwrite or not rely on
  const fn = proto === 1 ? "bootInfoWriteMb1" : "bootInfoWriteMb2";
  const n = m.exports[fn](DST, BigInt(gpa), mem, m.newString(cmdline));
  expect(n).toBeGreaterThan(0);
  expect(n).toBeLessThanOrEqual(4096);
  const bytes = m.bytes.slice(DST, DST + n);
  m.fill(DST, 0x1000, 0xa5);
  m.write(gpa, bytes);
  expect(m.exports.bootInfoParse(proto === 1 ? MB1_MAGIC : MB2_MAGIC, gpa)).toBe(0);
  return { n, info: JSON.parse(m.str("bootInfoJson")!), bytes };
}

describe("guest boot information", () => {
  for (const proto of [1, 2] as const) {
    it(`multiboot${proto}: round trip through parseBootInfo`, () => {
      const cmd = "name=g1 mem=64M console=ttyS0 quiet";
      const { info, n } = roundTrip(proto, 0x9000, 64n << 20n, cmd);
      expect(info.error).toBe("");
      expect(info.protocol).toBe(proto);
      expect(info.cmdline).toBe(cmd);
      expect(info.loaderName).toBe("tshv");
      expect(info.memory).toEqual(guestMap(64n << 20n));
      expect(info.modules).toEqual([]);
      expect(BigInt(info.infoStart)).toBe(0x9000n);
      expect(BigInt(info.infoEnd)).toBeLessThanOrEqual(0x9000n + BigInt(n));
    });

    it(`multiboot${proto}: empty cmdline, 1 MiB and 2 GiB guests`, () => {
      expect(roundTrip(proto, 0x8000, 1n << 20n, "").info.memory).toEqual(guestMap(1n << 20n));
      const big = roundTrip(proto, 0x8000, 2n << 30n, "").info;
      expect(big.cmdline).toBe("");
      expect(big.memory).toEqual(guestMap(2n << 30n));
    });

    it(`multiboot${proto}: rejects a cmdline that does not fit in 4 KiB, bad gpa, tiny memory`, () => {
      const m = new Machine();
      const fn = proto === 1 ? "bootInfoWriteMb1" : "bootInfoWriteMb2";
      expect(m.exports[fn](DST, 0x8000n, 64n << 20n, m.newString("x".repeat(4000)))).toBe(-1);
      expect(m.exports[fn](DST, 0x8004n, 64n << 20n, m.newString("x"))).toBe(-2);
      expect(m.exports[fn](DST, 0xfffff008n, 64n << 20n, m.newString("x"))).toBe(-2);
      expect(m.exports[fn](DST, 0x8000n, 0x80000n, m.newString("x"))).toBe(-3);
      expect(m.str("bootInfoErrorText", -1)).toMatch(/too long/);
      // The largest cmdline that fits still parses back.
      const max = proto === 1 ? 4096 - 232 - 1 : 4096 - (8 + 16 + 16 + 112 + 8) - 9;
      const r = roundTrip(proto, 0x8000, 16n << 20n, "y".repeat(max));
      expect(r.n).toBeLessThanOrEqual(4096);
      expect(r.info.cmdline.length).toBe(max);
      expect(m.exports[fn](DST, 0x8000n, 16n << 20n, m.newString("y".repeat(max + 8)))).toBe(-1);
    });
  }

  it("multiboot2 layout: 8-aligned tags, basic meminfo, mmap entry_size 24 version 0", () => {
    const { bytes, n } = roundTrip(2, 0x8000, 32n << 20n, "abc");
    const v = new DataView(bytes.buffer);
    expect(v.getUint32(0, true)).toBe(n);
    const tags: number[] = [];
    for (let off = 8; off < n;) {
      const type = v.getUint32(off, true), size = v.getUint32(off + 4, true);
      tags.push(type);
      if (type === 4) expect([v.getUint32(off + 8, true), v.getUint32(off + 12, true)]).toEqual([639, 31 * 1024]);
      if (type === 6) expect([v.getUint32(off + 8, true), v.getUint32(off + 12, true)]).toEqual([24, 0]);
      if (type === 0) { expect(size).toBe(8); expect(off + 8).toBe(n); }
      off += (size + 7) & ~7;
    }
    expect(tags).toEqual([1, 2, 4, 6, 0]);
  });

  it("multiboot1 fields: flags, mem_lower/mem_upper, guest-physical pointers", () => {
    const { bytes } = roundTrip(1, 0x9000, 128n << 20n, "hi");
    const v = new DataView(bytes.buffer);
    expect(v.getUint32(0, true)).toBe(1 | 4 | 64 | 512);
    expect(v.getUint32(4, true)).toBe(639);
    expect(v.getUint32(8, true)).toBe(127 * 1024);
    for (const off of [16, 48, 64]) {
      const p = v.getUint32(off, true);
      expect(p).toBeGreaterThanOrEqual(0x9000);
      expect(p).toBeLessThan(0x9000 + bytes.length);
    }
  });
});
