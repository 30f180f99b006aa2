// Dedup: the identical pages of a group of domains merged into one frame
// each, shared read-only (src/mm/share.ts) and copied again on the first
// write (src/domain/memory.ts). Never on by default: which pages two
// domains share is a side channel between them, so a scan merges only
// within the group it is given, and only onto frames no one outside the
// group holds. The domains are paused, on no CPU.
//
// Passes over their own pages with a table of the distinct pages seen,
// keyed by a seeded hash of their contents: first the shared frames they
// hold already (a frame all of whose holders are in the group may take
// more), joined where two hold the same bytes; then each writable page,
// merged onto an equal one in the table or added to it. Only pages the domains own are scanned: those borrowed from
// a snapshot share their frame already.
//
// The table lives in frames taken for the scan (given back at its end):
// 16-byte entries (hash u64, frame number u32, what u32); with fewer frames
// than its pages need, a smaller table remembers fewer pages (fewer merges,
// never a wrong one).
import { Domain } from "./domain";
import { guestPages, guestPageIsOwn, guestEptChanged } from "./memory";
import { eptLeafEntry, eptLeafSize, eptTranslate, eptMap, EPT_OK } from "../ept/ept";
import { EPT_READ, EPT_WRITE, EPT_EXECUTE } from "../arch/ept";
import { MEMORY_TYPE_WB } from "../arch/vmx";
import { HV_MAPPED_BYTES } from "../arch/layout";
import { frameAllocContiguous, frameFree } from "../mm/frames";
import { frameHolders, frameShare, frameRelease } from "../mm/share";
import { hostUptime } from "../cpu/percpu";

const PAGE: u64 = 0x1000;
const SHARED: u32 = <u32>(EPT_READ | EPT_EXECUTE);
const ENTRY: usize = 16;
const PAGE_BITS: u32 = 24;            // pages of a domain a scan reaches: 64 GiB
const PAGE_MASK: u32 = (1 << PAGE_BITS) - 1;
const SHARED_ENTRY: u32 = 1 << 31;    // what: a shared frame; its holders seen in the group below
const CLOSED: u32 = 1 << 30;          // ... held outside the group: takes no more
const LEFT: u32 = 1 << 29;            // ... its pages move to an equal frame: takes no more
const NO_MORE: u32 = CLOSED | LEFT;
const COMPARES_MAX: u32 = 4;          // equal-hash pages compared per page (a bound on crafted collisions)

let table: usize = 0;
let slots: u32 = 0;
let used: u32 = 0;
let seed: u64 = 0;
let changed: u64 = 0;      // the domains whose EPT a merge changed (a bit each)
let joinable = false;      // two shared frames hash alike: sharedPagesJoined has work

// Merges the identical pages of `doms` (paused, each a DomU once, at most
// DEDUP_DOMAINS_MAX): the pages mapped to another frame (a writable one
// merged frees its frame; a shared one moved frees its old frame with the
// last), or -1 when no frame is left for even a one-frame table.
export function dedupScan(doms: Domain[]): i64 {
  let pages: u64 = 0;
  for (let i = 0; i < doms.length; i++) pages += <u64>guestPages(unchecked(doms[i]));
  // Twice as many slots as pages, a power of two; fewer if frames are short.
  let want: u64 = 256;
  while (want < pages * 2 && want < (<u64>1 << 30)) want <<= 1;
  let frames = <u32>(want * <u64>ENTRY / PAGE);
  let at: u64 = 0;
  while (true) {
    at = frameAllocContiguous(frames, 1);
    if (at != 0 && at + (<u64>frames << 12) > HV_MAPPED_BYTES) {
      for (let i: u32 = 0; i < frames; i++) frameFree(at + (<u64>i << 12));
      at = 0;
    }
    if (at != 0 || frames == 1) break;
    frames >>= 1;
  }
  if (at == 0) return -1;
  table = <usize>at;
  slots = <u32>((<u64>frames << 12) / <u64>ENTRY);
  used = 0;
  memory.fill(table, 0, <usize>frames << 12);
  seed = (hostUptime() | 1) * 0x9e3779b97f4a7c15;

  joinable = false;
  for (let i = 0; i < doms.length; i++) sharedFramesSeen(unchecked(doms[i]));
  for (let s: u32 = 0; s < slots; s++) {
    const e = table + <usize>s * ENTRY;
    const what = load<u32>(e + 12);
    if (load<u32>(e + 8) == 0 || (what & SHARED_ENTRY) == 0) continue;
    // (A frame whose other holders let go is one holder's again.)
    const holders = frameHolders(<u64>load<u32>(e + 8) << 12);
    if ((what & PAGE_MASK) != (holders == 0 ? 1 : holders)) store<u32>(e + 12, what | CLOSED);
  }
  let merged: i64 = 0;
  changed = 0;
  if (joinable) for (let i = 0; i < doms.length; i++) merged += sharedPagesJoined(doms, <u32>i);
  for (let i = 0; i < doms.length; i++) merged += writablePagesMerged(doms, <u32>i);
  for (let i = 0; i < doms.length; i++) if ((changed >> <u64>i) & 1) guestEptChanged(unchecked(doms[i]));
  for (let i: u32 = 0; i < frames; i++) frameFree(at + (<u64>i << 12));
  table = 0;
  return merged;
}

