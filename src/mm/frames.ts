// The physical frame allocator: one bit per 4 KiB frame.
//
// Two bitmaps over [0, top), top = the end of the highest usable frame
// (capped at FRAMES_MAX_PHYS):
//   usable     1 = RAM the memory map calls available and nobody reserved;
//              fixed after framesInit, so frees of reserved frames are caught
//   allocated  1 = not free (allocated, or not usable at all)
//   dirty      1 = free but not yet scrubbed (frameFreeLater): the idle
//              loop zeroes them (framesScrub); one handed out before that is
//              the caller's to overwrite, as every frame is
// They live on the AssemblyScript heap, allocated once at boot; alloc and
// free touch only the bitmaps (never the frames, which may lie above 4 GiB
// where no wasm address reaches).
import { MemoryRange } from "../boot/bootinfo";
import { MULTIBOOT_MEMORY_AVAILABLE } from "../arch/multiboot";
import { panic } from "../log/log";
import { hex } from "../lib/str";
import { HV_MAPPED_BYTES } from "../arch/layout";
import { zeroFrameQ } from "./scrub";

export const FRAME_SIZE: u64 = 4096;
const FRAME_SHIFT: u64 = 12;
export const FRAMES_MAX_PHYS: u64 = 64 << 30; // 64 GiB: bitmaps of 2 MiB each

// frameFreeChecked() results, errno-like.
export const FRAME_OK: i32 = 0;
export const FRAME_EINVAL: i32 = -22;   // not 4 KiB aligned
export const FRAME_ERANGE: i32 = -34;   // beyond the managed range
export const FRAME_EPERM: i32 = -1;     // reserved or not RAM: never handed out
export const FRAME_EALREADY: i32 = -114; // not allocated (double free)

// A range the allocator must never hand out: [base, end), named for logs.
export class ReservedRange {
  constructor(public base: u64, public end: u64, public name: string) {}
}

let usable: usize = 0;
let allocated: usize = 0;
let dirty: usize = 0;
let dirtyCount: u32 = 0;
let scrubHint: u32 = 0;
let capacityWords: u32 = 0; // words allocated for each bitmap
let nFrames: u32 = 0;
let nWords: u32 = 0;
let hint: u32 = 0;          // word where the next search starts
let freeCount: u64 = 0;
let totalCount: u64 = 0;

@inline function word(map: usize, i: u32): u64 { return load<u64>(map + (<usize>i << 3)); }
@inline function setWord(map: usize, i: u32, v: u64): void { store<u64>(map + (<usize>i << 3), v); }
@inline function bit(map: usize, f: u32): bool { return ((word(map, f >> 6) >> (<u64>f & 63)) & 1) != 0; }
@inline function setBit(map: usize, f: u32): void { setWord(map, f >> 6, word(map, f >> 6) | (<u64>1 << (<u64>f & 63))); }
@inline function clearBit(map: usize, f: u32): void { setWord(map, f >> 6, word(map, f >> 6) & ~(<u64>1 << (<u64>f & 63))); }

// Marks frames [first, last) usable (when `on`) or unusable.
function markUsable(first: u64, last: u64, on: bool): void {
  if (last > <u64>nFrames) last = nFrames;
  for (let f = first; f < last; f++) {
    if (on) {
      setBit(usable, <u32>f);
      clearBit(allocated, <u32>f);
    } else {
      clearBit(usable, <u32>f);
      setBit(allocated, <u32>f);
    }
  }
}

