// Extended page tables (src/ept/ept.ts) on the simulated machine: the tables
// are real frames inside the wasm memory, read back through the exports.
import { describe, expect, it } from "vitest";
import { Machine } from "../sim/machine";

const K4 = 0x1000n, M2 = 0x200000n, G1 = 0x40000000n;
const R = 1, W = 2, X = 4, RW = R | W, RWX = R | W | X;
const UC = 0, WB = 6, IPAT = 0x40;
const ALLOW_2M = 1, ALLOW_1G = 2;
const OK = 0, ENOMEM = -12, EINVAL = -22;
const UNMAPPED = 0xffffffffffffffffn;
const PS = 1n << 7n;
const ADDR = 0x000ffffffffff000n;

// Frames for tables: [1 MiB, 4 MiB) of the sim's memory (below the wasm data).
function machine(base = 0x100000n, length = 0x300000n) {
  const m = new Machine();
  m.exports.framesInitRange(base, length);
  const e = m.exports;
  const u = (v: bigint) => BigInt.asUintN(64, v);
  return {
    m, e,
    free: (): bigint => e.framesFree(),
    create: (): bigint => u(e.eptCreate()),
    map: (p: bigint, g: bigint, h: bigint, s: bigint, perms = RWX, mt = WB, large = ALLOW_2M | ALLOW_1G): number =>
      e.eptMap(p, g, h, s, perms, mt, large),
    tr: (p: bigint, g: bigint): bigint => u(e.eptTranslate(p, g)),
    size: (p: bigint, g: bigint): bigint => u(e.eptLeafSize(p, g)),
    entry: (p: bigint, g: bigint): bigint => u(e.eptLeafEntry(p, g)),
  };
}

