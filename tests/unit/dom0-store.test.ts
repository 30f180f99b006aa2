// Domain 0's image store (dom0/store.ts) on its compiled wasm, against a RAM
// disk in Domain 0's heap (dom0/ramdisk.ts): what a disk holds, images
// saved, listed, read back byte for byte, replaced and removed; the order
// of writes and flushes; a power cut after every sector of a save, a
// replace, a remove and a format; metadata corrupted byte by byte and
// field by field (refused or the other slot used, never a trap); the
// limits (space, extents, 128 images, names, a small disk) and the
// device's errors; memory not growing with an image's size.
import { describe, expect, it } from "vitest";
import { crc32c as crc32 } from "../sim/crc32c";
import { Dom0 } from "../sim/dom0";

const SECTOR = 512, BLOCK = 4096, KIB = 1024, MIB = 1 << 20;
const DIR_A = 2, DIR_B = 8, DATA = 14;   // blocks: superblocks 0 and 1, directory areas, data
const ENTRY = 160;
const SCRATCH = 0x20000, SCRATCH_SIZE = 0xc0000;   // below the wasm data and d.str's 0x100000
const PROBE = { OURS: 0, BLANK: 1, OTHER: 2, UNREADABLE: 3 };
// Sizes of the pieces a save is written in and a read asks for (cycled).
const WRITES = [1, 4095, 70000, 4097, 65536, 300000, 511];
const READS = [65536, 3, 100000, 4096, 777];

interface Img { name: string; domName: string; memKiB: number; bytes: number; savedAt: number; crc: number; extents: number[][] }

