// Zero runs left out (src/lib/zeros.ts), the packing of a snapshot's state:
// blocks of every shape round-trip, with and without a gap in the output,
// and packed bytes that do not make the size asked for are refused.
import { describe, expect, it } from "vitest";
import { vmxMachine } from "./fixtures";

const SRC = 0x50000, PACKED = 0x60000, OUT = 0x70000;

function world() {
  const { m, e } = vmxMachine();
  const put = (at: number, b: Uint8Array) => m.bytes.set(b, at);
  const get = (at: number, n: number) => Uint8Array.from(m.bytes.subarray(at, at + n));
  return { m, e, put, get };
}

// A block of `n` bytes: runs of zeros and of data, as a seeded generator makes them.
function block(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; ) {
    x = (x * 1103515245 + 12345) >>> 0;
    const run = 1 + ((x >>> 8) % 200);
    const zero = (x & 3) !== 0;
    for (let k = 0; k < run && i < n; k++, i++) b[i] = zero ? 0 : 1 + ((x >>> (k % 24)) & 0xfe);
  }
  return b;
}

describe("zero-run packing", () => {
  it("round-trips blocks of every length and mix, and packs a mostly-zero block small", () => {
    const w = world();
    for (const n of [0, 1, 7, 8, 9, 15, 16, 17, 100, 4096, 7692, 9000]) {
      for (const seed of [1, 2, 3]) {
        const b = block(n, seed * 7919 + n);
        w.put(SRC, b);
        const len = w.e.statePack(SRC, n, PACKED);
        expect(len).toBeLessThanOrEqual(w.e.statePackBound(n));
        w.m.bytes.fill(0xcc, OUT, OUT + n + 64);
        expect(w.e.stateUnpack(PACKED, len, OUT, n, 0, 0), `n ${n}`).toBe(1);
        expect(w.get(OUT, n)).toEqual(b);
        expect(w.m.bytes[OUT + n]).toBe(0xcc);
      }
    }
    const sparse = new Uint8Array(8192);
    sparse[100] = 1;
    sparse[5000] = 2;
    w.put(SRC, sparse);
    expect(w.e.statePack(SRC, 8192, PACKED)).toBeLessThan(64);
  });

  it("leaves a gap in the output where asked: what follows it goes after the gap", () => {
    const w = world();
    const b = block(1000, 42);
    w.put(SRC, b);
    const len = w.e.statePack(SRC, 1000, PACKED);
    w.m.bytes.fill(0xcc, OUT, OUT + 2000);
    expect(w.e.stateUnpack(PACKED, len, OUT, 1000, 272, 512)).toBe(1);
    expect(w.get(OUT, 272)).toEqual(b.subarray(0, 272));
    expect(w.get(OUT + 272, 512).every((x) => x === 0xcc)).toBe(true);
    expect(w.get(OUT + 784, 728)).toEqual(b.subarray(272));
  });

  it("refuses packed bytes that are cut short, too long, or claim more words than the size", () => {
    const w = world();
    const b = block(4096, 5);
    w.put(SRC, b);
    const len = w.e.statePack(SRC, 4096, PACKED);
    expect(w.e.stateUnpack(PACKED, len - 1, OUT, 4096, 0, 0)).toBe(0);
    expect(w.e.stateUnpack(PACKED, len + 8, OUT, 4096, 0, 0)).toBe(0);
    expect(w.e.stateUnpack(PACKED, len, OUT, 4088, 0, 0)).toBe(0);
    w.m.view.setUint32(PACKED, 0xffffffff, true);
    w.m.bytes.fill(0xcc, OUT + 4096, OUT + 8192);
    expect(w.e.stateUnpack(PACKED, len, OUT, 4096, 0, 0)).toBe(0);
    expect(w.get(OUT + 4096, 4096).every((x) => x === 0xcc)).toBe(true);
  });
});