describe("EPT", () => {
  it("creates an empty PML4 and builds the EPT pointer", () => {
    const t = machine();
    const before = t.free();
    const p = t.create();
    expect(p).not.toBe(0n);
    expect(p % K4).toBe(0n);
    expect(t.free()).toBe(before - 1n);
    for (let i = 0; i < 4096; i++) expect(t.m.bytes[Number(p) + i]).toBe(0);
    expect(t.tr(p, 0n)).toBe(UNMAPPED);
    expect(t.size(p, 0n)).toBe(0n);
    expect(BigInt.asUintN(64, t.e.eptPointer(p, 0))).toBe(p | 0x1en); // WB, walk length 4 - 1
    expect(BigInt.asUintN(64, t.e.eptPointer(p, 1))).toBe(p | 0x5en); // + A/D flags
    t.e.eptDestroy(p);
    expect(t.free()).toBe(before);
  });

  it("maps and translates 4 KiB pages, memory above 4 GiB included", () => {
    const t = machine();
    const p = t.create();
    const before = t.free();
    expect(t.map(p, 0x1000n, 0x200000000n, 0x3000n)).toBe(OK);
    expect(before - t.free()).toBe(3n); // PDPT, PD, PT
    expect(t.tr(p, 0x1000n)).toBe(0x200000000n);
    expect(t.tr(p, 0x2abcn)).toBe(0x200001abcn);
    expect(t.tr(p, 0x3fffn)).toBe(0x200002fffn);
    expect(t.tr(p, 0x0n)).toBe(UNMAPPED);
    expect(t.tr(p, 0x4000n)).toBe(UNMAPPED);
    expect(t.size(p, 0x1000n)).toBe(K4);
    expect(t.size(p, 0x4000n)).toBe(0n);
    // A second region in another 512 GiB slot gets its own PDPT.
    expect(t.map(p, 0x8000000000n, 0x5000n, K4)).toBe(OK);
    expect(before - t.free()).toBe(6n);
    expect(t.tr(p, 0x8000000123n)).toBe(0x5123n);
    expect(t.tr(p, 0xffffffffffffn)).toBe(UNMAPPED);
    expect(t.tr(p, 1n << 48n)).toBe(UNMAPPED);
  });

  it("picks 4 KiB, 2 MiB and 1 GiB leaves by the alignment of both addresses", () => {
    const t = machine();
    const p = t.create();
    // 64 MiB, both aligned: 2 MiB leaves only (32 of them), PDPT + PD.
    let before = t.free();
    expect(t.map(p, 0n, 0x40000000n, 0x4000000n, RWX, WB, ALLOW_2M)).toBe(OK);
    expect(before - t.free()).toBe(2n);
    for (let g = 0n; g < 0x4000000n; g += M2) expect(t.size(p, g + 0x1234n)).toBe(M2);
    expect(t.tr(p, 0x3ffffffn)).toBe(0x43ffffffn);

    // The same without large pages: a PT per 2 MiB.
    const q = t.create();
    before = t.free();
    expect(t.map(q, 0n, 0x40000000n, 0x4000000n, RWX, WB, 0)).toBe(OK);
    expect(before - t.free()).toBe(2n + 32n);
    expect(t.size(q, 0x200000n)).toBe(K4);

    // Host address only 4 KiB aligned: 4 KiB leaves though the guest side is aligned.
    const r = t.create();
    expect(t.map(r, 0n, 0x40001000n, M2, RWX, WB, ALLOW_2M | ALLOW_1G)).toBe(OK);
    expect(t.size(r, 0n)).toBe(K4);
    expect(t.tr(r, 0x1ff000n)).toBe(0x40200000n);

    // Unaligned head and tail around aligned 2 MiB pieces.
    const s = t.create();
    const g0 = 0x1ff000n, h0 = 0x1001ff000n;
    expect(t.map(s, g0, h0, K4 + 2n * M2 + K4, RW, WB, ALLOW_2M)).toBe(OK);
    expect(t.size(s, 0x1ff000n)).toBe(K4);
    expect(t.size(s, 0x200000n)).toBe(M2);
    expect(t.size(s, 0x400000n)).toBe(M2);
    expect(t.size(s, 0x600000n)).toBe(K4);
    expect(t.size(s, 0x601000n)).toBe(0n);
    for (const g of [0x1ff000n, 0x200000n, 0x3fffffn, 0x400000n, 0x600fffn]) expect(t.tr(s, g)).toBe(g - g0 + h0);

    // 1 GiB leaves only when the caller allows them.
    const u = t.create();
    expect(t.map(u, G1, 0x100000000n, 2n * G1 + M2, RWX, WB, ALLOW_2M | ALLOW_1G)).toBe(OK);
    expect(t.size(u, G1)).toBe(G1);
    expect(t.size(u, 2n * G1 + 0x12345n)).toBe(G1);
    expect(t.size(u, 3n * G1)).toBe(M2);
    expect(t.tr(u, 2n * G1 + 0x12345n)).toBe(0x140012345n);
    expect(t.tr(u, 3n * G1 + M2)).toBe(UNMAPPED);
    const v = t.create();
    expect(t.map(v, G1, 0x100000000n, G1, RWX, WB, ALLOW_2M)).toBe(OK);
    expect(t.size(v, G1)).toBe(M2);
  });

  it("writes permissions, memory type, ignore-PAT and page size into the leaves", () => {
    const t = machine();
    const p = t.create();
    expect(t.map(p, 0n, 0x10000000n, M2, RWX, WB)).toBe(OK);                // RAM: WB
    expect(t.map(p, 0xfee00000n, 0xfee00000n, K4, RW, UC)).toBe(OK);        // MMIO: UC
    expect(t.map(p, 0x400000n, 0x20000000n, K4, R | X, WB | IPAT)).toBe(OK);
    expect(t.map(p, 0x401000n, 0x20001000n, K4, X, WB)).toBe(OK);           // execute-only
    const ram = t.entry(p, 0x1000n);
    expect(ram & 0xffn).toBe(0x37n | PS);                                   // RWX, WB << 3, PS
    expect(ram & ADDR).toBe(0x10000000n);
    const mmio = t.entry(p, 0xfee00000n);
    expect(mmio & 0xfffn).toBe(0x03n);                                      // RW, UC, no PS
    expect(mmio & ADDR).toBe(0xfee00000n);
    expect(t.entry(p, 0x400000n) & 0xfffn).toBe(0x75n);                     // R X, WB, IPAT
    expect(t.entry(p, 0x401000n) & 0xfffn).toBe(0x34n);
    expect(t.entry(p, 0x402000n)).toBe(0n);
  });

  it("rejects bad arguments without changing anything", () => {
    const t = machine();
    const p = t.create();
    const before = t.free();
    const bad: Array<[bigint, bigint, bigint, bigint, number, number]> = [
      [p, 0x800n, 0n, K4, RWX, WB],         // misaligned gpa
      [p, 0n, 0x800n, K4, RWX, WB],         // misaligned hpa
      [p, 0n, 0n, 0x800n, RWX, WB],         // misaligned size
      [p, 0n, 0n, K4, W, WB],               // write without read: a misconfiguration
      [p, 0n, 0n, K4, W | X, WB],
      [p, 0n, 0n, K4, 0, WB],               // no access: use eptUnmap
      [p, 0n, 0n, K4, 0x100, WB],           // not a permission bit
      [p, 0n, 0n, K4, RWX, 2],              // reserved memory types
      [p, 0n, 0n, K4, RWX, 3],
      [p, 0n, 0n, K4, RWX, 7],
      [p, 0n, 0n, K4, RWX, WB | 0x80],
      [p, 1n << 48n, 0n, K4, RWX, WB],      // beyond a 4-level walk
      [p, (1n << 48n) - K4, 0n, 2n * K4, RWX, WB],
      [p, 0n, 1n << 52n, K4, RWX, WB],      // beyond physical addresses
      [p, 0n, (1n << 52n) - K4, 2n * K4, RWX, WB],
      [0n, 0n, 0n, K4, RWX, WB],            // no EPT
    ];
    for (const [pm, g, h, s, perms, mt] of bad) {
      expect(t.e.eptMap(pm, g, h, s, perms, mt, 3), `${g} ${h} ${s} ${perms} ${mt}`).toBe(EINVAL);
    }
    expect(t.e.eptUnmap(p, 0x800n, K4)).toBe(EINVAL);
    expect(t.e.eptProtect(p, 0n, K4, W)).toBe(EINVAL);
    expect(t.e.eptProtect(p, 0n, K4, 0)).toBe(EINVAL);
    expect(t.free()).toBe(before);
    expect(t.tr(p, 0n)).toBe(UNMAPPED);
    expect(t.map(p, 0n, 0n, 0n)).toBe(OK); // empty range: nothing to do
    expect(t.free()).toBe(before);
  });

  it("protect splits a 2 MiB page into 4 KiB entries and keeps the rest mapped", () => {
    const t = machine();
    const p = t.create();
    expect(t.map(p, 0x200000n, 0x80000000n, 2n * M2, RWX, WB, ALLOW_2M)).toBe(OK);
    const before = t.free();
    expect(t.e.eptProtect(p, 0x201000n, K4, R)).toBe(OK);
    expect(before - t.free()).toBe(1n); // one PT
    expect(t.size(p, 0x201000n)).toBe(K4);
    expect(t.entry(p, 0x201000n) & 0xfffn).toBe(0x31n); // R, WB kept
    for (let g = 0x200000n; g < 0x400000n; g += K4) {
      expect(t.tr(p, g + 0x10n)).toBe(g - 0x200000n + 0x80000010n);
      expect(t.size(p, g)).toBe(K4);
      if (g !== 0x201000n) expect(t.entry(p, g) & 0xfffn, `0x${g.toString(16)}`).toBe(0x37n);
    }
    // The neighbouring 2 MiB page is untouched; protecting all of it keeps it large.
    expect(t.size(p, 0x400000n)).toBe(M2);
    expect(t.e.eptProtect(p, 0x400000n, M2, R | X)).toBe(OK);
    expect(t.size(p, 0x400000n)).toBe(M2);
    expect(t.entry(p, 0x400000n) & 0xfffn).toBe(0x35n | PS);
    // Holes are skipped.
    expect(t.e.eptProtect(p, 0n, 0x1000000n, RW)).toBe(OK);
    expect(t.entry(p, 0x3ff000n) & 7n).toBe(3n);
    expect(t.entry(p, 0x500000n) & 7n).toBe(3n);
    expect(t.tr(p, 0x600000n)).toBe(UNMAPPED);
  });

  it("protect splits a 1 GiB page down to the 4 KiB it needs", () => {
    const t = machine();
    const p = t.create();
    expect(t.map(p, 0n, 0x100000000n, G1)).toBe(OK);
    expect(t.size(p, 0n)).toBe(G1);
    const before = t.free();
    expect(t.e.eptProtect(p, 0x3ff000n, K4, R)).toBe(OK);
    expect(before - t.free()).toBe(2n); // a PD of 2 MiB leaves, a PT
    expect(t.size(p, 0x3ff000n)).toBe(K4);
    expect(t.size(p, 0x200000n)).toBe(K4);
    expect(t.size(p, 0x400000n)).toBe(M2);
    expect(t.size(p, G1 - K4)).toBe(M2);
    for (const g of [0n, 0x3ff123n, 0x400000n, G1 - 1n]) expect(t.tr(p, g)).toBe(0x100000000n + g);
  });

  it("unmaps, splitting large pages at the edges and freeing empty tables", () => {
    const t = machine();
    const p = t.create();
    const base = t.free();
    expect(t.map(p, 0n, 0x1000000n, 3n * M2, RWX, WB, ALLOW_2M)).toBe(OK);
    expect(t.e.eptUnmap(p, 0x201000n, K4)).toBe(OK);
    expect(t.tr(p, 0x201000n)).toBe(UNMAPPED);
    expect(t.tr(p, 0x200fffn)).toBe(0x1200fffn);
    expect(t.tr(p, 0x202000n)).toBe(0x1202000n);
    expect(t.size(p, 0n)).toBe(M2);
    expect(t.size(p, 0x400000n)).toBe(M2);
    expect(t.e.eptUnmap(p, 0x100000n, 0x400000n)).toBe(OK); // half of the first and last pages
    expect(t.tr(p, 0xff000n)).toBe(0x10ff000n);
    expect(t.tr(p, 0x100000n)).toBe(UNMAPPED);
    expect(t.tr(p, 0x4fffffn)).toBe(UNMAPPED);
    expect(t.tr(p, 0x500000n)).toBe(0x1500000n);
    expect(t.e.eptUnmap(p, 0n, G1)).toBe(OK);
    for (const g of [0n, 0xff000n, 0x500000n]) expect(t.tr(p, g)).toBe(UNMAPPED);
    expect(t.free()).toBe(base); // only the PML4 is left
    expect(t.e.eptUnmap(p, 0n, G1)).toBe(OK); // unmapping nothing is fine
  });

  it("remapping replaces mappings and frees the tables below a new large leaf", () => {
    const t = machine();
    const p = t.create();
    expect(t.map(p, 0n, 0x1000000n, M2, RW, WB, 0)).toBe(OK);
    const small = t.free();
    expect(t.map(p, 0n, 0x2000000n, M2, RWX, WB, ALLOW_2M)).toBe(OK);
    expect(t.free()).toBe(small + 1n); // the PT went
    expect(t.size(p, 0x1000n)).toBe(M2);
    expect(t.tr(p, 0x1000n)).toBe(0x2001000n);
    // A 4 KiB remap inside the 2 MiB page splits it; the rest keeps its target.
    expect(t.map(p, 0x5000n, 0x7000000n, K4, R, UC, 3)).toBe(OK);
    expect(t.tr(p, 0x5000n)).toBe(0x7000000n);
    expect(t.entry(p, 0x5000n) & 0x3fn).toBe(0x01n);
    expect(t.tr(p, 0x6000n)).toBe(0x2006000n);
    expect(t.entry(p, 0x6000n) & 0x3fn).toBe(0x37n);
  });

  it("destroy returns every table frame", () => {
    const t = machine();
    const start = t.free();
    const p = t.create();
    expect(t.map(p, 0n, 0x100000000n, 4n * G1, RWX, WB, 3)).toBe(OK);
    expect(t.map(p, 0x123456000n, 0x9000n, 0x5000n)).toBe(OK);
    expect(t.map(p, 0x8000000000n, 0x0n, 0x800000n, RW, UC, 0)).toBe(OK);
    expect(t.e.eptProtect(p, 0x10000000n, K4, R)).toBe(OK);
    expect(t.free()).toBeLessThan(start - 10n);
    t.e.eptDestroy(p);
    expect(t.free()).toBe(start);
    t.e.eptDestroy(0n); // no EPT: nothing to do
    expect(t.free()).toBe(start);
  });

  it("out of frames: an error, translations unchanged, nothing leaked", () => {
    const t = machine(0x100000n, 0x8000n); // 8 frames
    const p = t.create();
    expect(t.map(p, 0x40000000n, 0x1000000n, M2, RWX, WB, ALLOW_2M)).toBe(OK); // PDPT + PD
    const before = t.free();
    expect(before).toBe(5n);
    // 16 MiB of 4 KiB pages in a new 1 GiB slot needs a PD and 8 PTs.
    expect(t.map(p, 0n, 0x2000000n, 0x1000000n, RWX, WB, 0)).toBe(ENOMEM);
    expect(t.free()).toBe(before);
    expect(t.tr(p, 0n)).toBe(UNMAPPED);
    expect(t.tr(p, 0xfff000n)).toBe(UNMAPPED);
    expect(t.tr(p, 0x40001000n)).toBe(0x1001000n);
    // Splitting the 2 MiB page with no frame left fails and keeps it whole.
    const hold: bigint[] = [];
    for (let f = t.e.frameAlloc(); f !== 0n; f = t.e.frameAlloc()) hold.push(f);
    expect(t.e.eptProtect(p, 0x40001000n, K4, R)).toBe(ENOMEM);
    expect(t.e.eptUnmap(p, 0x40001000n, K4)).toBe(ENOMEM);
    expect(t.map(p, 0x40001000n, 0n, K4)).toBe(ENOMEM);
    expect(t.size(p, 0x40001000n)).toBe(M2);
    expect(t.entry(p, 0x40001000n) & 7n).toBe(7n);
    expect(t.tr(p, 0x40001000n)).toBe(0x1001000n);
    expect(t.create()).toBe(0n);
    // With a frame back, the same calls succeed.
    expect(t.e.frameFreeChecked(hold.pop()!)).toBe(0);
    expect(t.e.eptProtect(p, 0x40001000n, K4, R)).toBe(OK);
    expect(t.entry(p, 0x40001000n) & 7n).toBe(1n);
    expect(t.free()).toBe(0n);
    for (const f of hold) expect(t.e.frameFreeChecked(f)).toBe(0);
    t.e.eptDestroy(p);
    expect(t.free()).toBe(8n);
  });

  it("agrees with a page-by-page model over random map/protect/unmap", () => {
    const t = machine();
    const p = t.create();
    const start = t.free();
    const PAGES = 4096; // a 16 MiB window at 1 GiB - 8 MiB, straddling a 1 GiB boundary
    const BASE = G1 - 0x800000n;
    const model: Array<{ h: bigint; perms: number; mt: number } | null> = new Array(PAGES).fill(null);
    let seed = 12345;
    const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
    const pick = () => {
      const aligned = rnd(2) === 0;
      const first = aligned ? rnd(8) * 512 : rnd(PAGES);
      const count = aligned ? (1 + rnd(3)) * 512 : 1 + rnd(700);
      return [first, Math.min(count, PAGES - first)] as const;
    };
    const PERMS = [R, RW, RWX, R | X, X];
    for (let op = 0; op < 60; op++) {
      const [first, count] = pick();
      const g = BASE + BigInt(first) * K4, s = BigInt(count) * K4;
      const kind = rnd(3);
      if (kind === 0) {
        const h = 0x200000000n + BigInt(rnd(64)) * M2 + (rnd(2) ? 0n : BigInt(rnd(512)) * K4);
        const perms = PERMS[rnd(PERMS.length)], mt = rnd(2) ? WB : UC;
        expect(t.map(p, g, h, s, perms, mt, rnd(4))).toBe(OK);
        for (let i = 0; i < count; i++) model[first + i] = { h: h + BigInt(i) * K4, perms, mt };
      } else if (kind === 1) {
        const perms = PERMS[rnd(PERMS.length)];
        expect(t.e.eptProtect(p, g, s, perms)).toBe(OK);
        for (let i = 0; i < count; i++) if (model[first + i]) model[first + i] = { ...model[first + i]!, perms };
      } else {
        expect(t.e.eptUnmap(p, g, s)).toBe(OK);
        for (let i = 0; i < count; i++) model[first + i] = null;
      }
      for (let i = 0; i < PAGES; i++) {
        const ga = BASE + BigInt(i) * K4;
        const want = model[i];
        const e = t.entry(p, ga);
        if (want === null) {
          if (e !== 0n) throw new Error(`op ${op}: page ${i} mapped, expected a hole`);
          continue;
        }
        if (t.tr(p, ga + 0x123n) !== want.h + 0x123n || (e & 7n) !== BigInt(want.perms) || ((e >> 3n) & 7n) !== BigInt(want.mt)) {
          throw new Error(`op ${op}: page ${i}: entry 0x${e.toString(16)}, want ${JSON.stringify(want, (_, v) => typeof v === "bigint" ? v.toString(16) : v)}`);
        }
      }
    }
    expect(t.e.eptUnmap(p, BASE, BigInt(PAGES) * K4)).toBe(OK);
    expect(t.free()).toBe(start); // every table pruned again
    t.e.eptDestroy(p);
  });
});
