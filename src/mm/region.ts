// The hypervisor's memory for objects: regions, each a bump allocator that
// is given back whole. The AssemblyScript runtime (src/mm/rt.ts) allocates
// every object, string, array and heap.alloc block in the current region.
//
//   permanent  from __heap_base up: what boot sets up and the run keeps
//              (global tables, per-CPU data); never given back
//   arena      runs of 4 KiB pages from HV_WASM_END down: everything made
//              for one domain (its objects, rings, device blocks, name),
//              given back when the domain is reaped (src/lifecycle/stop.ts)
//   scratch    an arena for what one exit or hypercall needs for a moment
//              (log lines, a parsed config), emptied between them (run loop)
//
// Both live in the hypervisor's own reserved range, [HV_WASM_BASE,
// HV_WASM_END): the frames of the host stay the domains' (guest memory, EPT,
// VMCS), and come back exactly when a domain stops.
//
// A block remembers its region, so growing it (an array's buffer) stays in
// the region of what it belongs to. The CPUs share one current region under
// the big lock; code that switches switches back before it lets go. Nothing
// here allocates, logs or panics (the runtime calls it): failures trap.
//
// A block: 8 bytes of header, then the payload, 16-byte aligned (the
// runtime's object header, when it is one, is the payload's first 16 bytes):
//   ┌──────────────┬──────────────┬───────────────────────────┐
//   │ region  u32  │ size  u32    │ payload (size bytes)      │
//   └──────────────┴──────────────┴───────────────────────────┘
//   ptr - 8        ptr - 4        ptr
//
// A chunk of an arena: its first 16 bytes link it to the arena's previous
// chunk; blocks follow.
//   ┌──────────────┬──────────────┬─────────────┬────────────────┐
//   │ prev  u64    │ pages u32    │ 0 u32       │ blocks ...     │
//   └──────────────┴──────────────┴─────────────┴────────────────┘
import { HV_WASM_END } from "../arch/layout";

const ALIGN: usize = 16;
const HEADER: usize = 8;
const CHUNK_HEADER: usize = 16;
const PAGE: usize = 4096;
// An arena grows by at least this much (pages of one chunk).
const CHUNK_PAGES_MIN: u32 = 4;
// Pages of the reserved range, a bit each (1: an arena's).
const PAGES: u32 = <u32>(HV_WASM_END >> 12);
const pageMap = memory.data(<i32>(PAGES >> 3), 8);

export const REGION_PERMANENT: u32 = 0;
// Region ids: the permanent heap, the scratch arena and one per domain.
export const REGIONS_MAX: u32 = 2048;

@unmanaged
export class Region {
  next: usize;        // first free byte of the current chunk
  end: usize;         // end of the current chunk
  chunk: usize;       // the current (newest) chunk, 0 for the permanent heap
  id: u32;
  pages: u32;         // pages held
  used: usize;        // bytes of blocks handed out (headers and padding included)
}

// Region records by id (0: free), and the permanent heap's record.
const table = memory.data(<i32>(REGIONS_MAX << 2), 4);
const permanentRecord = memory.data(<i32>offsetof<Region>(), 8);
let current: usize = 0;
let pagesHeld: u32 = 0;
let arenas: u32 = 0;
// The lowest page any arena has (the permanent heap grows up to it).
let floor: usize = HV_WASM_END;

@inline function align(v: usize): usize { return (v + ALIGN - 1) & ~(ALIGN - 1); }
@inline function regionAt(id: u32): Region { return changetype<Region>(load<u32>(table + (<usize>id << 2))); }

// The permanent heap's record, made at the first allocation.
function permanent(): Region {
  const r = changetype<Region>(permanentRecord);
  if (r.end == 0) {
    r.next = align(__heap_base + HEADER) - HEADER;
    r.end = <usize>memory.size() << 16;   // grows to HV_WASM_END (growPermanent)
    r.id = REGION_PERMANENT;
    store<u32>(table, changetype<u32>(permanentRecord));
  }
  return r;
}

