// Snapshots of a running domain, in memory, as a tree (the memory side:
// src/domain/snapshots.ts): take one, go back to any, delete one.
//
// Taking one copies the domain's vCPU and device state (src/state/capture.ts)
// and hands the frames it wrote since its base snapshot to the new one,
// mapped read-only from then on: its first write to each copies it again
// (src/domain/memory.ts). The first snapshot of a domain holds all its RAM.
// Reverting puts the state back and maps the snapshot's image: the pages
// the domain wrote since its base, and the pages on the tree's path between
// its base and the target, are mapped to the target's frames (read-only);
// the domain's own are freed (the idle loop scrubs them). Taking a snapshot after a revert
// starts a new branch. The domain must be paused, none of its vCPUs on a
// CPU; nothing changes when a call is refused.
import { Domain, domains, DOMSTATE_CREATED, DOMSTATE_STOPPED } from "../domain/domain";
import {
  Snapshot, snapshotById, snapshotAlloc, snapshotSetName, snapshotName, snapshotHide, snapshotRelease,
  snapshotDepend, imageFrame, extentAppend, extentsAt, extentAt, extentPage, extentCount, extentFrame, stateAt,
  ringAt, ramExtents, SNAPSHOTS_MAX,
} from "../domain/snapshots";
import {
  guestEptChanged, guestToHostWrite, ownPagesWords, ownPagesClear, cowLogReset, cowLogFrames, cowLogNext, cowLogCount, cowLogPage,
  cowLogFrame,
} from "../domain/memory";
import { captureSize, domainCapture, domainRestore, domainOnOtherCpu, CAPTURE_CONSOLE_HEAD, CAPTURE_CONSOLE_RING } from "./capture";
import { eptTranslate, eptProtect, eptMap, eptSwap4K, eptLeafSize, EPT_OK } from "../ept/ept";
import { EPT_READ, EPT_WRITE, EPT_EXECUTE } from "../arch/ept";
import { MEMORY_TYPE_WB } from "../arch/vmx";
import { CONSOLE_RING_SIZE } from "../devices/console";
import { frameRelease } from "../mm/share";
import { hostUptime } from "../cpu/percpu";
import { domainStop } from "../lifecycle/stop";
import { ENOENT, EEXIST, EBUSY, ENOMEM, ENOSPC, EINVAL, SNAPFLAG_CURRENT } from "../arch/abi";
import { println } from "../log/log";
import { pack, packBound, unpack } from "../lib/zeros";
import { dec } from "../lib/str";

const PAGE: u64 = 0x1000;
const SHARED: u32 = <u32>(EPT_READ | EPT_EXECUTE);
const RAM: u32 = <u32>(EPT_READ | EPT_WRITE | EPT_EXECUTE);
const RING: u64 = <u64>CONSOLE_RING_SIZE;

@inline function err(e: u32): i64 { return -<i64>e; }

// -EBUSY unless `dom` is a running domain that is paused and on no CPU.
function stillCheck(dom: Domain): i64 {
  if (dom.state == DOMSTATE_CREATED || dom.state == DOMSTATE_STOPPED) return err(EINVAL);
  if (!dom.paused || domainOnOtherCpu(dom)) return err(EBUSY);
  return 0;
}

// A snapshot of `dom`'s tree by id, listed (not hidden), or null.
export function snapshotOf(dom: Domain, id: u64): Snapshot | null {
  const s = snapshotById(id);
  return s !== null && s.owner == dom.id && s.hidden == 0 ? s : null;
}

export function snapshotByName(dom: Domain, name: string): Snapshot | null {
  for (let id: u32 = 1; id < SNAPSHOTS_MAX; id++) {
    const s = snapshotOf(dom, id);
    if (s !== null && snapshotName(s) == name) return s;
  }
  return null;
}

// ── Create ───────────────────────────────────────────────────────────────

