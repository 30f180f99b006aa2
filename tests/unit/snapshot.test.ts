// The state tree (src/state/snapshot.ts, src/domain/snapshots.ts) on the
// compiled wasm against the simulated VMX CPU: snapshots taken, reverted to
// and deleted through the management calls of a control domain, the
// target's memory written as a guest writes it (a write to a read-only page
// is an EPT violation exit, copied on write by the run loop's exit path),
// and every byte, register and frame checked after.
import { describe, expect, it } from "vitest";
import { world, all, HC, PAGES, MEM, NAME, BUF, ESRCH, ENOENT, EEXIST, EBUSY, EINVAL, EPERM, SNAPDEL_CHILDREN } from "./state-world";

describe("snapshots: take, write, revert", () => {
  it("a revert gives back every byte and register of the snapshot; pages written since are freed", () => {
    const w = world();
    w.stamp(w.g, 1, all);
    w.setRbx(w.g, 0x1111n);
    const before = w.image(w.g);
    expect(w.e.stateEptLeafSize(w.g, 0n)).toBe(0x200000n);
    const s = w.snap(w.g, "base");
    // Its RAM is the snapshot's now, mapped read-only, 2 MiB pages kept.
    expect(w.writable(w.g, 0x1000)).toBe(false);
    expect(w.e.stateEptLeafSize(w.g, 0n)).toBe(0x200000n);
    expect(w.info(w.g)).toMatchObject({ own: 0, shared: PAGES, count: 1 });
    const frames = w.e.framesFree();
    const some = [0, 1, 7, 255, 256, 257, 500, PAGES - 1];
    w.stamp(w.g, 9, some);
    w.setRbx(w.g, 0x2222n);
    expect(w.info(w.g)).toMatchObject({ own: some.length, shared: PAGES - some.length });
    expect(w.e.framesFree()).toBeLessThan(frames);
    w.revert(w.g, s);
    expect(w.image(w.g)).toEqual(before);
    expect(w.rbx(w.g)).toBe(0x1111n);
    // The copies are freed unscrubbed; the idle loop zeroes them.
    expect(w.e.stateFramesDirty()).toBe(some.length);
    expect(w.e.stateFramesScrub(3)).toBe(3);
    expect(w.e.stateFramesScrub(100)).toBe(some.length - 3);
    expect(w.e.stateFramesDirty()).toBe(0);
    // The copies are gone; the split 2 MiB pages keep their tables.
    expect(w.info(w.g)).toMatchObject({ own: 0, shared: PAGES });
    expect(w.e.framesFree()).toBe(frames - 1n);
    // Again, from the same snapshot: the same.
    w.stamp(w.g, 5, some);
    w.revert(w.g, s);
    expect(w.image(w.g)).toEqual(before);
  });

  it("the hypervisor's own writes to guest memory (mem-write) copy first: the snapshot keeps its bytes", () => {
    const w = world();
    w.stamp(w.g, 3, all);
    const before = w.image(w.g);
    const s = w.snap(w.g);
    for (let i = 0; i < 8; i++) w.m.bytes[Number(w.e.testGuestToHost(w.ctl, BigInt(BUF + i)))] = 0xee;
    expect(w.hc(HC.MEM_WRITE, [w.g, 0x5000, BUF, 8])).toBe(8n);
    expect(w.peek(w.g, 0x5000)).toBe(0xee);
    expect(w.writable(w.g, 0x5000)).toBe(true);
    w.revert(w.g, s);
    expect(w.image(w.g)).toEqual(before);
  });

  it("a tree of three levels and two branches: each leaf reverted to holds exactly its own bytes", () => {
    const w = world();
    w.stamp(w.g, 0, all);
    const root = w.snap(w.g, "root");
    const imgs = new Map<number, number[]>();
    imgs.set(root, w.image(w.g));
    w.stamp(w.g, 10, [1, 2, 3, 300]);
    const a = w.snap(w.g, "a");
    imgs.set(a, w.image(w.g));
    w.stamp(w.g, 20, [2, 350]);
    const a1 = w.snap(w.g, "a1");
    imgs.set(a1, w.image(w.g));
    w.revert(w.g, a);
    expect(w.image(w.g)).toEqual(imgs.get(a));
    w.stamp(w.g, 30, [3, 4, 400]);
    const a2 = w.snap(w.g, "a2");         // a new branch under a
    imgs.set(a2, w.image(w.g));
    w.revert(w.g, root);
    w.stamp(w.g, 40, [1, 450, PAGES - 1]);
    const b = w.snap(w.g, "b");            // a second branch under root
    imgs.set(b, w.image(w.g));
    for (const leaf of [a1, a2, b, a1, root, a2, b]) {
      w.stamp(w.g, 77, [2, 3, 5]);          // unsaved writes, dropped
      w.revert(w.g, leaf);
      expect(w.image(w.g), `at ${leaf}`).toEqual(imgs.get(leaf));
    }
    const l = w.list(w.g);
    expect(l.map((x) => [x.name, x.parent])).toEqual([["root", 0], ["a", root], ["a1", a], ["a2", a], ["b", root]]);
    expect(l.filter((x) => x.current).map((x) => x.name)).toEqual(["b"]);
    // A snapshot holds only what changed since its parent: its pages and one record frame or two.
    expect(l.find((x) => x.name === "a1")!.pages).toBeLessThanOrEqual(2 + 2);
    expect(l.find((x) => x.name === "root")!.pages).toBeGreaterThanOrEqual(PAGES);
  });

  it("delete merges a snapshot into its one dependent, keeps it hidden for two, and frees it for none", () => {
    const w = world();
    w.stamp(w.g, 0, all);
    const root = w.snap(w.g, "root");
    w.stamp(w.g, 10, [1, 2, 300]);
    const a = w.snap(w.g, "a");
    w.stamp(w.g, 20, [2, 3]);
    const a1 = w.snap(w.g, "a1");
    const imgA1 = w.image(w.g);
    w.revert(w.g, a);
    w.stamp(w.g, 30, [300, 350]);
    const a2 = w.snap(w.g, "a2");
    const imgA2 = w.image(w.g);
    // a has two children: deleted, it is hidden; both leaves keep their bytes.
    w.del(w.g, a);
    expect(w.e.stateSnapshotHidden(a)).toBe(1);
    expect(w.list(w.g).map((x) => [x.name, x.parent])).toEqual([["root", 0], ["a1", root], ["a2", root]]);
    w.revert(w.g, a1);
    expect(w.image(w.g)).toEqual(imgA1);
    // a1 goes: a is left with one child (a2) and merges into it.
    w.revert(w.g, a2);
    w.del(w.g, a1);
    expect(w.e.stateSnapshotHidden(a)).toBe(-1);
    expect(w.image(w.g)).toEqual(imgA2);
    w.stamp(w.g, 50, [1, 2, 3]);
    w.revert(w.g, a2);
    expect(w.image(w.g)).toEqual(imgA2);
    // Deleting the current snapshot makes its parent current; the domain keeps its bytes.
    w.del(w.g, a2);
    expect(w.e.stateBase(w.g)).toBe(root);
    expect(w.image(w.g)).toEqual(imgA2);
    expect(w.list(w.g).map((x) => [x.name, x.current])).toEqual([["root", true]]);
    // Deleting the root gives the domain back all its RAM.
    w.del(w.g, root);
    expect(w.e.stateBase(w.g)).toBe(0);
    expect(w.info(w.g)).toMatchObject({ own: PAGES, shared: 0, snapshots: 0, count: 0 });
    expect(w.image(w.g)).toEqual(imgA2);
    expect(w.writable(w.g, 0x3000)).toBe(true);
  });

  it("--children deletes the subtree; destroying the domain frees every snapshot", () => {
    const w = world();
    const h0 = w.heap();
    const root = w.snap(w.g, "root");
    w.stamp(w.g, 1, [1]);
    const a = w.snap(w.g, "a");
    w.stamp(w.g, 2, [2]);
    w.snap(w.g, "a1");
    w.revert(w.g, a);
    w.stamp(w.g, 3, [3]);
    w.snap(w.g, "a2");
    w.revert(w.g, root);
    w.del(w.g, a, SNAPDEL_CHILDREN);
    expect(w.list(w.g).map((x) => x.name)).toEqual(["root"]);
    w.stamp(w.g, 4, [4, 5]);
    w.snap(w.g, "b");
    expect(w.e.stateSnapshotFrames(0)).toBeGreaterThan(BigInt(PAGES));
    expect(w.hc(HC.DOMAIN_DESTROY, [w.g])).toBe(0n);
    expect(w.e.stateSnapshotFrames(0)).toBe(0n);
    expect(w.heap().permanent).toBe(h0.permanent);
  });

  it("refuses what does not fit: no such domain or snapshot, a duplicate or bad name, a running domain, a DomU caller", () => {
    const w = world();
    const s = w.snap(w.g, "one");
    const other = w.create("other");
    expect(w.e.stateStart(other)).toBe(0);
    const frames = w.e.framesFree();
    expect(w.hc(HC.SNAP_CREATE, [w.g, NAME, w.name("one")])).toBe(EEXIST);
    for (const bad of ["a b", "x/y", "123", "a".repeat(32)]) expect(w.hc(HC.SNAP_CREATE, [w.g, NAME, w.name(bad)]), bad).toBe(EINVAL);
    expect(w.hc(HC.SNAP_REVERT, [w.g, s + 1])).toBe(ENOENT);
    expect(w.hc(HC.SNAP_REVERT, [w.g, 0])).toBe(ENOENT);
    expect(w.hc(HC.SNAP_DELETE, [w.g, s, 2])).toBe(EINVAL);
    expect(w.hc(HC.SNAP_CREATE, [999, NAME, 0])).toBe(ESRCH);
    expect(w.hc(HC.SNAP_CREATE, [w.ctl, NAME, 0])).toBe(ESRCH);
    w.e.stateSetPaused(w.g, 0);
    expect(w.hc(HC.SNAP_CREATE, [w.g, NAME, 0])).toBe(EBUSY);
    expect(w.hc(HC.SNAP_REVERT, [w.g, s])).toBe(EBUSY);
    w.e.stateSetPaused(w.g, 1);
    for (const nr of [HC.SNAP_CREATE, HC.SNAP_REVERT, HC.SNAP_DELETE, HC.SNAP_LIST]) expect(w.hc(nr, [w.g, s, 0], other), `call ${nr}`).toBe(EPERM);
    // Another domain's snapshot is not this one's.
    w.e.stateSetPaused(other, 1);
    expect(w.hc(HC.SNAP_REVERT, [other, s])).toBe(ENOENT);
    expect(w.e.framesFree()).toBe(frames);
    expect(w.list(w.g).map((x) => x.name)).toEqual(["one"]);
  });
});

