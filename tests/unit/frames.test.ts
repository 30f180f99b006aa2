// The physical frame allocator (src/mm/frames.ts) over a parsed boot info,
// with kmain's reservations (src/mm/reserved.ts).
import { describe, expect, it } from "vitest";
import { Halted, Machine } from "../sim/machine";
import { E820, MB2_MAGIC, MOD0, MOD1, Mb2Builder, RAM_TOP, grubMb2, pcE820 } from "./fixtures";

const INFO = 0x20000;
const PAGE = 0x1000n;
const HV_IMAGE_BASE = 0x100000n;
const HV_WASM_END = 0x1000000n;

// An awkward firmware map: unaligned edges, an ACPI range starting inside a
// frame, an NVS range overlapping an available one, and ACPI tables at the
// top of RAM as QEMU places them.
const AWKWARD: E820[] = [
  { base: 0x0n, length: 0x9fc00n, type: 1 },
  { base: 0x9fc00n, length: 0x400n, type: 2 },
  { base: 0xf0000n, length: 0x10000n, type: 2 },
  { base: 0x100000n, length: 0x3000800n - 0x100000n, type: 1 },
  { base: 0x3000800n, length: 0xf800n, type: 3 },
  { base: 0x3010000n, length: 0x3ff0000n - 0x3010000n + 0x123n, type: 1 },
  { base: 0x3ff8000n, length: 0x8000000n - 0x3ff8000n - 0x20000n, type: 1 }, // overlaps the NVS below
  { base: 0x4000000n, length: 0x1000n, type: 4 },
  { base: 0x5000000n, length: 0x10000n, type: 5 }, // bad RAM listed on top of type 1
  { base: 0x7fe0000n, length: 0x20000n, type: 3 },
  { base: 0xfffc0000n, length: 0x40000n, type: 2 },
];

function boot(map: E820[] = AWKWARD, build = (b: Mb2Builder) => b): Machine {
  const m = new Machine();
  const mbi = build(grubMbWith(map)).build();
  m.write(INFO, mbi.bytes);
  expect(m.exports.bootInfoParse(MB2_MAGIC, INFO)).toBe(0);
  m.exports.framesInitBoot();
  return m;
}

function grubMbWith(map: E820[]): Mb2Builder {
  return new Mb2Builder()
    .cmdline("/boot/hv.elf")
    .module(MOD0.start, MOD0.end, MOD0.cmdline)
    .module(MOD1.start, MOD1.end, MOD1.cmdline)
    .mmap(map)
    .acpiNew()
    .end();
}

// The reference model: may the frame at `a` ever be handed out?
function allowed(a: bigint, map: E820[], infoEnd: bigint): boolean {
  const end = a + PAGE;
  const overlaps = (b: bigint, e: bigint) => a < e && b < end;
  if (a < 0x100000n) return false;
  if (overlaps(HV_IMAGE_BASE, HV_WASM_END)) return false;
  if (overlaps(BigInt(INFO), infoEnd)) return false;
  for (const mod of [MOD0, MOD1]) if (overlaps(BigInt(mod.start), BigInt(mod.end))) return false;
  if (map.some((r) => r.type !== 1 && overlaps(r.base, r.base + r.length))) return false;
  return map.some((r) => r.type === 1 && r.base <= a && end <= r.base + r.length);
}

function allocAll(m: Machine): bigint[] {
  const out: bigint[] = [];
  for (;;) {
    const f = BigInt.asUintN(64, m.exports.frameAlloc());
    if (f === 0n) return out;
    out.push(f);
  }
}

