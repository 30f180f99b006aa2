// The memory side of the state tree: snapshot records, the frames they
// hold, and the copy-on-write sharing between them and the domains that
// run from them. What a snapshot's state record says (vCPUs, devices) is
// src/state/snapshot.ts's; here it is bytes.
//
// A snapshot's image of guest memory is its own extents over its parent's
// image: an extent maps a run of guest pages to a run of frames, and holds
// only the pages written between its parent and it (a root holds the whole
// RAM it was taken from). Every frame has one owner: a domain (its leaf is
// writable) or one snapshot (mapped read-only into every domain based on it
// or on a descendant that did not write the page). A domain based on
// snapshot S maps S's image; the pages it has written since are its own
// (dom.ownPages, src/domain/memory.ts).
//
// A snapshot counts its dependents: child snapshots and domains based on
// it. Deleted, it is hidden and kept while two or more depend on it; with
// one, its pages merge into that one (written pages of the dependent win,
// the rest move over); with none, its frames are freed (the idle loop scrubs them).
//
// A record is one run of frames below HV_MAPPED_BYTES:
//   ┌──────────┬──────┬───────────────────┬─────────────┬──────────────────┐
//   │ Snapshot │ name │ extents (16 each) │ state bytes │ console since    │
//   │          │ 32   │ page u32, count   │ (capture's, │ the parent       │
//   │          │      │ u32, frame u64    │ packed)     │ (ringLen bytes)  │
//   └──────────┴──────┴───────────────────┴─────────────┴──────────────────┘
// The console ring is append-only, so a snapshot holds only what was
// written since its parent; the ring at a snapshot is put together from
// its ancestors' pieces.
import { Domain, domains } from "./domain";
import { guestPages, ownBit, setOwnBit, guestEptChanged, cowLogReset } from "./memory";
import { frameAllocContiguous, frameFree, frameFreeLater, framesFree } from "../mm/frames";
import { frameHolders, frameRelease, framesShared } from "../mm/share";
import {
  eptTranslate, eptLeafSize, eptProtect, eptCollapse, eptMap, eptSwap4K, eptCreate, eptDestroy, eptCloneInto,
  EPT_OK, EPT_ALLOW_2M,
} from "../ept/ept";
import { MEMORY_TYPE_WB } from "../arch/vmx";
import { EPT_READ, EPT_WRITE, EPT_EXECUTE } from "../arch/ept";
import { HV_MAPPED_BYTES } from "../arch/layout";
import { CONSOLE_RING_SIZE } from "../devices/console";
import { SNAPSHOT_NAME_MAX } from "../arch/abi";

const PAGE: u64 = 0x1000;
const PAGE_2M: u64 = 0x200000;
const RAM: u32 = <u32>(EPT_READ | EPT_WRITE | EPT_EXECUTE);
const SHARED: u32 = <u32>(EPT_READ | EPT_EXECUTE);

// Snapshot ids are slots of one table: 1 .. SNAPSHOTS_MAX - 1.
export const SNAPSHOTS_MAX: u32 = 1024;
const EXTENT: usize = 16;
const table = memory.data(<i32>(SNAPSHOTS_MAX << 3), 8);

@unmanaged
export class Snapshot {
  id: u32;
  owner: u32;           // the domain whose tree it is in; 0 once that domain is gone
  parent: u32;          // 0: a root
  dependents: u32;      // child snapshots and domains based on it
  hidden: u32;          // deleted (or a fork's point): kept for its dependents, never listed
  frames: u32;          // frames of this record
  extents: u32;
  pages: u32;           // pages its extents hold: the frames it owns
  seq: u32;             // its number in its owner's tree (names "snapN")
  stateLen: u32;        // bytes of the state as stored (packed, src/lib/zeros.ts)
  rawLen: u32;          // ... and as capture wrote it, its console ring left out
  ringLen: u32;         // console bytes in the record, those before consoleHead
  nameLen: u32;
  created: u64;         // host TSC ticks since boot (hostUptime)
  template: u64;        // an EPT mapping its image read-only, made for its first fork (0: none)
  templateFrames: u32;  // the tables of that EPT
  consoleHead: u64;     // the console's head at capture
  memBytes: u64;
}
const NAME: usize = offsetof<Snapshot>();
const HEADER: usize = NAME + 32;