describe("fork", () => {
  it("a fork of a paused domain has its memory, registers and console; each then writes only its own pages", () => {
    const w = world();
    w.stamp(w.g, 1, all);
    w.setRbx(w.g, 0x77n);
    const img = w.image(w.g);
    const f = w.fork(w.g, 0, "child");
    expect(w.e.testDomainState(f)).toBe(0);
    expect(w.e.testDomainPaused(f)).toBe(0);
    expect(w.image(f)).toEqual(img);
    expect(w.rbx(f)).toBe(0x77n);
    // No frame of RAM of its own yet; the source's are a (hidden) snapshot's now.
    expect(w.info(f)).toMatchObject({ own: 0, shared: PAGES });
    expect(w.info(w.g)).toMatchObject({ own: 0, shared: PAGES, count: 0 });
    expect(w.list(w.g)).toEqual([]);
    w.e.stateSetPaused(f, 1);
    w.stamp(f, 50, [2, 3]);
    w.stamp(w.g, 60, [3, 4]);
    expect(w.peek(f, 0x2000)).toBe(52);
    expect(w.peek(w.g, 0x2000)).toBe(img[2]);
    expect(w.peek(f, 0x4000)).toBe(img[4]);
    expect(w.peek(w.g, 0x3000)).toBe(63);
    expect(w.peek(f, 0x3000)).toBe(53);
    // The fork gone, the source owns all its memory again.
    expect(w.hc(HC.DOMAIN_DESTROY, [f])).toBe(0n);
    expect(w.info(w.g)).toMatchObject({ own: PAGES, shared: 0, snapshots: 0 });
    expect(w.e.stateSnapshotFrames(0)).toBe(0n);
  });

  it("forks of a snapshot, three at once, share its frames; the snapshot stays while they run", () => {
    const w = world();
    w.stamp(w.g, 2, all);
    const s = w.snap(w.g, "s");
    const img = w.image(w.g);
    w.stamp(w.g, 9, [1, 2, 3]);   // the source goes on; the forks start from s
    const frames = w.e.framesFree();
    const f = w.fork(w.g, s, "web", 3);
    // A fork of its state now goes through a hidden snapshot under s: s is
    // still the one listed as current.
    const now = w.fork(w.g, 0, "now");
    expect(w.list(w.g).map((x) => [x.name, x.current])).toEqual([["s", true]]);
    expect(w.hc(HC.DOMAIN_DESTROY, [now])).toBe(0n);
    for (let i = 0; i < 3; i++) {
      expect(w.image(f + i)).toEqual(img);
      expect(w.info(f + i)).toMatchObject({ own: 0, shared: PAGES });
    }
    // Three domains for the price of their EPTs, VMCSs and device pages.
    const each = Number(frames - w.e.framesFree()) / 3;
    expect(each).toBeLessThan(16);
    // Deleted while forks use it: hidden, kept; gone with the last fork.
    w.del(w.g, s);
    expect(w.e.stateSnapshotHidden(s)).toBe(1);
    for (let i = 0; i < 3; i++) expect(w.hc(HC.DOMAIN_DESTROY, [f + i])).toBe(0n);
    expect(w.e.stateSnapshotHidden(s)).toBe(-1);
    expect(w.info(w.g)).toMatchObject({ own: PAGES, shared: 0, snapshots: 0 });
  });

  it("refuses a fork it cannot make: a running source without a snapshot, a name in use, too many at once", () => {
    const w = world();
    w.e.stateSetPaused(w.g, 0);
    expect(w.hc(HC.FORK, [w.g, 0, NAME, 0])).toBe(EBUSY);
    w.e.stateSetPaused(w.g, 1);
    expect(w.hc(HC.FORK, [w.g, 0, NAME, w.name("ctl")])).toBe(EEXIST);
    expect(w.hc(HC.FORK, [w.g, 0, NAME, 65 << 16])).toBe(EINVAL);
    expect(w.hc(HC.FORK, [w.g, 99, NAME, 0])).toBe(ENOENT);
    expect(w.e.stateSnapshotFrames(0)).toBe(0n);
    expect(w.info(w.g)).toMatchObject({ own: PAGES, shared: 0 });
  });
});