// Takes a snapshot of `dom` named `name` ("" for "snapN"): its id, or
// -errno (nothing changed). `hidden`: not listed, not named (a fork's
// point, src/state/fork.ts), gone with the last domain based on it.
export function snapshotCreate(dom: Domain, name: string, hidden: bool = false): i64 {
  const busy = stillCheck(dom);
  if (busy != 0) return busy;
  const seq = hidden ? dom.snapshotSeq : dom.snapshotSeq + 1;
  if (!hidden && name.length == 0) name = "snap" + dec(seq);
  if (!hidden && snapshotByName(dom, name) !== null) return err(EEXIST);
  const size = captureSize(dom);
  const stage = heap.alloc(<usize>size);
  if (domainCapture(dom, stage).length != 0) return err(EBUSY);
  const head = load<u64>(stage + CAPTURE_CONSOLE_HEAD);
  const base = snapshotById(dom.base);
  // The console since the base (all of the ring for a root).
  let lo: u64 = base !== null ? base.consoleHead : 0;
  if (head - lo > RING) lo = head - RING;
  // At most one extent per page it holds; each of those a 4 KiB leaf first
  // (so they are unless a merge gave it pages: then its log is off).
  if (base !== null && !dom.cowLogOk && !ownPagesSplit(dom)) return err(ENOMEM);
  const bound = base === null ? ramExtents(dom, 0) : dom.ownCount;
  // The state without its console ring, packed (mostly zeros).
  const raw = size - <u32>RING;
  const plain = heap.alloc(<usize>raw);
  memory.copy(plain, stage, <usize>CAPTURE_CONSOLE_RING);
  memory.copy(plain + <usize>CAPTURE_CONSOLE_RING, stage + <usize>CAPTURE_CONSOLE_RING + <usize>RING, <usize>(raw - CAPTURE_CONSOLE_RING));
  const packed = heap.alloc(<usize>packBound(raw));
  const stateLen = pack(plain, raw, packed);
  const s = snapshotAlloc(bound, stateLen, <u32>(head - lo));
  if (s === null) return err(freeIds() == 0 ? ENOSPC : ENOMEM);
  // The pages: all of its RAM, or those it wrote since its base.
  const n = base === null ? ramExtents(dom, extentsAt(s)) : ownExtents(dom, extentsAt(s));
  s.extents = n;
  let pages: u32 = 0;
  for (let i: u32 = 0; i < n; i++) pages += extentCount(extentAt(s, i));
  s.pages = pages;
  s.rawLen = raw;
  memory.copy(stateAt(s), packed, <usize>stateLen);
  ringCopyOut(stage + <usize>CAPTURE_CONSOLE_RING, ringAt(s), lo, head);
  // Read-only from now on: those pages are the snapshot's.
  if (base === null) {
    if (eptProtect(dom.eptPml4, 0, dom.guest.memBytes, SHARED) != EPT_OK) return dropNew(s);
  } else {
    // Each a 4 KiB leaf (ownPagesSplit): one walk a page.
    for (let i: u32 = 0; i < n; i++) {
      const e = extentAt(s, i);
      const first = <u64>extentPage(e) << 12, frame = extentFrame(e);
      for (let p: u32 = 0; p < extentCount(e); p++) eptSwap4K(dom.eptPml4, first + (<u64>p << 12), frame + (<u64>p << 12), SHARED);
    }
  }
  ownPagesClear(dom);
  cowLogReset(dom, true);
  s.owner = dom.id;
  s.parent = dom.base;
  s.dependents = 1;
  s.seq = seq;
  s.created = hostUptime();
  s.consoleHead = head;
  s.memBytes = dom.guest.memBytes;
  snapshotSetName(s, name);
  s.hidden = hidden ? 1 : 0;
  dom.snapshotSeq = seq;
  dom.base = s.id;    // the domain's place under the base goes to s
  guestEptChanged(dom);
  ownEventPage(dom);
  return <i64>s.id;
}

function freeIds(): u32 {
  let n: u32 = 0;
  for (let id: u32 = 1; id < SNAPSHOTS_MAX; id++) if (snapshotById(id) === null) n++;
  return n;
}