// The first page of `d` from `page` on that is its own on a shared frame
// (read-only), or guestPages(d) if none is.
function nextShared(d: Domain, page: u32): u32 {
  const n = guestPages(d);
  if (d.ownShared == 0) return n;
  for (; page < n; page++) {
    const leaf = eptLeafEntry(d.eptPml4, <u64>page << 12);
    if (leaf != 0 && (leaf & <u64>EPT_WRITE) == 0 && guestPageIsOwn(d, page)) return page;
  }
  return n;
}

// Each shared frame `d` holds goes into the table, counting its holders
// in the group.
function sharedFramesSeen(d: Domain): void {
  for (let page = nextShared(d, 0); page < guestPages(d); page = nextShared(d, page + 1)) {
    const f = eptTranslate(d.eptPml4, <u64>page << 12);
    const h = pageHash(f);
    let s = <u32>(h & <u64>(slots - 1));
    while (true) {
      const e = table + <usize>s * ENTRY;
      const ef = load<u32>(e + 8);
      if (ef == 0) {
        if (used < slots - (slots >> 2)) {
          store<u64>(e, h);
          store<u32>(e + 8, <u32>(f >> 12));
          store<u32>(e + 12, SHARED_ENTRY | 1);
          used++;
        }
        break;
      }
      if (<u64>ef << 12 == f) {
        store<u32>(e + 12, load<u32>(e + 12) + 1);
        break;
      }
      if (load<u64>(e) == h) joinable = true;   // another frame, maybe the same bytes
      s = (s + 1) & (slots - 1);
    }
  }
}

// Each own page of `doms[di]` on a shared frame the group alone holds
// moves to the first equal such frame in the table, if that is another
// (two scans that merged the same contents apart, within two groups now
// one); the frame it leaves takes no more. How many moved.
function sharedPagesJoined(doms: Domain[], di: u32): i64 {
  const d = unchecked(doms[<i32>di]);
  let moved: i64 = 0;
  for (let page = nextShared(d, 0); page < guestPages(d); page = nextShared(d, page + 1)) {
    const gpa = <u64>page << 12;
    const f = eptTranslate(d.eptPml4, gpa);
    const h = pageHash(f);
    let s = <u32>(h & <u64>(slots - 1));
    let first: usize = 0;
    let compared: u32 = 0;
    while (true) {
      const e = table + <usize>s * ENTRY;
      const ef = load<u32>(e + 8);
      if (ef == 0) break;             // not in the table: left alone
      const what = load<u32>(e + 12);
      if (<u64>ef << 12 == f) {
        if ((what & CLOSED) == 0 && first != 0) {
          // (LEFT already when an earlier page moved off it.)
          const to = <u64>load<u32>(first + 8) << 12;
          if (frameShare(to)) {
            if (eptMap(d.eptPml4, gpa, to, PAGE, SHARED, MEMORY_TYPE_WB, 0) == EPT_OK) {
              store<u32>(e + 12, what | LEFT);
              frameRelease(f);
              changed |= <u64>1 << <u64>di;
              moved++;
            } else {
              frameRelease(to);
            }
          }
        }
        break;
      }
      if (first == 0 && load<u64>(e) == h && (what & (SHARED_ENTRY | NO_MORE)) == SHARED_ENTRY && compared < COMPARES_MAX) {
        compared++;
        if (pagesEqual(f, <u64>ef << 12)) first = e;
      }
      s = (s + 1) & (slots - 1);
    }
  }
  return moved;
}