describe("snapshots: memory comes back", () => {
  it("1,000 fork/destroy cycles leave the frames and the heap exactly where they started", () => {
    const w = world();
    const s = w.snap(w.g, "s");
    // The records of the last stopped domains are kept (list -a): the first
    // cycles fill them.
    const cycle = (i: number) => {
      const f = w.fork(w.g, i % 2 === 0 ? s : 0);
      w.e.stateSetPaused(f, 1);
      w.stamp(f, i, [i % PAGES]);
      expect(w.hc(HC.DOMAIN_DESTROY, [f])).toBe(0n);
    };
    for (let i = 0; i < 20; i++) cycle(i);
    const start = w.heap();
    for (let i = 0; i < 1000; i++) cycle(i);
    expect(w.heap()).toEqual(start);
  }, 300_000);

  it("10,000 snapshot/revert cycles and 10,000 create/write/revert/delete cycles leave the frames and the heap exactly where they started", () => {
    const w = world();
    w.stamp(w.g, 0, all);
    const start = w.heap();
    const img = w.image(w.g);
    const s = w.snap(w.g, "keep");
    // The first write splits the 2 MiB page: its EPT gains a table (one
    // frame), which stays while the snapshot does.
    w.poke(w.g, 0, 1);
    w.revert(w.g, s);
    const held = w.heap();
    for (let i = 0; i < 10_000; i++) {
      w.stamp(w.g, i, [i % PAGES, (i * 7) % PAGES, 500]);
      w.revert(w.g, s);
    }
    expect(w.heap()).toEqual(held);
    expect(w.image(w.g)).toEqual(img);
    w.del(w.g, s);
    expect(w.heap()).toEqual(start);
    for (let i = 0; i < 10_000; i++) {
      const t = w.snap(w.g);
      w.stamp(w.g, i, [(i * 13) % PAGES, 3]);
      w.revert(w.g, t);
      w.del(w.g, t);
    }
    expect(w.heap()).toEqual(start);
    expect(w.image(w.g)).toEqual(img);
    expect(w.e.stateEptLeafSize(w.g, 0n)).toBe(0x200000n);
  }, 300_000);
});
