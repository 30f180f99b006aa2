// Dedup (src/domain/dedup.ts, src/mm/share.ts) on the compiled wasm against
// the simulated VMX CPU: identical pages of a group of domains merged into
// shared read-only frames through HC_DOMAIN_DEDUP, written again by the
// guests and the hypervisor, snapshotted, forked and destroyed; every byte
// and frame checked after.
import { describe, expect, it } from "vitest";
import { world, HC, BUF, ESRCH, EBUSY, EINVAL, EPERM } from "./state-world";

const EFAULT = -14n;
// The guests' RAM: 1028 KiB, page 256 its image (the same in each); the
// test writes pages 0-255 with 128 distinct contents, each twice.
const PAGES = 257, DISTINCT = 129; // (a few pages more: the boot info differs by name)
const all = Array.from({ length: 256 }, (_, p) => p);
const every = Array.from({ length: PAGES }, (_, p) => p);

function dedupWorld() {
  const w = world("1028K");
  // Guests made by the test, started and paused (as w.g is).
  const guest = (name: string): number => {
    const d = w.create(name, "", "1028K");
    expect(w.e.stateStart(d)).toBe(0);
    w.e.stateSetPaused(d, 1);
    return d;
  };
  const ids = (doms: number[]): void => {
    doms.forEach((d, i) => {
      const h = Number(w.e.testGuestToHost(w.ctl, BigInt(BUF + 4 * i)));
      new DataView(w.m.bytes.buffer).setUint32(h, d, true);
    });
  };
  const dedup = (doms: number[]): number => {
    ids(doms);
    const r = w.hc(HC.DEDUP, [BUF, doms.length]);
    expect(r, `dedup ${doms}`).toBeGreaterThanOrEqual(0n);
    return Number(r);
  };
  const frameOf = (d: number, p: number): bigint => w.e.testGuestToHost(d, BigInt(p << 12));
  const destroy = (d: number): void => { expect(w.hc(HC.DOMAIN_DESTROY, [d])).toBe(0n); };
  const settle = (): void => { while (w.e.stateFramesScrub(1 << 20) > 0); };
  // Page p starts with (p % 128 + seed) & 0xff: 128 distinct pages, each twice.
  const stamp = (d: number, seed: number, pages: number[]): void => {
    for (const p of pages) w.poke(d, p << 12, ((p % 128) + seed) & 0xff);
  };
  const image = (d: number): number[] => every.map((p) => w.peek(d, p << 12));
  // The pages of `doms` by content: how many a scan of them can merge (the
  // frames they are on less their contents), how many shared frames that
  // makes, and whether each content is on one frame.
  const contents = (doms: number[]) => {
    const frames = new Map<string, Set<bigint>>();
    const copies = new Map<string, number>();
    for (const d of doms) for (const p of every) {
      const f = frameOf(d, p);
      const key = Buffer.from(w.m.bytes.subarray(Number(f), Number(f) + 4096)).toString("base64");
      if (!frames.has(key)) frames.set(key, new Set());
      frames.get(key)!.add(f);
      copies.set(key, (copies.get(key) ?? 0) + 1);
    }
    const dup = [...copies.values()].filter((n) => n > 1).length;
    const onFrames = new Set([...frames.values()].flatMap((s) => [...s])).size;
    return { mergeable: onFrames - frames.size, shared: dup, onOneFrame: [...frames.values()].every((s) => s.size === 1) };
  };
  // Two new guests with the same bytes.
  const pair = (seed: number): [number, number] => {
    const a = guest("a"), b = guest("b");
    stamp(a, seed, all);
    stamp(b, seed, all);
    return [a, b];
  };
  return { ...w, guest, ids, dedup, frameOf, destroy, settle, stamp, image, contents, pair };
}