// Builds the bitmaps: type-1 ranges rounded inward are usable; everything
// else the map lists (firmware maps can overlap) and every reserved range,
// rounded outward, is not. Frame 0 is never usable, so 0 can mean "none".
export function framesInit(ranges: MemoryRange[], reserved: ReservedRange[]): void {
  let top: u64 = 0;
  for (let i = 0; i < ranges.length; i++) {
    const m = ranges[i];
    if (m.type != MULTIBOOT_MEMORY_AVAILABLE) continue;
    let end = (m.base + m.length) & ~(FRAME_SIZE - 1);
    if (end > FRAMES_MAX_PHYS) end = FRAMES_MAX_PHYS;
    if (end > top) top = end;
  }
  nFrames = <u32>(top >> FRAME_SHIFT);
  nWords = (nFrames + 63) >> 6;
  if (nWords > capacityWords) {
    usable = heap.alloc(<usize>nWords << 3);
    allocated = heap.alloc(<usize>nWords << 3);
    dirty = heap.alloc(<usize>nWords << 3);
    capacityWords = nWords;
  }
  memory.fill(usable, 0, <usize>nWords << 3);
  memory.fill(allocated, 0xff, <usize>nWords << 3);
  memory.fill(dirty, 0, <usize>nWords << 3);
  dirtyCount = 0;

  for (let i = 0; i < ranges.length; i++) {
    const m = ranges[i];
    if (m.type != MULTIBOOT_MEMORY_AVAILABLE) continue;
    const first = (m.base + FRAME_SIZE - 1) >> FRAME_SHIFT;
    const last = (m.base + m.length) >> FRAME_SHIFT;
    markUsable(first, last, true);
  }
  for (let i = 0; i < ranges.length; i++) {
    const m = ranges[i];
    if (m.type == MULTIBOOT_MEMORY_AVAILABLE) continue;
    markUsable(m.base >> FRAME_SHIFT, (m.base + m.length + FRAME_SIZE - 1) >> FRAME_SHIFT, false);
  }
  for (let i = 0; i < reserved.length; i++) {
    const r = reserved[i];
    if (r.end <= r.base) continue;
    markUsable(r.base >> FRAME_SHIFT, (r.end + FRAME_SIZE - 1) >> FRAME_SHIFT, false);
  }
  if (nFrames > 0) markUsable(0, 1, false);

  freeCount = 0;
  for (let i: u32 = 0; i < nWords; i++) freeCount += popcnt(word(usable, i));
  totalCount = freeCount;
  hint = 0;
}

// One free frame's physical address, or 0 when none is left. Searches a
// word at a time from where the last search ended: O(1) amortised.
export function frameAlloc(): u64 {
  if (freeCount == 0) return 0;
  for (let n: u32 = 0; n < nWords; n++) {
    let i = hint + n;
    if (i >= nWords) i -= nWords;
    const w = word(allocated, i);
    if (w != <u64>-1) {
      const b = <u32>ctz(~w);
      const f = (i << 6) + b;
      if (f >= nFrames) continue; // padding bits are set; cannot happen, kept safe
      setWord(allocated, i, w | (<u64>1 << <u64>b));
      hint = i;
      freeCount--;
      if (dirtyCount != 0) taken(f);
      return <u64>f << FRAME_SHIFT;
    }
  }
  return 0;
}

// A free frame the direct map reaches (below HV_MAPPED_BYTES), or 0: the
// hypervisor writes it itself (a table, a copy).
export function frameAllocMapped(): u64 {
  let pa = frameAlloc();
  if (pa != 0 && pa + FRAME_SIZE > HV_MAPPED_BYTES) {
    // Above the direct map: retry with the lowest free frame instead.
    frameFree(pa);
    pa = frameAllocContiguous(1, 1);
    if (pa != 0 && pa + FRAME_SIZE > HV_MAPPED_BYTES) {
      frameFree(pa);
      pa = 0;
    }
  }
  return pa;
}