@inline function ptr(s: Snapshot): usize { return changetype<usize>(s); }
@inline export function extentsAt(s: Snapshot): usize { return ptr(s) + HEADER; }
@inline export function stateAt(s: Snapshot): usize { return extentsAt(s) + <usize>s.extents * EXTENT; }
@inline export function ringAt(s: Snapshot): usize { return stateAt(s) + <usize>s.stateLen; }
// Extent `i` of `s`, and its first page, its page count, its first frame.
@inline export function extentAt(s: Snapshot, i: u32): usize { return extentsAt(s) + <usize>i * EXTENT; }
@inline export function extentPage(at: usize): u32 { return load<u32>(at); }
@inline export function extentCount(at: usize): u32 { return load<u32>(at + 4); }
@inline export function extentFrame(at: usize): u64 { return load<u64>(at + 8); }
@inline function setExtent(at: usize, page: u32, count: u32, frame: u64): void {
  store<u32>(at, page);
  store<u32>(at + 4, count);
  store<u64>(at + 8, frame);
}

export function snapshotById(id: u64): Snapshot | null {
  if (id == 0 || id >= <u64>SNAPSHOTS_MAX) return null;
  const p = <usize>load<u64>(table + (<usize>id << 3));
  return p == 0 ? null : changetype<Snapshot>(p);
}

export function snapshotName(s: Snapshot): string {
  return String.UTF8.decodeUnsafe(ptr(s) + NAME, <usize>s.nameLen);
}

export function snapshotSetName(s: Snapshot, name: string): void {
  const n = String.UTF8.byteLength(name);
  const len = n < <i32>SNAPSHOT_NAME_MAX ? n : <i32>SNAPSHOT_NAME_MAX;
  String.UTF8.encodeUnsafe(changetype<usize>(name), name.length, ptr(s) + NAME);
  memory.fill(ptr(s) + NAME + <usize>len, 0, 32 - <usize>len);
  s.nameLen = <u32>len;
}

// Bytes of a record with these parts.
@inline export function recordBytes(extents: u32, stateLen: u32, ringLen: u32): usize {
  return HEADER + <usize>extents * EXTENT + <usize>stateLen + <usize>ringLen;
}

// A new record with a free id, its header zeroed but for the sizes; null
// when no id or no frames are left.
export function snapshotAlloc(extents: u32, stateLen: u32, ringLen: u32): Snapshot | null {
  let id: u32 = 1;
  while (id < SNAPSHOTS_MAX && load<u64>(table + (<usize>id << 3)) != 0) id++;
  if (id >= SNAPSHOTS_MAX) return null;
  const bytes = recordBytes(extents, stateLen, ringLen);
  const frames = <u32>((bytes + <usize>PAGE - 1) >> 12);
  const at = frameAllocContiguous(frames, 1);
  if (at == 0) return null;
  if (at + (<u64>frames << 12) > HV_MAPPED_BYTES) {
    for (let i: u32 = 0; i < frames; i++) frameFree(at + (<u64>i << 12));
    return null;
  }
  memory.fill(<usize>at, 0, HEADER);
  const s = changetype<Snapshot>(<usize>at);
  s.id = id;
  s.frames = frames;
  s.extents = extents;
  s.stateLen = stateLen;
  s.ringLen = ringLen;
  store<u64>(table + (<usize>id << 3), at);
  return s;
}

// Gives back the record (not the frames its extents hold) and its template.
function recordFree(s: Snapshot): void {
  if (s.template != 0) eptDestroy(s.template);
  store<u64>(table + (<usize>s.id << 3), 0);
  const at = <u64>ptr(s);
  const n = s.frames;
  for (let i: u32 = 0; i < n; i++) frameFreeLater(at + (<u64>i << 12));
}

// The frame of guest page `page` in `s`'s own extents, or 0.
function extentFind(s: Snapshot, page: u32): u64 {
  const base = extentsAt(s);
  let lo: i32 = 0, hi: i32 = <i32>s.extents - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const e = base + <usize>mid * EXTENT;
    const first = extentPage(e);
    if (page < first) hi = mid - 1;
    else if (page - first >= extentCount(e)) lo = mid + 1;
    else return extentFrame(e) + (<u64>(page - first) << 12);
  }
  return 0;
}

// The frame holding guest page `page` in `s`'s image, or 0 if none does.
export function imageFrame(s: Snapshot, page: u32): u64 {
  let t = s;
  while (true) {
    const f = extentFind(t, page);
    if (f != 0) return f;
    const p = snapshotById(t.parent);
    if (p === null) return 0;
    t = p;
  }
  return 0;
}

// Appends page -> frame to the extents at `out` (n so far), merging with
// the last one when both runs continue; the new count.
export function extentAppend(out: usize, n: u32, page: u32, count: u32, frame: u64): u32 {
  if (n > 0) {
    const last = out + <usize>(n - 1) * EXTENT;
    const c = extentCount(last);
    if (extentPage(last) + c == page && extentFrame(last) + (<u64>c << 12) == frame) {
      store<u32>(last + 4, c + count);
      return n;
    }
  }
  setExtent(out + <usize>n * EXTENT, page, count, frame);
  return n + 1;
}