function pattern(seed: number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = (Math.imul(seed + 1, 2654435761) >>> 0) || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

class Store {
  readonly d: Dom0;
  constructor(readonly sectors: number) {
    this.d = new Dom0();
    this.d.exports.ramdiskCreate(BigInt(sectors));
  }
  get e(): any { return this.d.exports; }
  s(name: string, ...args: unknown[]): string { return this.d.call(name, ...args); }
  get disk(): Uint8Array {
    const a = this.e.ramdiskAddr() >>> 0;
    return this.d.bytes.subarray(a, a + this.sectors * SECTOR);
  }
  block(n: number): Uint8Array { return this.disk.subarray(n * BLOCK, (n + 1) * BLOCK); }
  written(): number { return Number(this.e.ramdiskWritten()); }
  probe(): number { return this.e.storeProbeRam(); }
  mount(): string { return this.s("storeMountRam"); }
  format(): string { return this.s("storeFormatRam"); }
  list(): Img[] { return JSON.parse(this.s("storeImagesJson")); }
  names(): string[] { return this.list().map((i) => i.name); }
  find(name: string): Img | null { return JSON.parse(this.s("storeFindJson", this.d.str(name))); }
  free(): number { return Number(this.e.storeFreeKiB()); }
  begin(name: string, max: number | bigint): string { return this.s("storeWriteBegin", this.d.str(name), BigInt(max)); }
  write(bytes: Uint8Array): string {
    if (bytes.length > SCRATCH_SIZE) throw new Error("write: piece too large");
    this.d.bytes.set(bytes, SCRATCH);
    return this.s("storeWrite", SCRATCH, bytes.length);
  }
  commit(dom = "web", memKiB = 2048, at = 1700000000): string {
    return this.s("storeWriteCommit", this.d.str(dom), BigInt(memKiB), BigInt(at));
  }
  abort(): void { this.e.storeWriteAbort(); }
  save(name: string, data: Uint8Array, o: { max?: number; dom?: string; memKiB?: number; at?: number } = {}): string {
    let e = this.begin(name, o.max ?? data.length);
    for (let off = 0, k = 0; e === "" && off < data.length; k++) {
      const n = Math.min(WRITES[k % WRITES.length], data.length - off);
      e = this.write(data.subarray(off, off + n));
      off += n;
    }
    if (e !== "") {
      this.abort();
      return e;
    }
    return this.commit(o.dom, o.memKiB, o.at);
  }
  // The image's bytes, or the error that stopped the read.
  load(name: string): Uint8Array | string {
    const e = this.s("storeReadBegin", this.d.str(name));
    if (e !== "") return e;
    const parts: Uint8Array[] = [];
    for (let k = 0; ; k++) {
      const n = Number(this.e.storeRead(SCRATCH, READS[k % READS.length]));
      if (n < 0) return this.s("storeError");
      if (n === 0) break;
      parts.push(this.d.bytes.slice(SCRATCH, SCRATCH + n));
    }
    return Buffer.concat(parts);
  }
  // Every listed image read back: name -> bytes.
  state(): Map<string, Uint8Array> {
    const m = new Map<string, Uint8Array>();
    for (const { name } of this.list()) {
      const b = this.load(name);
      if (typeof b === "string") throw new Error(`reading ${name}: ${b}`);
      m.set(name, b);
    }
    return m;
  }
}

function same(a: Uint8Array | string, b: Uint8Array): boolean {
  return typeof a !== "string" && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}
function expectBytes(got: Uint8Array | string, want: Uint8Array): void {
  if (typeof got === "string") throw new Error(`read failed: ${got}`);
  expect(got.length).toBe(want.length);
  expect(same(got, want)).toBe(true);
}
function sameState(a: Map<string, Uint8Array>, b: Map<string, Uint8Array>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (!b.has(k) || !same(v, b.get(k)!)) return false;
  return true;
}
function withImage(st: Map<string, Uint8Array>, name: string, data: Uint8Array | null): Map<string, Uint8Array> {
  const m = new Map(st);
  if (data === null) m.delete(name);
  else m.set(name, data);
  return new Map([...m].sort(([x], [y]) => (x < y ? -1 : 1)));
}

// The on-disk format, from the test's side.
const gen = (s: Store, slot: number) => view(s.block(slot)).getBigUint64(16, true);
const activeSlot = (s: Store) => (gen(s, 0) > gen(s, 1) ? 0 : 1);
function seal(block: Uint8Array): void { view(block).setUint32(4092, crc32(block.subarray(0, 4092)), true); }
// Seals slot `slot`'s directory blocks (as many as its superblock says, up
// to its area's 6), then its superblock over them.
function reseal(s: Store, slot: number): void {
  const sb = view(s.block(slot));
  const start = slot === 0 ? DIR_A : DIR_B, n = Math.min(sb.getUint32(36, true), 6);
  for (let b = 0; b < n; b++) seal(s.block(start + b));
  sb.setUint32(44, crc32(s.disk.subarray(start * BLOCK, (start + n) * BLOCK)), true);
  seal(s.block(slot));
}
const entry = (s: Store, slot: number, i: number) =>
  view(s.disk.subarray((slot === 0 ? DIR_A : DIR_B) * BLOCK + i * ENTRY, (slot === 0 ? DIR_A : DIR_B) * BLOCK + (i + 1) * ENTRY));
function setName(e: DataView, off: number, name: string): void {
  for (let i = 0; i < 32; i++) e.setUint8(off + i, i < name.length ? name.charCodeAt(i) : 0);
}

// A mounted store's listing is sane: what mount must guarantee whatever the disk held.
function expectSane(list: Img[], totalBlocks: number): void {
  const used: number[][] = [];
  for (let i = 0; i < list.length; i++) {
    const m = list[i];
    expect(m.name).toMatch(/^[\x21-\x2e\x30-\x7e]{1,31}$/);
    if (i > 0) expect(list[i - 1].name < m.name).toBe(true);
    expect(m.extents.length).toBeLessThanOrEqual(8);
    let sum = 0;
    for (const [start, n] of m.extents) {
      expect(start).toBeGreaterThanOrEqual(DATA);
      expect(n).toBeGreaterThan(0);
      expect(start + n).toBeLessThanOrEqual(totalBlocks);
      used.push([start, n]);
      sum += n;
    }
    expect(sum).toBe(Math.ceil(m.bytes / BLOCK));
  }
  used.sort((x, y) => x[0] - y[0]);
  for (let i = 1; i < used.length; i++) expect(used[i - 1][0] + used[i - 1][1]).toBeLessThanOrEqual(used[i][0]);
}

describe("what a disk holds", () => {
  it("tells a blank disk, something else and a store apart, and mounts only a store", () => {
    const s = new Store(4 * MIB / SECTOR);
    expect(s.probe()).toBe(PROBE.BLANK);
    expect(s.mount()).toBe("no store on this disk (mkstore formats it)");
    expect(s.e.storeMounted()).toBe(0);
    expect(s.begin("a", 10)).toBe("no store mounted");
    s.disk[40 * 1024 + 5] = 1;           // within the first 64 KiB
    expect(s.probe()).toBe(PROBE.OTHER);
    expect(s.mount()).toBe("the disk holds something else");
    s.disk[40 * 1024 + 5] = 0;
    s.disk[64 * 1024] = 1;               // past them: still blank
    expect(s.probe()).toBe(PROBE.BLANK);
    expect(s.format()).toBe("");
    expect(s.e.storeMounted()).toBe(1);
    expect(s.probe()).toBe(PROBE.OURS);
    expect(s.list()).toEqual([]);
    expect(s.free()).toBe((1024 - DATA) * 4);
    // Both slots hold the empty store, generations 1 and 2.
    expect([gen(s, 0), gen(s, 1)]).toEqual([1n, 2n]);
    expect(s.mount()).toBe("");
    expect(s.list()).toEqual([]);
    // A torn superblock in one slot: still ours.
    s.block(1)[100] ^= 1;
    expect(s.probe()).toBe(PROBE.OURS);
    expect(s.mount()).toBe("");
  });

  it("formats over a store, keeping its generations going up", () => {
    const s = new Store(4 * MIB / SECTOR);
    expect(s.format()).toBe("");
    expect(s.save("a", pattern(1, 9000))).toBe("");
    expect(s.format()).toBe("");
    expect(s.list()).toEqual([]);
    expect([gen(s, 0), gen(s, 1)].sort()).toEqual([4n, 5n]);
    expect(s.mount()).toBe("");
    expect(s.list()).toEqual([]);
    expect(s.free()).toBe((1024 - DATA) * 4);
  });

  it("refuses a disk too small to format", () => {
    for (const sectors of [0, 7, 2047]) {
      const s = new Store(sectors);
      expect(s.format()).toBe(`disk too small for a store: ${Math.floor(sectors / 2)} KiB, at least 1024 KiB`);
      expect(s.e.storeMounted()).toBe(0);
      expect(s.mount()).toBe("no store on this disk (mkstore formats it)");
      expect(s.disk.every((b) => b === 0)).toBe(true);
    }
    const s = new Store(2048);             // 1 MiB: the smallest
    expect(s.format()).toBe("");
    expect(s.free()).toBe((256 - DATA) * 4);
    expect(s.save("x", pattern(2, 100000))).toBe("");
    expectBytes(s.load("x"), pattern(2, 100000));
  });
});

describe("saving and reading images", () => {
  const SIZES: Array<[string, number]> = [
    ["empty", 0], ["one", 1], ["block-1", 4095], ["block", 4096], ["block+1", 4097], ["mid", 100000],
    ["big", 3 * MIB + 123], ["a.b_c-9", 65536 * 2 + 17],
  ];

  it("saves, lists, reads back, replaces, removes, and a fresh mount sees the same", () => {
    const s = new Store(8 * MIB / SECTOR);
    expect(s.format()).toBe("");
    const want = new Map<string, Uint8Array>();
    let free = s.free();
    SIZES.forEach(([name, n], i) => {
      const data = pattern(i, n);
      expect(s.save(name, data, { dom: `dom${i}`, memKiB: 1024 * (i + 1), at: 1700000000 + i })).toBe("");
      want.set(name, data);
      free -= Math.ceil(n / BLOCK) * 4;
      expect(s.free()).toBe(free);
    });
    const names = [...want.keys()].sort();
    expect(s.names()).toEqual(names);
    SIZES.forEach(([name, n], i) => {
      expect(s.find(name)).toMatchObject({
        name, domName: `dom${i}`, memKiB: 1024 * (i + 1), bytes: n, savedAt: 1700000000 + i, crc: crc32(want.get(name)!),
      });
      expectBytes(s.load(name), want.get(name)!);
    });
    expect(s.find("nothing")).toBeNull();
    // One block each for one, block-1 and block, two for block+1, 25 for mid: big comes next, in one piece.
    expect(s.find("big")!.extents).toEqual([[DATA + 30, Math.ceil((3 * MIB + 123) / BLOCK)]]);

    // Replacing: the new one needs room beside the old; the old's space is free after.
    const oldBig = s.find("big")!;
    const big2 = pattern(99, 2 * MIB + 5);
    expect(s.save("big", big2, { dom: "db", memKiB: 65536, at: 1800000000 })).toBe("");
    want.set("big", big2);
    free += oldBig.extents[0][1] * 4 - Math.ceil(big2.length / BLOCK) * 4;
    expect(s.free()).toBe(free);
    expect(s.find("big")).toMatchObject({ domName: "db", memKiB: 65536, bytes: big2.length, savedAt: 1800000000 });
    expectBytes(s.load("big"), big2);

    expect(s.s("storeRemove", s.d.str("one"))).toBe("");
    want.delete("one");
    free += 4;
    expect(s.free()).toBe(free);
    expect(s.find("one")).toBeNull();
    expect(s.load("one")).toBe("no image named one");
    expect(s.s("storeRemove", s.d.str("one"))).toBe("no image named one");

    const listing = s.s("storeImagesJson");
    expect(s.mount()).toBe("");
    expect(s.s("storeImagesJson")).toBe(listing);
    expect(s.free()).toBe(free);
    // A fresh Domain 0 on a copy of the disk.
    const t = new Store(s.sectors);
    t.disk.set(s.disk);
    expect(t.probe()).toBe(PROBE.OURS);
    expect(t.mount()).toBe("");
    expect(t.s("storeImagesJson")).toBe(listing);
    expect(sameState(t.state(), withImage(want, "one", null))).toBe(true);
  });

  it("writes the data and the directory, flushes, then the other slot's superblock, flushes", () => {
    const s = new Store(4 * MIB / SECTOR);
    expect(s.format()).toBe("");
    s.s("ramdiskLogTake");
    for (let k = 0; k < 4; k++) {
      const slot = 1 - activeSlot(s);
      const op = k === 3 ? () => s.s("storeRemove", s.d.str("i1")) : () => s.save(`i${k}`, pattern(k, 100000 + k));
      expect(op()).toBe("");
      const log = s.s("ramdiskLogTake").split(",");
      const dir = (slot === 0 ? DIR_A : DIR_B) * 8;
      expect(log.slice(-4)).toEqual([`w ${dir} 8`, "f", `w ${slot * 8} 8`, "f"]);
      // Before them only the image's data, into the data area, no flush.
      for (const w of log.slice(0, -4)) expect(Number(w.split(" ")[1])).toBeGreaterThanOrEqual(DATA * 8);
      expect(log.slice(0, -4).reduce((t, w) => t + Number(w.split(" ")[2]), 0)).toBe(k === 3 ? 0 : 25 * 8);
      expect(activeSlot(s)).toBe(slot);
    }
  });

  it("an abort leaves the disk as it was and frees the reservation", () => {
    const s = new Store(4 * MIB / SECTOR);
    expect(s.format()).toBe("");
    expect(s.save("keep", pattern(1, 10000))).toBe("");
    const meta = s.disk.slice(0, DATA * BLOCK);
    const free = s.free();
    expect(s.begin("keep", 500000)).toBe("");
    expect(s.free()).toBe(free - Math.ceil(500000 / BLOCK) * 4);
    expect(s.write(pattern(2, 300000))).toBe("");
    expect(s.begin("other", 10)).toBe("a save is already in progress (image keep)");
    expectBytes(s.load("keep"), pattern(1, 10000));      // the old one, until the commit
    s.abort();
    expect(s.free()).toBe(free);
    expect(Buffer.from(s.disk.subarray(0, DATA * BLOCK)).equals(meta)).toBe(true);
    expectBytes(s.load("keep"), pattern(1, 10000));
    expect(s.write(pattern(3, 1))).toBe("no save in progress");
    expect(s.commit()).toBe("no save in progress");
    expect(s.mount()).toBe("");
    expect(s.names()).toEqual(["keep"]);
  });

  it("a read goes on from the image it began with, through a replace and saves after it", () => {
    const s = new Store(4 * MIB / SECTOR);
    expect(s.format()).toBe("");
    const old = pattern(1, 50000);
    expect(s.save("vm", old)).toBe("");
    expect(s.s("storeReadBegin", s.d.str("vm"))).toBe("");
    expect(Number(s.e.storeRead(SCRATCH, 1000))).toBe(1000);
    const head = s.d.bytes.slice(SCRATCH, SCRATCH + 1000);
    const free = s.free();
    expect(s.save("vm", pattern(2, 8000))).toBe("");
    expect(s.free()).toBe(free - 8);                     // vm's old 13 blocks still held by the read
    expect(s.save("x", pattern(3, 40000))).toBe("");
    expect(s.find("x")!.extents[0][0]).toBeGreaterThanOrEqual(DATA + 13);
    const parts = [head];
    for (let n; (n = Number(s.e.storeRead(SCRATCH, 7000))) > 0;) parts.push(s.d.bytes.slice(SCRATCH, SCRATCH + n));
    expectBytes(Buffer.concat(parts), old);
    expect(s.free()).toBe(free - 8 - 40 + 52);           // read to its end: vm's old blocks are free
    s.e.storeReadEnd();
    expectBytes(s.load("vm"), pattern(2, 8000));
  });

  it("records only the blocks used; a stream past its bound fails the save", () => {
    const s = new Store(4 * MIB / SECTOR);
    expect(s.format()).toBe("");
    const free = s.free();
    expect(s.save("x", pattern(1, 5000), { max: MIB })).toBe("");
    expect(s.find("x")!.extents).toEqual([[DATA, 2]]);
    expect(s.free()).toBe(free - 8);
    expect(s.begin("y", 1000)).toBe("");
    expect(s.write(pattern(2, 1000))).toBe("");
    expect(s.write(pattern(2, 1))).toBe("image y is longer than the 1000 bytes reserved for it");
    expect(s.write(pattern(2, 1))).toBe("image y is longer than the 1000 bytes reserved for it");
    expect(s.commit()).toBe("image y is longer than the 1000 bytes reserved for it");
    expect(s.names()).toEqual(["x"]);
    expect(s.free()).toBe(free - 8);
    // A bound of 0: an empty image, no blocks.
    expect(s.save("z", new Uint8Array(0), { max: 0 })).toBe("");
    expect(s.find("z")).toMatchObject({ bytes: 0, extents: [], crc: 0 });
    expectBytes(s.load("z"), new Uint8Array(0));
  });

  it("reports an image whose data changed on the disk as damaged", () => {
    const s = new Store(4 * MIB / SECTOR);
    expect(s.format()).toBe("");
    expect(s.save("a", pattern(1, 50000))).toBe("");
    expect(s.save("b", pattern(2, 50000))).toBe("");
    const [start] = s.find("b")!.extents[0];
    s.disk[start * BLOCK + 49999] ^= 0x40;
    expect(s.load("b")).toBe("image b is damaged (checksum)");
    expect(Number(s.e.storeRead(SCRATCH, 10))).toBe(-1);
    expectBytes(s.load("a"), pattern(1, 50000));
    // Bytes past the end of its last block are not its data.
    s.disk[start * BLOCK + 49999] ^= 0x40;
    s.disk[start * BLOCK + 50000] ^= 0x40;
    expectBytes(s.load("b"), pattern(2, 50000));
    expect(Number(s.e.storeRead(SCRATCH, 10))).toBe(0);
    s.e.storeReadEnd();
    expect(Number(s.e.storeRead(SCRATCH, 10))).toBe(-1);
    expect(s.s("storeError")).toBe("no image being read");
  });

  it("keeps Domain 0's memory flat whatever an image's size", () => {
    const s = new Store(8 * MIB / SECTOR);
    expect(s.format()).toBe("");
    expect(s.save("warm", pattern(1, 100000))).toBe("");
    expectBytes(s.load("warm"), pattern(1, 100000));
    const before = s.d.memory.buffer.byteLength;
    const big = pattern(2, 4 * MIB + 1);
    expect(s.save("big", big)).toBe("");
    expectBytes(s.load("big"), big);
    expect(s.d.memory.buffer.byteLength - before).toBeLessThanOrEqual(64 * KIB);
  });
});

describe("limits", () => {
  it("store full: space, and space in more than 8 pieces", () => {
    const s = new Store(4 * MIB / SECTOR);   // 1010 data blocks
    expect(s.format()).toBe("");
    expect(s.begin("huge", 4 * MIB)).toBe("store full: 4040 KiB free, 4096 KiB needed");
    expect(s.begin("huge", 2n ** 64n - 1n)).toMatch(/^store full: 4040 KiB free, \d+ KiB needed$/);
    // 20 images of 10 blocks, every other removed: 10 holes of 10 blocks; then the rest filled.
    for (let i = 0; i < 20; i++) expect(s.save(`f${String(i).padStart(2, "0")}`, pattern(i, 10 * BLOCK - i))).toBe("");
    for (let i = 0; i < 20; i += 2) expect(s.s("storeRemove", s.d.str(`f${String(i).padStart(2, "0")}`))).toBe("");
    expect(s.save("fill", pattern(50, (1010 - 200) * BLOCK))).toBe("");
    expect(s.free()).toBe(100 * 4);
    // 35 blocks: the first four holes.
    const frag = pattern(51, 35 * BLOCK - 100);
    expect(s.save("frag", frag)).toBe("");
    expect(s.find("frag")!.extents).toEqual([[DATA, 10], [DATA + 20, 10], [DATA + 40, 10], [DATA + 60, 5]]);
    expectBytes(s.load("frag"), frag);
    // 65 blocks free in 7 pieces (5 + 6 x 10) would need ... 7 extents: fine; 66 is too many.
    expect(s.free()).toBe(65 * 4);
    expect(s.begin("more", 66 * BLOCK)).toBe("store full: 260 KiB free, 264 KiB needed");
    const rest = pattern(52, 65 * BLOCK);
    expect(s.save("rest", rest)).toBe("");
    expect(s.find("rest")!.extents.length).toBe(7);
    expect(s.free()).toBe(0);
    expect(s.begin("one", 1)).toBe("store full: 0 KiB free, 4 KiB needed");
    expect(s.save("none", new Uint8Array(0))).toBe("");    // no blocks needed
    // 100 blocks free in 10 pieces: 80 of them in 8 extents, not 95.
    for (const n of ["rest", "frag", "none", "fill"]) expect(s.s("storeRemove", s.d.str(n))).toBe("");
    for (let i = 1; i < 20; i += 2) expect(s.s("storeRemove", s.d.str(`f${String(i).padStart(2, "0")}`))).toBe("");
    expect(s.free()).toBe(1010 * 4);
    for (let i = 0; i < 20; i++) expect(s.save(`g${String(i).padStart(2, "0")}`, pattern(i, 10 * BLOCK))).toBe("");
    expect(s.save("fill", pattern(50, (1010 - 200) * BLOCK))).toBe("");
    for (let i = 0; i < 20; i += 2) expect(s.s("storeRemove", s.d.str(`g${String(i).padStart(2, "0")}`))).toBe("");
    expect(s.free()).toBe(400);
    expect(s.begin("big", 95 * BLOCK)).toBe("store full: 400 KiB free, 380 KiB needed (the free space is in more than 8 pieces)");
    const eight = pattern(53, 80 * BLOCK - 1);
    expect(s.save("eight", eight)).toBe("");
    expect(s.find("eight")!.extents).toEqual(Array.from({ length: 8 }, (_, k) => [DATA + 20 * k, 10]));
    expect(s.mount()).toBe("");
    expectSane(s.list(), 1024);
    expectBytes(s.load("eight"), eight);
    expectBytes(s.load("g05"), pattern(5, 10 * BLOCK));
  });

  it("names: 1 to 31 printable characters, no spaces or slashes", () => {
    const s = new Store(4 * MIB / SECTOR);
    expect(s.format()).toBe("");
    for (const bad of ["", "a b", "a/b", "x".repeat(32), "tab\there", "\x01", "caf\xe9", "\x7f"]) {
      const msg = `bad image name "${bad}" (1 to 31 printable characters, no spaces or slashes)`;
      expect(s.begin(bad, 10)).toBe(msg);
      expect(s.s("storeReadBegin", s.d.str(bad))).toBe(msg);
      expect(s.s("storeRemove", s.d.str(bad))).toBe(msg);
    }
    const long = "n".repeat(31);
    expect(s.save(long, pattern(1, 10))).toBe("");
    expect(s.save("~!@#$%^&*()_+{}|:<>?`-=[];',.", pattern(2, 10))).toBe("");
    expect(s.names()).toEqual(["n".repeat(31), "~!@#$%^&*()_+{}|:<>?`-=[];',."].sort());
    // The domain's name: up to 31 printable characters (spaces allowed), checked at the commit.
    expect(s.begin("d", 10)).toBe("");
    expect(s.commit("x".repeat(32))).toBe(`bad domain name "${"x".repeat(32)}" (at most 31 printable characters)`);
    expect(s.find("d")).toBeNull();
    expect(s.save("d", pattern(3, 10), { dom: "my domain" })).toBe("");
    expect(s.save("e", pattern(3, 10), { dom: "" })).toBe("");
    expect(s.mount()).toBe("");
    expect(s.find("d")!.domName).toBe("my domain");
    expect(s.find("e")!.domName).toBe("");
    expect(s.find(long)!.name).toBe(long);
  });

  it("holds 128 images, not 129; replacing one of 128 still works", () => {
    const s = new Store(4 * MIB / SECTOR);
    expect(s.format()).toBe("");
    const name = (i: number) => `img${String(127 - i).padStart(3, "0")}`;   // saved in reverse name order
    for (let i = 0; i < 128; i++) expect(s.save(name(i), pattern(i, i * 37))).toBe("");
    expect(s.save("extra", pattern(1, 1))).toBe("store full: 128 images, the most it holds");
    expect(s.begin("extra", 0)).toBe("store full: 128 images, the most it holds");
    expect(s.save(name(5), pattern(500, 5000))).toBe("");
    expect(view(s.block(activeSlot(s))).getUint32(36, true)).toBe(6);   // directory blocks
    expect(s.mount()).toBe("");
    const list = s.list();
    expect(list.map((m) => m.name)).toEqual(Array.from({ length: 128 }, (_, i) => name(127 - i)));
    expectSane(list, 1024);
    for (let i = 0; i < 128; i++) expectBytes(s.load(name(i)), i === 5 ? pattern(500, 5000) : pattern(i, i * 37));
    expect(s.s("storeRemove", s.d.str(name(0)))).toBe("");
    expect(s.save("extra", pattern(1, 1))).toBe("");
  });
});

describe("device errors", () => {
  it("names the step and the device's error, and leaves the store as it was", () => {
    const s = new Store(4 * MIB / SECTOR);
    expect(s.format()).toBe("");
    expect(s.save("a", pattern(1, 5000))).toBe("");
    const listing = s.s("storeImagesJson");
    // In the data: at the fourth sector of b's first transfer (its blocks start at 16).
    s.e.ramdiskFailWritesAfter(3n);
    expect(s.begin("b", 100000)).toBe("");
    expect(s.write(pattern(2, 100000))).toBe(`writing image b: media error at LBA ${16 * 8 + 3}`);
    expect(s.commit()).toBe(`writing image b: media error at LBA ${16 * 8 + 3}`);
    expect(s.s("storeImagesJson")).toBe(listing);
    // In the directory (after one data block), in the superblock (after one more).
    const dirSlot = 1 - activeSlot(s);
    s.e.ramdiskFailWritesAfter(8n);
    expect(s.save("c", pattern(3, 10))).toBe(`writing the directory: media error at LBA ${(dirSlot === 0 ? DIR_A : DIR_B) * 8}`);
    expect(s.s("storeImagesJson")).toBe(listing);
    s.e.ramdiskFailWritesAfter(16n);
    expect(s.save("c", pattern(3, 10))).toBe(`writing the superblock: media error at LBA ${dirSlot * 8}`);
    expect(s.s("storeImagesJson")).toBe(listing);
    s.e.ramdiskFailWritesAfter(8n);
    expect(s.s("storeRemove", s.d.str("a"))).toBe(`writing the superblock: media error at LBA ${dirSlot * 8}`);
    expect(s.s("storeImagesJson")).toBe(listing);
    s.e.ramdiskFailWritesAfter(-1n);
    expect(s.mount()).toBe("");
    expect(s.s("storeImagesJson")).toBe(listing);
    expect(s.save("c", pattern(3, 10))).toBe("");
    expectBytes(s.load("a"), pattern(1, 5000));

    // Reads: the superblocks, the directory, an image.
    for (const [n, what] of [[0, "reading the superblock: media error at LBA 0"], [8, "reading the superblock: media error at LBA 8"],
      [16, `reading the directory: media error at LBA ${(activeSlot(s) === 0 ? DIR_A : DIR_B) * 8}`]] as Array<[number, string]>) {
      s.e.ramdiskFailReadsAfter(BigInt(n));
      expect(s.mount()).toBe(what);
      expect(s.e.storeMounted()).toBe(0);
      s.e.ramdiskFailReadsAfter(-1n);
    }
    s.e.ramdiskFailReadsAfter(0n);
    expect(s.probe()).toBe(PROBE.UNREADABLE);
    expect(s.s("storeError")).toBe("reading the superblock: media error at LBA 0");
    expect(s.format()).toBe("formatting: reading the superblock: media error at LBA 0");
    s.e.ramdiskFailReadsAfter(-1n);
    expect(s.mount()).toBe("");
    expect(s.s("storeReadBegin", s.d.str("a"))).toBe("");
    s.e.ramdiskFailReadsAfter(2n);
    const [start] = s.find("a")!.extents[0];
    expect(Number(s.e.storeRead(SCRATCH, 100))).toBe(-1);
    expect(s.s("storeError")).toBe(`reading image a: media error at LBA ${start * 8 + 2}`);
    s.e.ramdiskFailReadsAfter(-1n);
    expect(Number(s.e.storeRead(SCRATCH, 100))).toBe(-1);
    expectBytes(s.load("a"), pattern(1, 5000));

    // A blank disk that fails past its superblocks.
    const t = new Store(4 * MIB / SECTOR);
    t.e.ramdiskFailReadsAfter(16n);
    expect(t.probe()).toBe(PROBE.UNREADABLE);
    expect(t.s("storeError")).toBe("reading the disk: media error at LBA 0");
  });
});

// ── Power cuts ────────────────────────────────────────────────────────────
type State = Map<string, Uint8Array>;
const EARLY: Array<[string, number]> = [["a", 5000], ["b", 70000], ["c", 0], ["d", 200 * KIB + 7]];

function earlyStore(): { s: Store; base: Uint8Array; before: State } {
  const s = new Store(4 * MIB / SECTOR);
  expect(s.format()).toBe("");
  const before: State = new Map();
  EARLY.forEach(([name, n], i) => {
    expect(s.save(name, pattern(i, n))).toBe("");
    before.set(name, pattern(i, n));
  });
  return { s, base: s.disk.slice(), before };
}

// Runs `op` from the disk `base` with the writes after the N-th sector lost,
// for N = 0 .. every sector it writes; each time a fresh Domain 0 mounts a
// copy and must find one of `states` in full, never an earlier one than for
// a smaller N, and the last for the whole op. Every few N the store is used
// again after the cut. Returns the sectors the op writes.
function cutEverywhere(s: Store, base: Uint8Array, op: () => void, states: State[]): number {
  s.disk.set(base);
  expect(s.mount()).toBe("");
  const w0 = s.written();
  op();
  const writes = s.written() - w0;
  const viewer = new Store(s.sectors);
  const seen = states.map(() => 0);
  let last = 0;
  for (let n = 0; n <= writes; n++) {
    s.disk.set(base);
    expect(s.mount()).toBe("");
    s.e.ramdiskDropWritesAfter(BigInt(n));
    op();
    s.e.ramdiskDropWritesAfter(-1n);
    viewer.disk.set(s.disk);
    const m = viewer.mount();
    if (m !== "") throw new Error(`cut after ${n} of ${writes} sectors: mount: ${m}`);
    const st = viewer.state();
    const i = states.findIndex((x) => sameState(x, st));
    if (i < 0) throw new Error(`cut after ${n} of ${writes} sectors: the store holds ${[...st.keys()]}, not a state it went through`);
    if (i < last) throw new Error(`cut after ${n} sectors: state ${i} after state ${last}`);
    last = i;
    seen[i]++;
    if (n % 13 === 0) {
      // Still usable: a save after the cut, then everything reads back.
      expect(viewer.save("zz", pattern(n, 3000 + n))).toBe("");
      expect(viewer.mount()).toBe("");
      expect(sameState(viewer.state(), withImage(states[i], "zz", pattern(n, 3000 + n)))).toBe(true);
    }
    viewer.e.collect();
    s.e.collect();
  }
  expect(last).toBe(states.length - 1);
  for (const k of seen) expect(k).toBeGreaterThan(0);
  return writes;
}

describe("a power cut at any sector", () => {
  it("of a save: the earlier images read back, the new one is whole or absent", () => {
    const { s, base, before } = earlyStore();
    const e = pattern(77, 30000);
    const w = cutEverywhere(s, base, () => { expect(s.save("e", e, { max: 64 * KIB })).toBe(""); }, [before, withImage(before, "e", e)]);
    expect(w).toBe(8 * 8 + 8 + 8);
  });

  it("of a replace: the old image or the new one, whole", () => {
    const { s, base, before } = earlyStore();
    const b2 = pattern(78, 50000);
    cutEverywhere(s, base, () => { expect(s.save("b", b2)).toBe(""); }, [before, withImage(before, "b", b2)]);
    const d2 = pattern(79, 300 * KIB + 1);   // several transfers
    const w = cutEverywhere(s, base, () => { expect(s.save("d", d2)).toBe(""); }, [before, withImage(before, "d", d2)]);
    expect(w).toBe(76 * 8 + 16);
  });

  it("of a remove, and of a save into the space the remove freed", () => {
    const { s, base, before } = earlyStore();
    cutEverywhere(s, base, () => { expect(s.s("storeRemove", s.d.str("a"))).toBe(""); }, [before, withImage(before, "a", null)]);
    const f = pattern(80, 190 * KIB);
    const noD = withImage(before, "d", null);
    cutEverywhere(s, base, () => {
      expect(s.s("storeRemove", s.d.str("d"))).toBe("");
      expect(s.save("f", f)).toBe("");
      expect(s.find("f")!.extents[0][0]).toBe(DATA + 2 + 18);   // d's old blocks, after a and b
    }, [before, noD, withImage(noD, "f", f)]);
  });

  it("of a format: the old store or the new empty one", () => {
    const { s, base, before } = earlyStore();
    const w = cutEverywhere(s, base, () => { expect(s.format()).toBe(""); }, [before, new Map()]);
    expect(w).toBe(4 * 8);
  });
});

// ── Damaged metadata ──────────────────────────────────────────────────────
// A store whose slot B (generation 4) lists a and b and slot A (3) only a.
function twoSlots(): { s: Store; base: Uint8Array } {
  const s = new Store(4 * MIB / SECTOR);
  expect(s.format()).toBe("");
  expect(s.save("a", pattern(1, 9000))).toBe("");
  expect(s.save("b", pattern(2, 20000))).toBe("");
  expect([gen(s, 0), gen(s, 1)]).toEqual([3n, 4n]);
  return { s, base: s.disk.slice() };
}

describe("damaged metadata", () => {
  it("a flipped bit anywhere in a superblock or directory block: that slot is not used", () => {
    const { s } = twoSlots();
    const both = ["a", "b"], older = ["a"];
    // Block: what a bit flipped in it leaves listed.
    const cases: Array<[number, string[]]> = [[0, both], [1, older], [DIR_A, both], [DIR_B, older], [DIR_B + 1, both]];
    let mounts = 0;
    for (const [blk, names] of cases) {
      for (let off = 0; off < BLOCK; off++) {
        const bit = 1 << (off % 8);
        s.block(blk)[off] ^= bit;          // a new view each time: the wasm memory may grow
        const m = s.mount();
        if (m !== "" || s.names().join() !== names.join()) throw new Error(`block ${blk} byte ${off}: ${m || s.names()}`);
        s.block(blk)[off] ^= bit;
        if (++mounts % 512 === 0) s.e.collect();
      }
    }
    expectBytes(s.load("a"), pattern(1, 9000));
    // Both superblocks, or one and the other's directory: refused.
    s.block(0)[7] ^= 1; s.block(1)[7] ^= 1;
    expect(s.mount()).toBe("the disk holds something else");
    expect(s.e.storeMounted()).toBe(0);
    expect(s.list()).toEqual([]);
    s.block(0)[7] ^= 1;
    s.block(DIR_A)[100] ^= 1;
    expect(s.mount()).toBe("the store is damaged (slot A: directory block 0 fails its checksum)");
    s.block(1)[7] ^= 1;
    s.block(DIR_B)[100] ^= 1;
    expect(s.mount()).toBe("the store is damaged (slot B: directory block 0 fails its checksum; slot A: directory block 0 fails its checksum)");
    expect(s.s("storeImagesJson")).toBe("[]");
  });

  it("garbage: refused, never a trap", () => {
    const { s, base } = twoSlots();
    for (let seed = 0; seed < 40; seed++) {
      s.disk.set(base);
      s.disk.set(pattern(seed, DATA * BLOCK));
      expect(s.probe()).toBe(PROBE.OTHER);
      expect(s.mount()).toBe("the disk holds something else");
      // Superblocks of garbage sealed with the right magic and CRC.
      s.disk.set(base.subarray(0, 8), 0);
      s.disk.set(base.subarray(BLOCK, BLOCK + 8), BLOCK);
      seal(s.block(0));
      seal(s.block(1));
      expect(s.mount()).toMatch(/^the store is damaged \(slot A: superblock .*\)$/);
      // Right superblocks over directories of garbage with right trailers and CRCs.
      s.disk.set(base.subarray(0, 2 * BLOCK), 0);
      for (const slot of [0, 1]) {
        const blk = slot === 0 ? DIR_A : DIR_B;
        s.disk.set(base.subarray(blk * BLOCK + 4000, blk * BLOCK + 4016), blk * BLOCK + 4000);
        s.block(blk).fill(0, 4016, 4092);
        reseal(s, slot);
      }
      expect(s.mount()).toMatch(/^the store is damaged \(slot B: directory entry 0: .*; slot A: directory entry 0: .*\)$/);
      expect(s.list()).toEqual([]);
      s.e.collect();
    }
  });

  it("directory entries with right checksums but impossible contents: refused at mount", () => {
    const { s, base } = twoSlots();
    const total = 1024;
    type Case = [string, (e0: DataView, e1: DataView, sb: DataView) => void, string];
    const cases: Case[] = [
      ["overlapping extents", (e0, e1) => e1.setUint32(96, e0.getUint32(96, true) + 1, true), "images a and b share block 15"],
      ["an extent past the end", (_e0, e1) => e1.setUint32(96, total - 2, true), "directory entry 1 (b): extent 0 outside the data area"],
      ["an extent over the metadata", (_e0, e1) => e1.setUint32(96, DIR_B, true), "directory entry 1 (b): extent 0 outside the data area"],
      ["a start that wraps", (_e0, e1) => e1.setUint32(96, 0xfffffffe, true), "directory entry 1 (b): extent 0 outside the data area"],
      ["an empty extent", (_e0, e1) => { e1.setUint32(92, 2, true); e1.setUint32(104, 900, true); },
        "directory entry 1 (b): extent 1 is empty"],
      ["length and extents apart", (_e0, e1) => e1.setBigUint64(72, 20000n + 4096n, true), "directory entry 1 (b): 24096 bytes in 5 blocks"],
      ["a length past the store", (_e0, e1) => e1.setBigUint64(72, 2n ** 63n, true), "directory entry 1 (b): longer than the store"],
      ["nine extents", (_e0, e1) => e1.setUint32(92, 9, true), "directory entry 1 (b): 9 extents, at most 8"],
      ["a stray extent", (_e0, e1) => e1.setUint32(96 + 5 * 8, 500, true), "directory entry 1 (b): a stray extent"],
      ["a name with a space", (e0) => setName(e0, 0, "a b"), "directory entry 0: bad image name"],
      ["a name with a slash", (e0) => setName(e0, 0, "a/"), "directory entry 0: bad image name"],
      ["an empty name", (e0) => setName(e0, 0, ""), "directory entry 0: bad image name"],
      ["a name without its NUL", (e0) => setName(e0, 0, "a".repeat(32)), "directory entry 0: bad image name"],
      ["bytes after the NUL", (e0) => e0.setUint8(20, 0x41), "directory entry 0: bad image name"],
      ["a control character in the domain name", (e0) => e0.setUint8(33, 7), "directory entry 0 (a): bad domain name"],
      ["names out of order", (e0) => setName(e0, 0, "c"), "directory entry 1 (b): out of name order or listed twice"],
      ["a name listed twice", (_e0, e1) => setName(e1, 0, "a"), "directory entry 1 (a): out of name order or listed twice"],
      ["an entry past the count", (_e0, e1, sb) => sb.setUint32(40, 1, true), "directory entry 1: a stray entry after the last image"],
      ["a count over the maximum", (_e0, _e1, sb) => { sb.setUint32(40, 129, true); sb.setUint32(36, 6, true); },
        "superblock lists 129 images, at most 128"],
      ["a count the directory blocks do not fit", (_e0, _e1, sb) => sb.setUint32(40, 26, true),
        "superblock gives 1 directory blocks for 26 images"],
      ["a store larger than the disk", (_e0, _e1, sb) => sb.setUint32(28, total + 1, true),
        "superblock gives a store of 1025 blocks on a disk of 1024"],
      ["the other slot's superblock", (_e0, _e1, sb) => sb.setUint32(24, 0, true), "superblock of the other slot"],
      ["another layout", (_e0, _e1, sb) => sb.setUint32(52, 16, true), "superblock of another version or layout"],
      ["a directory block of another generation", (_e0, _e1, sb) => sb.setBigUint64(16, 5n, true),
        "directory block 0 is not this generation's"],
      ["bytes in the directory block's trailer", (e0) => new DataView(e0.buffer, e0.byteOffset + 4050, 4).setUint8(0, 1),
        "directory block 0: stray bytes in its trailer"],
    ];
    for (const [what, mutate, why] of cases) {
      s.disk.set(base);
      mutate(entry(s, 1, 0), entry(s, 1, 1), view(s.block(1)));
      reseal(s, 1);
      // Slot A (only a) is used instead...
      expect([what, s.mount()]).toEqual([what, ""]);
      expect([what, s.names()]).toEqual([what, ["a"]]);
      expectBytes(s.load("a"), pattern(1, 9000));
      // ... and without it the store is refused, saying why.
      s.block(0).fill(0);
      expect([what, s.mount()]).toEqual([what, `the store is damaged (slot B: ${why})`]);
      expect(s.e.storeMounted()).toBe(0);
    }
    // The check catches a mutation on its own: unchanged and resealed, it mounts.
    s.disk.set(base);
    reseal(s, 1);
    expect(s.mount()).toBe("");
    expect(s.names()).toEqual(["a", "b"]);
  });

  it("random fields with right checksums: what mounts is sane and reads without a trap", () => {
    const { s, base } = twoSlots();
    const rnd = pattern(1234, 4 * 4000);
    let r = 0;
    const next = () => view(rnd).getUint32((r++ * 4) % (rnd.length - 4), true);
    let mounted = 0;
    for (let k = 0; k < 800; k++) {
      s.disk.set(base);
      // 1..3 fields of the entries or the superblock's counts set to random values.
      for (let j = 0, n = 1 + (next() % 3); j < n; j++) {
        const where = next() % 3;
        const v = next() % 4 === 0 ? next() : next() % 1100;
        if (where < 2) entry(s, 1, where).setUint32(64 + 4 * (next() % 24), v, true);
        else view(s.block(1)).setUint32(28 + 4 * (next() % 4), v, true);
      }
      reseal(s, 1);
      s.block(0).fill(0);
      if (s.mount() !== "") continue;
      mounted++;
      const list = s.list();
      expectSane(list, 1024);
      for (const { name } of list) {
        const got = s.load(name);
        if (typeof got === "string") expect(got).toBe(`image ${name} is damaged (checksum)`);
      }
      if (k % 100 === 0) s.e.collect();
    }
    expect(mounted).toBeGreaterThan(0);   // fields nothing checks (memory, time, CRC) do change
  });
});