// `count` physically contiguous free frames starting at a multiple of
// `alignFrames` frames (512 for a 2 MiB page); the first address, or 0.
// A linear scan: meant for boot time and for rare large allocations.
export function frameAllocContiguous(count: u32, alignFrames: u32): u64 {
  if (count == 0 || <u64>count > freeCount) return 0;
  const align: u64 = alignFrames == 0 ? 1 : <u64>alignFrames;
  let s: u64 = align; // frame 0 is never usable
  while (s + <u64>count <= <u64>nFrames) {
    // A word of busy frames is passed over at once.
    if ((s & 63) == 0 && word(allocated, <u32>(s >> 6)) == <u64>-1) {
      s = ((s + 64 + align - 1) / align) * align;
      continue;
    }
    let j = s;
    const stop = s + <u64>count;
    while (j < stop && !bit(allocated, <u32>j)) j++;
    if (j == stop) {
      for (let f = s; f < stop; f++) {
        setBit(allocated, <u32>f);
        if (dirtyCount != 0) taken(<u32>f);
      }
      freeCount -= count;
      return s << FRAME_SHIFT;
    }
    s = ((j + align) / align) * align; // the next aligned start past the busy frame
  }
  return 0;
}

// Returns a frame; FRAME_OK or why it cannot be freed (nothing changes then).
export function frameFreeChecked(pa: u64): i32 {
  if ((pa & (FRAME_SIZE - 1)) != 0) return FRAME_EINVAL;
  const f = pa >> FRAME_SHIFT;
  if (f >= <u64>nFrames) return FRAME_ERANGE;
  if (!bit(usable, <u32>f)) return FRAME_EPERM;
  if (!bit(allocated, <u32>f)) return FRAME_EALREADY;
  clearBit(allocated, <u32>f);
  freeCount++;
  return FRAME_OK;
}

// A dirty frame handed out is no longer the scrubber's.
@inline function taken(f: u32): void {
  if (!bit(dirty, f)) return;
  clearBit(dirty, f);
  dirtyCount--;
}

// Frees a frame (below HV_MAPPED_BYTES) without zeroing it now: the idle
// loop does (a revert frees hundreds at a time, on a path that should be
// quick).
export function frameFreeLater(pa: u64): void {
  frameFree(pa);
  if (pa + FRAME_SIZE > HV_MAPPED_BYTES) return;
  setBit(dirty, <u32>(pa >> FRAME_SHIFT));
  dirtyCount++;
}

// Zeroes up to `max` free frames frameFreeLater left; how many it did.
export function framesScrub(max: u32): u32 {
  let done: u32 = 0;
  for (let n: u32 = 0; n < nWords && dirtyCount != 0 && done < max; n++) {
    let i = scrubHint + n;
    if (i >= nWords) i -= nWords;
    let w = word(dirty, i);
    while (w != 0 && done < max) {
      const f = (i << 6) + <u32>ctz(w);
      w &= w - 1;
      zeroFrameQ(<u64>f << FRAME_SHIFT);
      clearBit(dirty, f);
      dirtyCount--;
      done++;
    }
    if (w != 0) {
      scrubHint = i;
      break;
    }
  }
  return done;
}

export function framesDirty(): u32 { return dirtyCount; }

// A bad free is a hypervisor bug (a double free would hand one frame to two
// owners), so it stops the machine.
export function frameFree(pa: u64): void {
  const err = frameFreeChecked(pa);
  if (err == FRAME_OK) return;
  const why = err == FRAME_EINVAL ? "misaligned" : err == FRAME_ERANGE ? "beyond managed memory" :
    err == FRAME_EPERM ? "reserved, never allocated" : "not allocated (double free?)";
  panic("frames: bad free of " + hex(pa) + ": " + why);
}

export function framesFree(): u64 { return freeCount; }
export function framesTotal(): u64 { return totalCount; }
// End of managed physical memory: frames at and above it do not exist for us.
export function framesTop(): u64 { return <u64>nFrames << FRAME_SHIFT; }

export function frameIsUsable(pa: u64): bool {
  const f = pa >> FRAME_SHIFT;
  return f < <u64>nFrames && bit(usable, <u32>f);
}

export function frameIsAllocated(pa: u64): bool {
  const f = pa >> FRAME_SHIFT;
  return f < <u64>nFrames && bit(usable, <u32>f) && bit(allocated, <u32>f);
}