describe("dedup: identical pages of a group share one frame", () => {
  it("two identical guests: every page merged, bytes unchanged, writes copied apart, frames back at the end", () => {
    const w = dedupWorld();
    w.settle();
    const frames0 = w.e.framesFree();
    const [a, b] = w.pair(1);      // 128 distinct pages, each twice in a guest
    const img = w.image(a);
    const used = w.e.framesFree();
    const want = w.contents([a, b]);
    expect(want.mergeable).toBeGreaterThan(2 * PAGES - DISTINCT - 16);
    const merged = w.dedup([a, b]);
    expect(merged).toBe(want.mergeable);
    expect(w.contents([a, b])).toMatchObject({ mergeable: 0, onOneFrame: true });
    expect(w.image(a)).toEqual(img);
    expect(w.image(b)).toEqual(img);
    // (A page of a's boot info names it: that one differs from b's.)
    const same = all.filter((p) => w.frameOf(b, p) === w.frameOf(a, p));
    expect(same.length).toBeGreaterThan(all.length - 4);
    for (const p of same) expect(w.writable(a, p << 12)).toBe(false);
    const ia = w.info(a), ib = w.info(b);
    expect(ia.own + ia.shared).toBe(PAGES);
    expect(ia.own).toBeLessThan(8);
    expect(ib.own).toBeLessThan(8);
    expect(w.e.stateFramesShared()).toBe(BigInt(want.shared));
    // The frames merged came back (less a table for each split 2 MiB page and the share counts).
    expect(w.e.framesFree() - used).toBeGreaterThanOrEqual(BigInt(merged - 4));
    // A guest's write copies its page apart: the other keeps its bytes.
    w.poke(b, 3 << 12, 0x77);
    expect(w.peek(b, 3 << 12)).toBe(0x77);
    expect(w.peek(a, 3 << 12)).toBe(img[3]);
    expect(w.peek(a, 131 << 12)).toBe(img[131]);
    expect(w.info(b).own).toBe(ib.own + 1);
    // ... and so does the hypervisor's (mem-write).
    w.m.bytes[Number(w.e.testGuestToHost(w.ctl, BigInt(BUF + 0x100)))] = 0xee;
    expect(w.hc(HC.MEM_WRITE, [a, 5 << 12, BUF + 0x100, 1])).toBe(1n);
    expect(w.peek(a, 5 << 12)).toBe(0xee);
    expect(w.peek(b, 5 << 12)).toBe(img[5]);
    expect(w.peek(a, 133 << 12)).toBe(img[133]);
    // A second scan finds nothing new.
    expect(w.dedup([a, b])).toBe(0);
    w.destroy(a);
    // b's pages are its own again where a held the other copy: written without a copy.
    expect(w.e.stateFrameHolders(w.frameOf(b, 5))).toBe(0);
    const before = w.e.framesFree();
    w.poke(b, 5 << 12, 0x55);
    expect(w.e.framesFree()).toBe(before);
    w.destroy(b);
    w.settle();
    expect(w.e.stateFramesShared()).toBe(0n);
    expect(w.e.framesFree()).toBe(frames0);
  });

  it("only within the group: frames shared with a domain outside it take no more", () => {
    const w = dedupWorld();
    const a = w.guest("a"), b = w.guest("b"), c = w.g;
    for (const d of [a, b, c]) w.stamp(d, 2, all);
    const ab = w.contents([a, b]).mergeable;
    expect(w.dedup([a, b])).toBe(ab);
    // b and c: b's pages are a's too, so c merges only within itself.
    const inC = w.contents([c]).mergeable;
    expect(inC).toBeGreaterThan(100);
    expect(w.dedup([b, c])).toBe(inC);
    const aFrames = new Set(every.map((p) => w.frameOf(a, p)));
    for (const p of every) expect(aFrames.has(w.frameOf(c, p)), `page ${p}`).toBe(false);
    // With a in the group they all share.
    expect(w.dedup([a, b, c])).toBeGreaterThan(w.contents([a, b, c]).mergeable);
    expect(w.contents([a, b, c])).toMatchObject({ mergeable: 0, onOneFrame: true });
    expect(all.filter((p) => w.frameOf(c, p) === w.frameOf(a, p)).length).toBeGreaterThan(all.length - 4);
    expect(w.e.stateFrameHolders(w.frameOf(a, 0))).toBe(6);
    const img = w.image(a);
    for (const d of [b, c]) expect(w.image(d)).toEqual(img);
  });

  it("with snapshots and forks: revert, delete and fork keep every byte; the last holder frees the frames", () => {
    const w = dedupWorld();
    w.settle();
    const frames0 = w.e.framesFree();
    const [a, b] = w.pair(3);
    const img = w.image(a);
    w.dedup([a, b]);
    const s = w.snap(a, "s");
    // Its snapshot holds a's pages, but those dedup shares count once, as dedup's.
    expect(w.info(a).snapshots).toBeLessThan(8);
    w.stamp(a, 9, [1, 2, 200]);
    expect(w.peek(b, 1 << 12)).toBe(img[1]);
    w.revert(a, s);
    expect(w.image(a)).toEqual(img);
    const f = w.fork(a, s, "f");
    w.e.stateSetPaused(f, 1);
    w.stamp(f, 20, [0, 128, 255]);
    expect(w.image(a)).toEqual(img);
    expect(w.image(b)).toEqual(img);
    // Pages a wrote after its snapshot, merged with b's, then a revert.
    w.stamp(a, 7, [10, 11]);
    w.stamp(b, 7, [10, 11]);
    expect(w.dedup([a, b])).toBe(2);
    w.revert(a, s);
    expect(w.image(a)).toEqual(img);
    expect(w.peek(b, 10 << 12)).toBe((10 + 7) & 0xff);
    w.destroy(f);
    // Deleting the root gives a its pages back: those b shares stay read-only.
    w.del(a, s);
    expect(w.info(a).count).toBe(0);
    expect(w.writable(a, 4 << 12)).toBe(false);
    w.poke(a, 4 << 12, 0x44);
    expect(w.peek(b, 4 << 12)).toBe(img[4]);
    w.destroy(b);
    w.destroy(a);
    w.settle();
    expect(w.e.stateFramesShared()).toBe(0n);
    expect(w.e.framesFree()).toBe(frames0);
  });

  it("refuses bad input and changes nothing", () => {
    const w = dedupWorld();
    const [a, b] = w.pair(4);
    const frames = w.e.framesFree();
    const call = (doms: number[], count = doms.length, buf = BUF): bigint => {
      w.ids(doms);
      return w.hc(HC.DEDUP, [buf, count]);
    };
    expect(call([])).toBe(EINVAL);
    expect(call([a], 65)).toBe(EINVAL);
    expect(call([a, a])).toBe(EINVAL);
    expect(call([a, w.ctl])).toBe(ESRCH);
    expect(call([a, 999])).toBe(ESRCH);
    expect(call([a, b], 2, 0xfffffff0)).toBe(EFAULT);
    w.e.stateSetPaused(b, 0);
    expect(call([a, b])).toBe(EBUSY);
    w.e.stateSetPaused(b, 1);
    // A DomU may not ask.
    expect(w.hc(HC.DEDUP, [BUF, 1], a)).toBe(EPERM);
    expect(w.e.framesFree()).toBe(frames);
    expect(w.e.stateFramesShared()).toBe(0n);
    expect(w.writable(a, 0)).toBe(true);
  });

  it("1,000 dedup/write cycles and 12 create/dedup/destroy cycles leave frames and heap where they started", () => {
    const w = dedupWorld();
    const a = w.guest("a");
    w.stamp(w.g, 0, all);
    w.stamp(a, 0, all);
    // Each cycle merges what the last one wrote apart again.
    const cycle = (i: number) => {
      expect(w.dedup(i % 2 ? [w.g, a] : [a, w.g])).toBeGreaterThan(0);
      const some = [i % 256, (i * 7) % 256, 200];
      w.stamp(a, 5, some);
      w.stamp(w.g, 5, some);
      w.stamp(a, 0, some);
      w.stamp(w.g, 0, some);
    };
    for (let i = 0; i < 3; i++) cycle(i);
    w.settle();
    const frames0 = w.e.framesFree(), heap0 = w.heap(), shared0 = w.e.stateFramesShared();
    for (let i = 0; i < 1000; i++) cycle(i);
    cycle(2);     // the last one as at the start: the same pages written apart
    w.settle();
    const h = w.heap();
    expect([h.permanent, h.arenas, h.frames]).toEqual([heap0.permanent, heap0.arenas, heap0.frames]);
    expect(w.e.framesFree()).toBe(frames0);
    expect(w.e.stateFramesShared()).toBe(shared0);
    // New guests merged with g and destroyed: g keeps its bytes, the frames come back.
    w.destroy(a);
    w.settle();
    // (The first merges what g wrote apart, within g: then its frames stay.)
    const img = w.image(w.g);
    let frames1 = 0n;
    for (let i = 0; i < 12; i++) {
      const b = w.guest("b");
      w.stamp(b, 0, all);
      expect(w.dedup([w.g, b])).toBeGreaterThan(PAGES - 16);
      w.stamp(b, i, [1, 2]);
      w.destroy(b);
      w.settle();
      if (i == 0) frames1 = w.e.framesFree();
      expect(w.e.framesFree()).toBe(frames1);
      expect(w.image(w.g)).toEqual(img);
    }
  }, 300_000);
});