// A new record not yet in any tree, given back.
function dropNew(s: Snapshot): i64 {
  s.hidden = 1;
  s.pages = 0;
  s.extents = 0;
  snapshotHide(s);
  return err(ENOMEM);
}

// Its own pages each a 4 KiB leaf: a copy made them so; pages a merge gave
// back may lie in a 2 MiB page, split here with the same translations.
// False, nothing else changed, when no frame is left for a table.
function ownPagesSplit(dom: Domain): bool {
  const words = ownPagesWords(dom);
  for (let w: u32 = 0; w < words; w++) {
    let bits = load<u64>(dom.ownPages + (<usize>w << 3));
    while (bits != 0) {
      const gpa = <u64>((w << 6) + <u32>ctz(bits)) << 12;
      bits &= bits - 1;
      if (eptLeafSize(dom.eptPml4, gpa) != PAGE && eptProtect(dom.eptPml4, gpa, PAGE, RAM) != EPT_OK) return false;
    }
  }
  return true;
}

// The extents of the pages `dom` made its own since its base, at `out`.
function ownExtents(dom: Domain, out: usize): u32 {
  let n: u32 = 0;
  const words = ownPagesWords(dom);
  for (let w: u32 = 0; w < words; w++) {
    let bits = load<u64>(dom.ownPages + (<usize>w << 3));
    while (bits != 0) {
      const page = (w << 6) + <u32>ctz(bits);
      bits &= bits - 1;
      n = extentAppend(out, n, page, 1, eptTranslate(dom.eptPml4, <u64>page << 12));
    }
  }
  return n;
}

// Console bytes [lo, head) of the ring at `ring` to `out` (two pieces
// where it wraps).
function ringCopyOut(ring: usize, out: usize, lo: u64, head: u64): void {
  const at = <usize>(lo & (RING - 1));
  const n = <usize>(head - lo);
  const first = n < <usize>RING - at ? n : <usize>RING - at;
  memory.copy(out, ring + at, first);
  if (first < n) memory.copy(out + first, ring, n - first);
}

// The hypervisor writes the event page: it must be the domain's own.
export function ownEventPage(dom: Domain): void {
  if (dom.guest.eventVector == 0) return;
  dom.eventPageHost = <usize>guestToHostWrite(dom, dom.guest.eventPage);
  if (dom.eventPageHost == 0) println("hv: domain " + dec(dom.id) + " (" + dom.name + "): no frame for its event page; events to it are lost");
}

// ── Revert ───────────────────────────────────────────────────────────────

// Puts `dom` back at snapshot `s` of its tree: 0 or -errno (nothing changed).
export function snapshotRevert(dom: Domain, s: Snapshot): i64 {
  const busy = stillCheck(dom);
  if (busy != 0) return busy;
  if (s.owner != dom.id || s.hidden != 0 || s.memBytes != dom.guest.memBytes) return err(ENOENT);
  // The console log goes on as it is: the record's ring is not needed.
  const rec = snapshotRecord(s, false);
  const why = rec == 0 ? "its stored state is damaged" : domainRestore(dom, rec, snapshotRecordSize(s), true, true);
  if (why.length != 0) {
    println("hv: revert of domain " + dec(dom.id) + " to snapshot " + dec(s.id) + " refused: " + why);
    return err(EINVAL);
  }
  const from = snapshotById(dom.base);
  mapFailed = false;
  if (from === s && dom.cowLogOk) {
    backToBase(dom);
  } else {
    backTo(dom, s);
    // The pages that differ between its base and the target: those held on
    // the path from each up to their common ancestor.
    if (from !== null && from !== s) {
      const common = commonAncestor(from, s);
      remapPath(dom, s, from, common);
      remapPath(dom, s, s, common);
    }
  }
  ownPagesClear(dom);
  cowLogReset(dom, true);
  snapshotDepend(s);
  dom.base = s.id;
  if (from !== null) snapshotRelease(from);
  guestEptChanged(dom);
  if (mapFailed) {
    domainStop(dom, "revert to snapshot " + dec(s.id) + ": out of memory for its EPT tables");
    return err(ENOMEM);
  }
  ownEventPage(dom);
  return 0;
}