// The extents of every page of `dom`'s RAM as its EPT maps it, written at
// `out` (if not 0); their count.
export function ramExtents(dom: Domain, out: usize): u32 {
  let n: u32 = 0, runs: u32 = 0;
  let gpa: u64 = 0;
  let lastEnd: u64 = <u64>-1, lastFrame: u64 = 0;
  while (gpa < dom.guest.memBytes) {
    const size = eptLeafSize(dom.eptPml4, gpa);
    if (size == 0) {
      gpa += PAGE;
      continue;
    }
    const hpa = eptTranslate(dom.eptPml4, gpa);
    let len = size - (gpa & (size - 1));
    if (len > dom.guest.memBytes - gpa) len = dom.guest.memBytes - gpa;
    const pages = <u32>(len >> 12);
    if (out != 0) n = extentAppend(out, n, <u32>(gpa >> 12), pages, hpa);
    else if (gpa != lastEnd || hpa != lastFrame) runs++;
    lastEnd = gpa + len;
    lastFrame = hpa + len;
    gpa += len;
  }
  return out != 0 ? n : runs;
}

// Frees the frames `s`'s extents hold (scrubbed by the idle loop).
function freeExtentFrames(s: Snapshot): void {
  const base = extentsAt(s);
  for (let i: u32 = 0; i < s.extents; i++) {
    const e = base + <usize>i * EXTENT;
    const f = extentFrame(e);
    const n = extentCount(e);
    for (let k: u32 = 0; k < n; k++) frameRelease(f + (<u64>k << 12));
  }
}

// ── Its image as an EPT ─────────────────────────────────────────────────

// Maps `s`'s image into the EPT at `pml4`, read-only: the root's extents
// first (2 MiB pages where they allow), each descendant's pages over them
// (a page already 4 KiB takes one walk; the first in a 2 MiB page splits
// it). False when out of frames for tables.
export function imageMap(pml4: u64, s: Snapshot): bool {
  const path: Snapshot[] = [];
  let t: Snapshot | null = s;
  while (t !== null) {
    path.push(t);
    t = snapshotById(t.parent);
  }
  for (let i = path.length - 1; i >= 0; i--) {
    const x = unchecked(path[i]);
    const base = extentsAt(x);
    for (let k: u32 = 0; k < x.extents; k++) {
      const e = base + <usize>k * EXTENT;
      const gpa = <u64>extentPage(e) << 12, frame = extentFrame(e), pages = extentCount(e);
      if (i == path.length - 1) {
        if (eptMap(pml4, gpa, frame, <u64>pages << 12, SHARED, MEMORY_TYPE_WB, EPT_ALLOW_2M) != EPT_OK) return false;
        continue;
      }
      for (let p: u32 = 0; p < pages; p++) {
        const g = gpa + (<u64>p << 12), f = frame + (<u64>p << 12);
        if (eptSwap4K(pml4, g, f, SHARED) == 0 && eptMap(pml4, g, f, PAGE, SHARED, MEMORY_TYPE_WB, 0) != EPT_OK) return false;
      }
    }
  }
  return true;
}

// Gives the empty EPT `pml4` `s`'s image: a copy of its template, made the
// first time (so that many forks of one snapshot cost a table copy each).
export function imageInto(pml4: u64, s: Snapshot): bool {
  if (s.template == 0) {
    const before = framesFree();
    const t = eptCreate();
    if (t == 0) return false;
    if (!imageMap(t, s)) {
      eptDestroy(t);
      return false;
    }
    s.template = t;
    s.templateFrames = <u32>(before - framesFree());
  }
  return eptCloneInto(pml4, s.template);
}

// ── Dependents ───────────────────────────────────────────────────────────

export function snapshotDepend(s: Snapshot): void { s.dependents++; }

// One dependent of `s` less: a hidden snapshot is then merged or freed.
export function snapshotRelease(s: Snapshot): void {
  if (s.dependents > 0) s.dependents--;
  collapse(s);
}

// Hides `s` (deleted by its owner): it goes as soon as fewer than two
// depend on it.
export function snapshotHide(s: Snapshot): void {
  s.hidden = 1;
  collapse(s);
}

function childOf(s: Snapshot): Snapshot | null {
  for (let id: u32 = 1; id < SNAPSHOTS_MAX; id++) {
    const c = snapshotById(id);
    if (c !== null && c.parent == s.id) return c;
  }
  return null;
}