// Each page of `doms[di]` it owns and may write: merged onto an equal page
// in the table, or added to it. How many were merged.
function writablePagesMerged(doms: Domain[], di: u32): i64 {
  const d = unchecked(doms[<i32>di]);
  let merged: i64 = 0;
  let gpa: u64 = 0;
  const end = d.guest.memBytes;
  while (gpa < end) {
    const leaf = eptLeafEntry(d.eptPml4, gpa);
    const size = eptLeafSize(d.eptPml4, gpa);
    if (leaf == 0) {
      gpa += PAGE;
      continue;
    }
    let stop = (gpa & ~(size - 1)) + size;
    if (stop > end) stop = end;
    if ((leaf & <u64>EPT_WRITE) == 0 || gpa >> 12 > <u64>PAGE_MASK) {
      gpa = stop;
      continue;
    }
    const base = eptTranslate(d.eptPml4, gpa);
    for (let g = gpa; g < stop; g += PAGE) {
      if (pageMerged(doms, di, <u32>(g >> 12), base + (g - gpa))) merged++;
    }
    gpa = stop;
  }
  return merged;
}

// Page `page` of doms[di], writable on frame `f`: merged (true), or
// remembered if the table has room.
function pageMerged(doms: Domain[], di: u32, page: u32, f: u64): bool {
  const h = pageHash(f);
  let s = <u32>(h & <u64>(slots - 1));
  let compared: u32 = 0;
  while (true) {
    const e = table + <usize>s * ENTRY;
    const ef = load<u32>(e + 8);
    if (ef == 0) {
      if (used < slots - (slots >> 2) && page <= PAGE_MASK) {
        store<u64>(e, h);
        store<u32>(e + 8, <u32>(f >> 12));
        store<u32>(e + 12, (di << PAGE_BITS) | page);
        used++;
      }
      return false;
    }
    if (load<u64>(e) == h) {
      const what = load<u32>(e + 12);
      const target = <u64>ef << 12;
      if (((what & SHARED_ENTRY) == 0 || (what & NO_MORE) == 0) && compared < COMPARES_MAX) {
        compared++;
        if (pagesEqual(f, target)) return mergeOnto(doms, di, page, f, e);
      }
    }
    s = (s + 1) & (slots - 1);
  }
  return false;
}

// Maps page `page` of doms[di] (on frame `f`) to the table entry `e`'s
// frame, read-only, and lets `f` go; an entry that is a writable page
// becomes a shared frame first. False, that page unchanged, when out of
// frames (for a split EPT table or the frame's count).
function mergeOnto(doms: Domain[], di: u32, page: u32, f: u64, e: usize): bool {
  const what = load<u32>(e + 12);
  const target = <u64>load<u32>(e + 8) << 12;
  if ((what & SHARED_ENTRY) == 0) {
    const oi = what >> PAGE_BITS;
    const owner = unchecked(doms[<i32>oi]);
    if (eptMap(owner.eptPml4, <u64>(what & PAGE_MASK) << 12, target, PAGE, SHARED, MEMORY_TYPE_WB, 0) != EPT_OK) return false;
    owner.ownShared++;
    changed |= <u64>1 << <u64>oi;
    store<u32>(e + 12, SHARED_ENTRY | 1);
  }
  if (!frameShare(target)) return false;
  const d = unchecked(doms[<i32>di]);
  if (eptMap(d.eptPml4, <u64>page << 12, target, PAGE, SHARED, MEMORY_TYPE_WB, 0) != EPT_OK) {
    frameRelease(target);
    return false;
  }
  d.ownShared++;
  changed |= <u64>1 << <u64>di;
  frameRelease(f);
  return true;
}

// A seeded hash of the frame at `pa`'s 4 KiB: equal pages hash equal; the
// seed is new each scan, so that a guest cannot aim for collisions.
function pageHash(pa: u64): u64 {
  let h = seed;
  const p = <usize>pa;
  for (let i: usize = 0; i < 4096; i += 8) {
    h = (h ^ load<u64>(p + i)) * 0x100000001b3;
    h ^= h >> 29;
  }
  return h | 1;
}

function pagesEqual(a: u64, b: u64): bool {
  const p = <usize>a, q = <usize>b;
  for (let i: usize = 0; i < 4096; i += 8) if (load<u64>(p + i) != load<u64>(q + i)) return false;
  return true;
}