// Back to its base: each page it made its own maps the frame its log says
// the base has there (one walk a page, no lookup); its own frames go.
function backToBase(dom: Domain): void {
  for (let f = cowLogFrames(dom); f != 0; f = cowLogNext(f)) {
    const n = cowLogCount(f);
    for (let i: u32 = 0; i < n; i++) {
      const own = eptSwap4K(dom.eptPml4, <u64>cowLogPage(f, i) << 12, cowLogFrame(f, i), SHARED);
      if (own != 0) frameRelease(own);
    }
  }
}

// Its own pages go; each maps target `s`'s frame instead.
function backTo(dom: Domain, s: Snapshot): void {
  const words = ownPagesWords(dom);
  for (let w: u32 = 0; w < words; w++) {
    let bits = load<u64>(dom.ownPages + (<usize>w << 3));
    while (bits != 0) {
      const page = (w << 6) + <u32>ctz(bits);
      bits &= bits - 1;
      const gpa = <u64>page << 12;
      const f = eptTranslate(dom.eptPml4, gpa);
      // (Left mapped, its own, if that failed: the stop frees it.)
      if (!mapShared(dom, s, page)) continue;
      frameRelease(f);
    }
  }
}

// The state record as domainCapture wrote it (for the scratch of this
// call), the console ring put together from the tree if `ring`; 0 if the
// stored state does not unpack to its size (then restore refuses it).
export function snapshotRecord(s: Snapshot, ring: bool): usize {
  const stage = heap.alloc(<usize>snapshotRecordSize(s));
  if (!unpack(stateAt(s), s.stateLen, stage, s.rawLen, CAPTURE_CONSOLE_RING, <u32>RING)) return 0;
  if (ring) ringAssemble(s, stage + <usize>CAPTURE_CONSOLE_RING);
  return stage;
}

export function snapshotRecordSize(s: Snapshot): u32 { return s.rawLen + <u32>RING; }

// Maps target `s`'s frame at `page`; a failure (no frame for a table where
// a 2 MiB page must be split) is remembered: the revert then stops the
// domain rather than leave it a page of another state.
let mapFailed = false;
function mapShared(dom: Domain, s: Snapshot, page: u32): bool {
  const f = imageFrame(s, page);
  const gpa = <u64>page << 12;
  if (f == 0 || eptSwap4K(dom.eptPml4, gpa, f, SHARED) != 0) return true;
  if (eptMap(dom.eptPml4, gpa, f, PAGE, SHARED, MEMORY_TYPE_WB, 0) == EPT_OK) return true;
  mapFailed = true;
  return false;
}

function depth(s: Snapshot): u32 {
  let n: u32 = 0;
  let t = snapshotById(s.parent);
  while (t !== null) {
    n++;
    t = snapshotById(t.parent);
  }
  return n;
}

function commonAncestor(a: Snapshot, b: Snapshot): Snapshot | null {
  let da = depth(a), db = depth(b);
  let x: Snapshot | null = a, y: Snapshot | null = b;
  while (da > db) { x = snapshotById(changetype<Snapshot>(x).parent); da--; }
  while (db > da) { y = snapshotById(changetype<Snapshot>(y).parent); db--; }
  while (x !== null && y !== null && x !== y) {
    x = snapshotById(x.parent);
    y = snapshotById(y.parent);
  }
  return x;
}

// Maps target `s`'s frame at every page held from `t` up to `stop` (not
// included).
function remapPath(dom: Domain, s: Snapshot, t: Snapshot, stop: Snapshot | null): void {
  let x: Snapshot | null = t;
  while (x !== null && x !== stop) {
    for (let i: u32 = 0; i < x.extents; i++) {
      const e = extentAt(x, i);
      const first = extentPage(e);
      const n = extentCount(e);
      for (let k: u32 = 0; k < n; k++) mapShared(dom, s, first + k);
    }
    x = snapshotById(x.parent);
  }
}