// The region allocations go to now.
export function regionCurrent(): Region {
  return current != 0 ? changetype<Region>(current) : permanent();
}

export function regionPermanent(): Region { return permanent(); }

// Makes `r` the current region; returns the one it replaces.
export function regionUse(r: Region): Region {
  const prev = regionCurrent();
  current = changetype<usize>(r);
  return prev;
}

// `bytes` of payload in `r`, zeroed; the payload's address.
export function regionAlloc(r: Region, bytes: usize): usize {
  const need = align(bytes + HEADER);
  let at = r.next;
  if (at + need > r.end) {
    if (r.chunk == 0) {
      growPermanent(r, at + need);
    } else {
      if (!addChunk(r, need)) unreachable();   // the reserved range is used up: nothing can go on
      at = r.next;
    }
  }
  r.next = at + need;
  r.used += need;
  const ptr = at + HEADER;
  store<u32>(ptr - 8, r.id);
  store<u32>(ptr - 4, <u32>(need - HEADER));
  memory.fill(ptr, 0, need - HEADER);
  return ptr;
}

// The permanent heap is the wasm memory up to HV_WASM_END: it grows into it
// (on bare metal all of it is there; the unit tests' memory starts small).
function growPermanent(r: Region, end: usize): void {
  if (end > floor) unreachable();   // the reserved range is used up
  const have = <usize>memory.size() << 16;
  if (end > have && memory.grow(<i32>((end - have + 0xffff) >> 16)) < 0) unreachable();
  r.end = min(<usize>memory.size() << 16, floor);
}

// Payload bytes of the block at `ptr`, and its region.
@inline export function blockSize(ptr: usize): usize { return load<u32>(ptr - 4); }
@inline export function blockRegion(ptr: usize): Region { return regionAt(load<u32>(ptr - 8)); }

// Grows the block at `ptr` to `bytes` in its own region: in place if it is
// that region's last block, else as a copy (the old block stays until the
// region goes).
export function regionRealloc(ptr: usize, bytes: usize): usize {
  const r = blockRegion(ptr);
  const size = blockSize(ptr);
  if (bytes <= size) return ptr;
  if (ptr + size == r.next && ptr + align(bytes) <= r.end) {
    memory.fill(ptr + size, 0, align(bytes) - size);
    r.next = ptr + align(bytes);
    r.used += align(bytes) - size;
    store<u32>(ptr - 4, <u32>align(bytes));
    return ptr;
  }
  const p = regionAlloc(r, bytes);
  memory.copy(p, ptr, size);
  return p;
}

// Gives back the block at `ptr` if it is its region's last.
export function regionFreeBlock(ptr: usize): void {
  const r = blockRegion(ptr);
  const size = blockSize(ptr);
  if (ptr + size == r.next) {
    r.next = ptr - HEADER;
    r.used -= size + HEADER;
  }
}

// `n` contiguous free pages, the highest that fit above the permanent
// heap; 0 if there are none.
function pagesAlloc(n: u32): usize {
  const low = <u32>((permanent().next + PAGE - 1) >> 12);
  let run: u32 = 0;
  for (let p = PAGES; p > low; p--) {
    const i = p - 1;
    if ((load<u8>(pageMap + (i >> 3)) & (1 << (i & 7))) != 0) { run = 0; continue; }
    if (++run < n) continue;
    for (let k = i; k < i + n; k++) store<u8>(pageMap + (k >> 3), <u8>(<u32>load<u8>(pageMap + (k >> 3)) | (1 << (k & 7))));
    const at = <usize>i << 12;
    if (at + <usize>(n << 12) > (<usize>memory.size() << 16) &&
        memory.grow(<i32>((at + (<usize>n << 12) - (<usize>memory.size() << 16) + 0xffff) >> 16)) < 0) unreachable();
    if (at < floor) {
      floor = at;
      const perm = permanent();
      if (perm.end > floor) perm.end = floor;
    }
    pagesHeld += n;
    return at;
  }
  return 0;
}