describe("frame allocator", () => {
  it("hands out exactly the usable frames, each once", () => {
    const m = boot();
    const infoEnd = BigInt(INFO + grubMbWith(AWKWARD).build().length);
    const free = m.exports.framesFree();
    expect(m.exports.framesTotal()).toBe(free);
    const frames = allocAll(m);
    expect(BigInt(frames.length)).toBe(free);
    expect(new Set(frames).size).toBe(frames.length);
    for (const f of frames) {
      expect(f % PAGE).toBe(0n);
      if (!allowed(f, AWKWARD, infoEnd)) throw new Error(`handed out forbidden frame 0x${f.toString(16)}`);
    }
    // ... and every allowed frame (none lost).
    let expected = 0;
    for (let a = 0n; a < 0x8000000n; a += PAGE) if (allowed(a, AWKWARD, infoEnd)) expected++;
    expect(frames.length).toBe(expected);
    expect(m.exports.framesFree()).toBe(0n);
    expect(m.exports.frameAlloc()).toBe(0n);
    expect(m.exports.frameAllocContiguous(1, 1)).toBe(0n);
  });

  it("never hands out low memory, the image, modules, ACPI or partial frames", () => {
    const m = boot();
    const frames = new Set(allocAll(m));
    for (const a of [0n, 0x1000n, 0x9f000n, 0xff000n, HV_IMAGE_BASE, 0x400000n, HV_WASM_END - PAGE,
      BigInt(MOD0.start), 0x1023000n, BigInt(MOD1.start), 0x102f000n,
      0x3000000n /* partial: RAM ends at 0x3000800 */, 0x3008000n /* ACPI */, 0x3ff0000n /* partial tail */,
      0x4000000n /* NVS over RAM */, 0x5000000n /* bad RAM */, 0x7fe0000n, 0x7fff000n]) {
      expect(frames.has(a), `0x${a.toString(16)}`).toBe(false);
      expect(m.exports.frameIsUsable(a)).toBe(0);
    }
    for (const a of [0x1030000n, 0x2fff000n, 0x3010000n, 0x3fef000n, 0x3ff8000n, 0x4001000n, 0x7fdf000n]) {
      expect(frames.has(a), `0x${a.toString(16)}`).toBe(true);
      expect(m.exports.frameIsAllocated(a)).toBe(1);
    }
  });

  it("frees and reallocates", () => {
    const m = boot(pcE820(RAM_TOP));
    const before = m.exports.framesFree();
    const a = m.exports.frameAlloc();
    const b = m.exports.frameAlloc();
    expect(a).not.toBe(b);
    expect(m.exports.framesFree()).toBe(before - 2n);
    expect(m.exports.frameFreeChecked(a)).toBe(0);
    expect(m.exports.frameIsAllocated(a)).toBe(0);
    expect(m.exports.framesFree()).toBe(before - 1n);
    const all = allocAll(m);
    expect(all).toContain(a);
    expect(all).not.toContain(b);
    expect(m.exports.frameFreeChecked(b)).toBe(0);
    expect(m.exports.frameAlloc()).toBe(b);
    expect(m.exports.frameAlloc()).toBe(0n);
  });

  it("detects bad frees: misaligned, reserved, beyond memory, double", () => {
    const m = boot(pcE820(RAM_TOP));
    const a = m.exports.frameAlloc();
    const free = m.exports.framesFree();
    expect(m.exports.frameFreeChecked(a + 8n)).toBe(-22);
    expect(m.exports.frameFreeChecked(0n)).toBe(-1);
    expect(m.exports.frameFreeChecked(0x9f000n)).toBe(-1);
    expect(m.exports.frameFreeChecked(HV_IMAGE_BASE)).toBe(-1);
    expect(m.exports.frameFreeChecked(BigInt(MOD0.start))).toBe(-1);
    expect(m.exports.frameFreeChecked(RAM_TOP)).toBe(-34);
    expect(m.exports.frameFreeChecked(0x100000000n)).toBe(-34);
    expect(m.exports.frameFreeChecked(a)).toBe(0);
    expect(m.exports.frameFreeChecked(a)).toBe(-114);
    expect(m.exports.framesFree()).toBe(free + 1n);
    // frameFree stops the machine with a message.
    expect(() => m.exports.frameFree(a)).toThrow(Halted);
    expect(m.serial).toMatch(/hv: PANIC: frames: bad free of 0x[0-9a-f]+: not allocated \(double free\?\)/);
  });

  it("allocates contiguous, aligned runs", () => {
    const m = boot(pcE820(RAM_TOP));
    const free = m.exports.framesFree();
    const big = m.exports.frameAllocContiguous(512, 512);
    expect(big).not.toBe(0n);
    expect(big % 0x200000n).toBe(0n);
    expect(big).toBeGreaterThanOrEqual(0x1200000n); // past the image and the modules
    expect(m.exports.framesFree()).toBe(free - 512n);
    for (let a = big; a < big + 0x200000n; a += PAGE) expect(m.exports.frameIsAllocated(a)).toBe(1);
    const big2 = m.exports.frameAllocContiguous(512, 512);
    expect(big2 % 0x200000n).toBe(0n);
    expect(big2).not.toBe(big);
    const three = m.exports.frameAllocContiguous(3, 0);
    expect(three).not.toBe(0n);
    for (let i = 0n; i < 3n; i++) expect(m.exports.frameIsAllocated(three + i * PAGE)).toBe(1);
    // A single frame allocated after them does not overlap them.
    for (let i = 0; i < 64; i++) {
      const f = m.exports.frameAlloc();
      expect(f >= big && f < big + 0x200000n).toBe(false);
      expect(f >= three && f < three + 3n * PAGE).toBe(false);
    }
    // Fragment all memory: every other frame free; no 2-frame run exists.
    const rest = allocAll(m);
    for (const f of rest) if ((f / PAGE) % 2n === 0n) expect(m.exports.frameFreeChecked(f)).toBe(0);
    expect(m.exports.frameAllocContiguous(2, 1)).toBe(0n);
    expect(m.exports.frameAllocContiguous(1, 1)).not.toBe(0n);
    expect(m.exports.frameAllocContiguous(0, 1)).toBe(0n);
    expect(m.exports.frameAllocContiguous(1 << 30, 1)).toBe(0n);
  });

  it("manages memory above 4 GiB and caps at 64 GiB", () => {
    const high: E820[] = [...pcE820(0x80000000n), { base: 0x100000000n, length: 0x80000000n, type: 1 }];
    const m = boot(high);
    expect(m.exports.framesTop()).toBe(0x180000000n);
    expect(m.exports.frameIsUsable(0x17ffff000n)).toBe(1);
    const huge: E820[] = [...pcE820(0x80000000n), { base: 0x100000000n, length: 0x1f00000000n, type: 1 }];
    const h = boot(huge);
    expect(h.exports.framesTop()).toBe(64n << 30n);
    expect(h.exports.frameIsUsable((64n << 30n) - PAGE)).toBe(1);
    expect(h.exports.frameIsUsable(64n << 30n)).toBe(0);
    // The allocator never touches the frames, so it works on memory the sim
    // does not have.
    const f = h.exports.frameAllocContiguous(512 * 512, 512 * 512); // 1 GiB page
    expect(f % (1n << 30n)).toBe(0n);
  });

  it("a map with no usable memory gives no frames", () => {
    const m = boot([{ base: 0n, length: 0x9fc00n, type: 1 }, { base: 0x100000n, length: 0x100000n, type: 2 }]);
    expect(m.exports.framesTotal()).toBe(0n);
    expect(m.exports.frameAlloc()).toBe(0n);
  });
});