// The console ring at `s` into `ring`: each ancestor's bytes, newest
// first, back to a ring's worth.
function ringAssemble(s: Snapshot, ring: usize): void {
  memory.fill(ring, 0, <usize>RING);
  const head = s.consoleHead;
  const want: u64 = head > RING ? head - RING : 0;
  let upto = head;
  let t: Snapshot | null = s;
  while (t !== null && upto > want) {
    const lo = t.consoleHead - <u64>t.ringLen;
    const from = lo > want ? lo : want;
    if (from < upto) {
      ringCopyIn(ring, ringAt(t) + <usize>(from - lo), from, upto);
      upto = from;
    }
    t = snapshotById(t.parent);
  }
}

// Bytes for console positions [lo, hi) from `src` into the ring at `ring`
// (at most a ring's worth: two pieces where it wraps).
function ringCopyIn(ring: usize, src: usize, lo: u64, hi: u64): void {
  const at = <usize>(lo & (RING - 1));
  const n = <usize>(hi - lo);
  const first = n < <usize>RING - at ? n : <usize>RING - at;
  memory.copy(ring + at, src, first);
  if (first < n) memory.copy(ring, src + first, n - first);
}

// ── Delete ───────────────────────────────────────────────────────────────

// Deletes snapshot `s` of `dom`'s tree (and its descendants with
// `children`): its pages merge into its one dependent or go with it.
// Deleting the snapshot the domain runs from makes its parent the current
// one. 0 or -ENOENT.
export function snapshotDelete(dom: Domain, s: Snapshot, children: bool): i64 {
  if (s.owner != dom.id || s.hidden != 0) return err(ENOENT);
  if (children) deleteChildren(dom, s.id);
  snapshotHide(s);
  return 0;
}

function deleteChildren(dom: Domain, id: u32): void {
  for (let c: u32 = 1; c < SNAPSHOTS_MAX; c++) {
    const t = snapshotById(c);
    if (t === null || t.parent != id || t.owner != dom.id) continue;
    deleteChildren(dom, c);
    const again = snapshotById(c);   // merging may have replaced it
    if (again !== null && again.hidden == 0) snapshotHide(again);
  }
}

// ── List ─────────────────────────────────────────────────────────────────

// The listed ancestor nearest to `s` in its owner's tree, 0 if none.
export function listedParent(s: Snapshot): u32 {
  let t = snapshotById(s.parent);
  while (t !== null) {
    if (t.hidden == 0 && t.owner == s.owner) return t.id;
    t = snapshotById(t.parent);
  }
  return 0;
}

// The current snapshot: the one the domain runs on from, or, when that is
// hidden (a fork of its state now was made), its nearest listed ancestor.
export function snapshotFlags(dom: Domain, s: Snapshot): u32 {
  let b = snapshotById(dom.base);
  while (b !== null && (b.hidden != 0 || b.owner != dom.id)) b = snapshotById(b.parent);
  return b === s ? SNAPFLAG_CURRENT : 0;
}

// `dom`'s listed snapshots into `ids`, each parent before its children
// (depth first), with their listed parents in `parents`.
export function snapshotsListed(dom: Domain, ids: u32[], parents: u32[]): void {
  const all: u32[] = [];
  const up: u32[] = [];
  for (let id: u32 = 1; id < SNAPSHOTS_MAX; id++) {
    const s = snapshotOf(dom, id);
    if (s === null) continue;
    all.push(id);
    up.push(listedParent(s));
  }
  visit(all, up, 0, ids, parents);
}

function visit(all: u32[], up: u32[], parent: u32, ids: u32[], parents: u32[]): void {
  for (let i = 0; i < all.length; i++) {
    if (unchecked(up[i]) != parent) continue;
    ids.push(unchecked(all[i]));
    parents.push(parent);
    visit(all, up, unchecked(all[i]), ids, parents);
  }
}