function pagesFree(at: usize, n: u32): void {
  const first = <u32>(at >> 12);
  for (let k = first; k < first + n; k++) store<u8>(pageMap + (k >> 3), <u8>(<u32>load<u8>(pageMap + (k >> 3)) & ~(1 << (k & 7))));
  pagesHeld -= n;
  // The floor rises past pages no arena holds any more.
  while (floor < <usize>HV_WASM_END) {
    const i = <u32>(floor >> 12);
    if ((load<u8>(pageMap + (i >> 3)) & (1 << (i & 7))) != 0) break;
    floor += PAGE;
  }
}

@inline function pagesFor(bytes: usize): u32 {
  const n = <u32>((bytes + PAGE - 1) / PAGE);
  return n < CHUNK_PAGES_MIN ? CHUNK_PAGES_MIN : n;
}

function addChunk(r: Region, need: usize): bool {
  const n = pagesFor(need + CHUNK_HEADER + ALIGN);
  const p = pagesAlloc(n);
  if (p == 0) return false;
  store<u64>(p, <u64>r.chunk);
  store<u32>(p + 8, n);
  store<u32>(p + 12, 0);
  r.chunk = p;
  r.next = align(p + CHUNK_HEADER + HEADER) - HEADER;
  r.end = p + (<usize>n << 12);
  r.pages += n;
  return true;
}

// A new arena of at least `bytes` in its first chunk, its record inside it;
// null if the reserved range has no room for it (or no region id is left).
export function arenaCreate(bytes: usize): Region | null {
  let id: u32 = 1;
  while (id < REGIONS_MAX && load<u32>(table + (<usize>id << 2)) != 0) id++;
  if (id >= REGIONS_MAX) return null;
  const n = pagesFor(bytes + CHUNK_HEADER + offsetof<Region>() + 2 * ALIGN);
  const p = pagesAlloc(n);
  if (p == 0) return null;
  store<u64>(p, 0);
  store<u32>(p + 8, n);
  store<u32>(p + 12, 0);
  const r = changetype<Region>(p + CHUNK_HEADER);
  r.chunk = p;
  r.id = id;
  r.pages = n;
  r.used = 0;
  r.next = align(p + CHUNK_HEADER + offsetof<Region>() + HEADER) - HEADER;
  r.end = p + (<usize>n << 12);
  store<u32>(table + (<usize>id << 2), changetype<u32>(r));
  arenas++;
  return r;
}

// Empties `r`: its first chunk is kept (with the record), the others are
// given back.
export function arenaReset(r: Region): void {
  let c = r.chunk;
  while (load<u64>(c) != 0) {
    const prev = <usize>load<u64>(c);
    const n = load<u32>(c + 8);
    r.pages -= n;
    pagesFree(c, n);
    c = prev;
  }
  r.chunk = c;
  r.next = align(c + CHUNK_HEADER + offsetof<Region>() + HEADER) - HEADER;
  r.end = c + (<usize>load<u32>(c + 8) << 12);
  r.used = 0;
}

// Gives back every page of `r`; `r` (and everything in it) is gone.
export function arenaFree(r: Region): void {
  if (changetype<usize>(r) == current) current = 0;
  store<u32>(table + (<usize>r.id << 2), 0);
  let c = r.chunk;
  while (c != 0) {
    const prev = <usize>load<u64>(c);
    pagesFree(c, load<u32>(c + 8));
    c = prev;
  }
  arenas--;
}

// For `mem` and the tests: the permanent heap's bytes in use and left, and
// what the arenas hold.
export function heapPermanentUsed(): usize { return permanent().next - __heap_base; }
export function heapArenaBytes(): usize { return <usize>pagesHeld << 12; }
export function heapArenas(): u32 { return arenas; }
// Bytes of the reserved range neither holds.
export function heapFree(): usize {
  return <usize>HV_WASM_END - permanent().next - (<usize>pagesHeld << 12);
}