function domainBasedOn(s: Snapshot): Domain | null {
  for (let i = 0; i < domains.length; i++) if (unchecked(domains[i]).base == s.id) return unchecked(domains[i]);
  return null;
}

function collapse(s: Snapshot): void {
  while (s.hidden != 0 && s.dependents <= 1) {
    const parent = snapshotById(s.parent);
    const gone = s.dependents == 0;
    if (gone) {
      freeExtentFrames(s);
      recordFree(s);
    } else {
      const c = childOf(s);
      if (c !== null) {
        if (!mergeIntoChild(s, c)) return;   // no frames for the merged record: stays hidden
      } else {
        const d = domainBasedOn(s);
        if (d === null) return;              // cannot happen: the count says one
        mergeIntoDomain(s, d);
      }
      recordFree(s);
    }
    if (parent === null) return;
    // s's place under its parent went to its dependent, or to nobody.
    if (gone && parent.dependents > 0) parent.dependents--;
    s = parent;
  }
}

// `s`'s pages go to its one child `c` where `c` did not write them; `c`
// takes s's place under s's parent, with s's console bytes before its own.
function mergeIntoChild(s: Snapshot, c: Snapshot): bool {
  const cap = s.extents + 2 * c.extents;
  const scratch = heap.alloc(<usize>cap * EXTENT + EXTENT);
  let n: u32 = 0;
  // Each of s's extents minus the pages c holds, merged in page order with
  // c's own extents (which win).
  const se = extentsAt(s), ce = extentsAt(c);
  let j: u32 = 0;
  for (let i: u32 = 0; i < s.extents; i++) {
    const e = se + <usize>i * EXTENT;
    let page = extentPage(e);
    const end = page + extentCount(e);
    let frame = extentFrame(e);
    while (page < end) {
      // c's extents that start before this point are output first.
      while (j < c.extents && extentPage(ce + <usize>j * EXTENT) + extentCount(ce + <usize>j * EXTENT) <= page) {
        const x = ce + <usize>j * EXTENT;
        n = extentAppend(scratch, n, extentPage(x), extentCount(x), extentFrame(x));
        j++;
      }
      let stop = end;
      if (j < c.extents) {
        const x = ce + <usize>j * EXTENT;
        const xs = extentPage(x);
        if (xs <= page) {
          // c holds `page`: s's frame there is dropped.
          const xe = xs + extentCount(x);
          const upto = xe < end ? xe : end;
          for (let p = page; p < upto; p++) frameRelease(frame + (<u64>(p - page) << 12));
          frame += <u64>(upto - page) << 12;
          page = upto;
          continue;
        }
        if (xs < stop) stop = xs;
      }
      n = extentAppend(scratch, n, page, stop - page, frame);
      frame += <u64>(stop - page) << 12;
      page = stop;
    }
  }
  while (j < c.extents) {
    const x = ce + <usize>j * EXTENT;
    n = extentAppend(scratch, n, extentPage(x), extentCount(x), extentFrame(x));
    j++;
  }
  // The console: c's bytes, preceded by s's where c's begin at s's head,
  // the last ring's worth.
  let lo = ringFrom(c);
  if (lo == s.consoleHead) lo = ringFrom(s);
  if (c.consoleHead - lo > <u64>CONSOLE_RING_SIZE) lo = c.consoleHead - <u64>CONSOLE_RING_SIZE;
  const ringLen = <u32>(c.consoleHead - lo);
  const m = snapshotAlloc(n, c.stateLen, ringLen);
  if (m === null) return false;
  const id = m.id, frames = m.frames;
  memory.copy(ptr(m), ptr(c), HEADER);
  m.id = id;
  m.frames = frames;
  m.extents = n;
  m.ringLen = ringLen;
  m.parent = s.parent;
  m.pages = 0;
  for (let i: u32 = 0; i < n; i++) m.pages += extentCount(scratch + <usize>i * EXTENT);
  memory.copy(extentsAt(m), scratch, <usize>n * EXTENT);
  memory.copy(stateAt(m), stateAt(c), <usize>c.stateLen);
  const own = c.ringLen < ringLen ? c.ringLen : ringLen;
  const fromS = ringLen - own;
  memory.copy(ringAt(m), ringAt(s) + <usize>(s.ringLen - fromS), <usize>fromS);
  memory.copy(ringAt(m) + <usize>fromS, ringAt(c) + <usize>(c.ringLen - own), <usize>own);
  // The merged record takes c's id, so that nothing naming c changes; c's
  // image, and so its template, is m's.
  store<u64>(table + (<usize>id << 3), 0);
  const cid = c.id;
  c.template = 0;
  recordFree(c);
  m.id = cid;
  store<u64>(table + (<usize>cid << 3), <u64>ptr(m));
  // s's dependent was c; it is now m, under s's parent in its place: the
  // parent keeps its count.
  return true;
}

