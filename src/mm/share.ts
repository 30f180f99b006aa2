// Frames held by more than one owner: the pages dedup merged
// (src/domain/dedup.ts). Such a frame is read-only wherever it is mapped
// and counts its holders (domains whose own page it is, snapshots whose
// extents hold it); with one left, it is that one's own again. Every other
// frame has one owner and no count: releasing it frees it.
//
// The counts: a u16 per frame, in tables of LEAF_FRAMES counts (one frame
// each, taken when its first frame is shared, given back with its last),
// under a directory covering the direct map. A directory entry is the
// table's address with the number of shared frames it counts in the low
// 12 bits.
import { frameAllocMapped, frameFree, frameFreeLater } from "./frames";
import { zeroFrameQ } from "./scrub";
import { HV_MAPPED_BYTES } from "../arch/layout";

const LEAF_FRAMES: u64 = 2048;                 // u16 counts in a 4 KiB table
const LEAVES: u64 = (HV_MAPPED_BYTES >> 12) / LEAF_FRAMES;
export const SHARE_HOLDERS_MAX: u32 = 0xffff;
const directory = memory.data(<i32>(LEAVES << 3), 8);
let sharedCount: u64 = 0;

@inline function dirEntry(f: u64): usize { return directory + (<usize>(f / LEAF_FRAMES) << 3); }
@inline function countAt(e: u64, f: u64): usize { return <usize>(e & ~<u64>0xfff) + (<usize>(f % LEAF_FRAMES) << 1); }

// Holders of the frame at `pa`: 0 for a frame with one owner (not shared).
export function frameHolders(pa: u64): u32 {
  if (pa >= HV_MAPPED_BYTES) return 0;
  const f = pa >> 12;
  const e = load<u64>(dirEntry(f));
  return e == 0 ? 0 : <u32>load<u16>(countAt(e, f));
}

// One holder more for the frame at `pa` (mapped below HV_MAPPED_BYTES); a
// frame with one owner becomes shared, with two. False, nothing changed,
// at SHARE_HOLDERS_MAX or with no frame left for its table.
export function frameShare(pa: u64): bool {
  if (pa >= HV_MAPPED_BYTES) return false;
  const f = pa >> 12;
  const d = dirEntry(f);
  let e = load<u64>(d);
  if (e == 0) {
    const t = frameAllocMapped();
    if (t == 0) return false;
    zeroFrameQ(t);
    e = t;
  }
  const c = countAt(e, f);
  const n = <u32>load<u16>(c);
  if (n == SHARE_HOLDERS_MAX) return false;
  if (n == 0) {
    e++;
    sharedCount++;
  }
  store<u16>(c, <u16>(n == 0 ? 2 : n + 1));
  store<u64>(d, e);
  return true;
}

// One holder of the frame at `pa` lets it go: freed (scrubbed by the idle
// loop) if it had no other; with one other left, that one is its owner
// again. Every guest RAM frame that leaves its owner goes through here.
export function frameRelease(pa: u64): void {
  const n = frameHolders(pa);
  if (n == 0) {
    frameFreeLater(pa);
    return;
  }
  const f = pa >> 12;
  const d = dirEntry(f);
  let e = load<u64>(d);
  store<u16>(countAt(e, f), <u16>(n == 2 ? 0 : n - 1));
  if (n > 2) return;
  sharedCount--;
  e--;
  if ((e & 0xfff) == 0) {
    frameFree(e);
    e = 0;
  }
  store<u64>(d, e);
}

// Frames shared now (each counted once, however many hold it).
export function framesShared(): u64 { return sharedCount; }