// The console position a record's bytes start at.
@inline function ringFrom(s: Snapshot): u64 { return s.consoleHead - <u64>s.ringLen; }

// `s`'s pages go to the one domain based on it, `d`, where it did not
// write them (they become its own, writable unless dedup shares the
// frame); `d` is then based on s's parent, or on nothing if s was a root.
function mergeIntoDomain(s: Snapshot, d: Domain): void {
  const se = extentsAt(s);
  for (let i: u32 = 0; i < s.extents; i++) {
    const e = se + <usize>i * EXTENT;
    const first = extentPage(e);
    const n = extentCount(e);
    let run: u32 = 0;
    for (let k: u32 = 0; k <= n; k++) {
      const page = first + k;
      const f = extentFrame(e) + (<u64>k << 12);
      const mine = k < n && ownBit(d, page);
      const shared = k < n && !mine && frameHolders(f) != 0;
      if (k < n && !mine) {
        // Still mapped to s's frame: it becomes d's own.
        setOwnBit(d, page);
        d.ownCount++;
        if (!shared) {
          run++;
          continue;
        }
        d.ownShared++;
      }
      if (run > 0) {
        eptProtect(d.eptPml4, <u64>(page - run) << 12, <u64>run << 12, RAM);
        run = 0;
      }
      if (mine) frameRelease(f);
    }
  }
  d.base = s.parent;
  cowLogReset(d, false);    // its entries name s's frames, which moved
  if (d.base == 0) {
    // All its own again: the 2 MiB pages that copy-on-write split are
    // whole again where their frames still are.
    d.ownCount = guestPages(d);
    for (let gpa: u64 = 0; gpa + PAGE_2M <= d.guest.memBytes; gpa += PAGE_2M) eptCollapse(d.eptPml4, gpa);
  }
  guestEptChanged(d);
}

// ── A domain's memory going away ─────────────────────────────────────────

// `dom` stopped and its own frames are freed: the snapshot it is based on
// loses a dependent, and every snapshot of its tree is deleted (those that
// forks still use stay, hidden).
export function snapshotsDomainGone(dom: Domain): void {
  const base = snapshotById(dom.base);
  dom.base = 0;
  if (base !== null) snapshotRelease(base);
  // Leaves first, so that nothing is merged only to be freed.
  for (let id: u32 = 1; id < SNAPSHOTS_MAX; id++) {
    const s = snapshotById(id);
    if (s !== null && s.owner == dom.id) {
      s.owner = 0;
      s.hidden = 1;
    }
  }
  let again = true;
  while (again) {
    again = false;
    for (let id: u32 = 1; id < SNAPSHOTS_MAX; id++) {
      const s = snapshotById(id);
      if (s !== null && s.hidden != 0 && s.dependents == 0) {
        collapse(s);
        again = true;
      }
    }
  }
  for (let id: u32 = 1; id < SNAPSHOTS_MAX; id++) {
    const s = snapshotById(id);
    if (s !== null && s.hidden != 0) collapse(s);
  }
}

// ── Accounting ───────────────────────────────────────────────────────────

// Frames held by snapshots owned by `owner` (0: all): records and pages,
// less the pages on frames dedup shares (counted once, as dedup's).
export function snapshotFrames(owner: u32): u64 {
  let n: u64 = 0;
  for (let id: u32 = 1; id < SNAPSHOTS_MAX; id++) {
    const s = snapshotById(id);
    if (s === null || (owner != 0 && s.owner != owner)) continue;
    n += <u64>s.frames + <u64>s.pages + <u64>s.templateFrames;
    if (framesShared() == 0) continue;
    for (let i: u32 = 0; i < s.extents; i++) {
      const e = extentAt(s, i);
      for (let k: u32 = 0; k < extentCount(e); k++) if (frameHolders(extentFrame(e) + (<u64>k << 12)) != 0) n--;
    }
  }
  return n;
}

// Snapshots in `owner`'s tree (hidden ones not counted).
export function snapshotCount(owner: u32): u32 {
  let n: u32 = 0;
  for (let id: u32 = 1; id < SNAPSHOTS_MAX; id++) {
    const s = snapshotById(id);
    if (s !== null && s.owner == owner && s.hidden == 0) n++;
  }
  return n;
}

