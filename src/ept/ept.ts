// A domain's extended page tables: 4-level EPT (SDM Vol. 3C 30.3), entry
// bits in src/arch/ept.ts.
//
// Every table is one frame from frameAlloc(), zeroed, read and written as
// load/store at its physical address (wasm address == physical address), so
// tables must lie below HV_MAPPED_BYTES. Mapped memory itself is never
// touched: it may lie anywhere below 2^52.
//
//   level 4 PML4E  512 GiB   table only
//   level 3 PDPTE    1 GiB   table, or a 1 GiB leaf (PS)
//   level 2 PDE      2 MiB   table, or a 2 MiB leaf (PS)
//   level 1 PTE      4 KiB   leaf
//
// Non-leaf entries grant R/W/X (and user-execute): leaves alone decide.
//
// Failure is clean: each operation first prepares the tables it needs
// (allocating tables and splitting large leaves, neither of which changes
// any translation), then commits without allocating. Out of frames in the
// prepare step returns EPT_ENOMEM with every translation as it was, and the
// empty tables it had allocated freed again.
//
// The caller owns TLB coherence: after eptMap over an existing mapping,
// eptUnmap or eptProtect, INVEPT (single-context, this EPTP) before the
// guest runs again on any CPU, and before freed table frames are reused.
import { FRAME_SIZE, frameAllocMapped, frameFree } from "../mm/frames";
import { copyFrame, zeroFrameQ } from "../mm/scrub";
import {
  EPT_RWX, EPT_READ, EPT_WRITE, EPT_USER_EXECUTE, EPT_IGNORE_PAT, EPT_PAGE_SIZE, EPT_ADDR_MASK,
  EPT_MEMORY_TYPE_SHIFT, EPT_ENTRIES, EPT_PAGE_4K, EPT_PAGE_2M, EPT_PAGE_1G, EPT_GPA_LIMIT,
  EPTP_MEMORY_TYPE_WB, EPTP_PAGE_WALK_LENGTH_4, EPTP_ACCESSED_DIRTY,
} from "../arch/ept";
import { MEMORY_TYPE_UC, MEMORY_TYPE_WC, MEMORY_TYPE_WT, MEMORY_TYPE_WP, MEMORY_TYPE_WB } from "../arch/vmx";

// Results, errno-like.
export const EPT_OK: i32 = 0;
export const EPT_ENOMEM: i32 = -12;   // no frame for a table; nothing changed
export const EPT_EINVAL: i32 = -22;   // misaligned, out of range, bad perms or memory type

// eptTranslate() of an address with no mapping.
export const EPT_UNMAPPED: u64 = 0xffffffffffffffff;

// eptMap's allowLarge: which leaf sizes above 4 KiB the CPU supports
// (IA32_VMX_EPT_VPID_CAP bits 16 and 17) and the caller wants.
export const EPT_ALLOW_2M: u32 = 1 << 0;
export const EPT_ALLOW_1G: u32 = 1 << 1;

// eptMap's memType: a memory type (MEMORY_TYPE_WB for RAM, MEMORY_TYPE_UC
// for MMIO), optionally | EPT_MEMTYPE_IGNORE_PAT so the guest's PAT cannot
// weaken or strengthen it (30.3.7.2).
export const EPT_MEMTYPE_IGNORE_PAT: u32 = <u32>EPT_IGNORE_PAT;
const EPT_PERMS: u64 = <u64>(EPT_RWX | EPT_USER_EXECUTE);
const TABLE_ENTRY: u64 = <u64>(EPT_RWX | EPT_USER_EXECUTE);

// Set by walkFind(): the level of the entry it stopped at, and whether it
// stopped because no frame was left for a split.
let foundLevel: u32 = 0;
let walkFailed: bool = false;

// Bytes one entry at `level` maps: 4 KiB, 2 MiB, 1 GiB, 512 GiB.
@inline function span(level: u32): u64 { return <u64>1 << (<u64>3 + <u64>9 * <u64>level); }
@inline function entryPtr(table: u64, gpa: u64, level: u32): usize {
  return <usize>table + (<usize>((gpa >> (<u64>3 + <u64>9 * <u64>level)) & 511) << 3);
}
@inline function present(e: u64): bool { return (e & <u64>EPT_RWX) != 0; }
@inline function isLeaf(e: u64, level: u32): bool { return level == 1 || (e & EPT_PAGE_SIZE) != 0; }

// A zeroed frame the walker can address, or 0.
function tableAlloc(): u64 {
  const pa = frameAllocMapped();
  if (pa != 0) memory.fill(<usize>pa, 0, <usize>FRAME_SIZE);
  return pa;
}

// Frees `table` (at `level`) and every table below it.
function freeTable(table: u64, level: u32): void {
  if (level > 1) {
    for (let i: u32 = 0; i < EPT_ENTRIES; i++) {
      const e = load<u64>(<usize>table + (<usize>i << 3));
      if (present(e) && !isLeaf(e, level)) freeTable(e & EPT_ADDR_MASK, level - 1);
    }
  }
  frameFree(table);
}

// Replaces the large leaf at `p` (level 2 or 3) by a table of 512 leaves of
// the next size with the same permissions and memory type: the same
// translations, so it needs no INVEPT. False when out of frames.
function split(p: usize, level: u32): bool {
  const t = tableAlloc();
  if (t == 0) return false;
  const e = load<u64>(p);
  let bits = e & ~EPT_ADDR_MASK;
  if (level - 1 == 1) bits &= ~EPT_PAGE_SIZE;
  const base = e & EPT_ADDR_MASK;
  const child = span(level - 1);
  for (let i: u32 = 0; i < EPT_ENTRIES; i++) {
    store<u64>(<usize>t + (<usize>i << 3), bits | (base + <u64>i * child));
  }
  store<u64>(p, t | TABLE_ENTRY); // one store: the new table is complete before it is live
  return true;
}

// The entry for `gpa` at level `target`, allocating missing tables and
// splitting large leaves above it; 0 when out of frames.
function walkCreate(pml4: u64, gpa: u64, target: u32): usize {
  let table = pml4;
  for (let level: u32 = 4; level > target; level--) {
    const p = entryPtr(table, gpa, level);
    let e = load<u64>(p);
    if (!present(e)) {
      const t = tableAlloc();
      if (t == 0) return 0;
      e = t | TABLE_ENTRY;
      store<u64>(p, e);
    } else if (isLeaf(e, level)) {
      if (!split(p, level)) return 0;
      e = load<u64>(p);
    }
    table = e & EPT_ADDR_MASK;
  }
  return entryPtr(table, gpa, target);
}

// The leaf for `gpa` if it lies wholly inside [gpa, end), splitting leaves
// that straddle an edge of the range. Otherwise 0 with foundLevel = the
// level of the hole (not present) to skip, or walkFailed when out of frames.
function walkFind(pml4: u64, gpa: u64, end: u64): usize {
  walkFailed = false;
  let table = pml4;
  for (let level: u32 = 4; ; level--) {
    const p = entryPtr(table, gpa, level);
    const e = load<u64>(p);
    foundLevel = level;
    if (!present(e)) return 0;
    if (isLeaf(e, level)) {
      const s = span(level);
      if ((gpa & (s - 1)) == 0 && gpa + s <= end) return p;
      if (!split(p, level)) {
        walkFailed = true;
        return 0;
      }
      table = load<u64>(p) & EPT_ADDR_MASK;
    } else {
      table = e & EPT_ADDR_MASK;
    }
  }
  return 0; // unreachable: a level-1 entry is a leaf inside the range
}

// The leaf entry mapping `gpa` (foundLevel = its level), or 0.
function lookup(pml4: u64, gpa: u64): u64 {
  if (pml4 == 0 || gpa >= EPT_GPA_LIMIT) return 0;
  let table = pml4;
  for (let level: u32 = 4; level >= 1; level--) {
    const e = load<u64>(entryPtr(table, gpa, level));
    if (!present(e)) return 0;
    foundLevel = level;
    if (isLeaf(e, level)) return e;
    table = e & EPT_ADDR_MASK;
  }
  return 0;
}

// Frees the tables below `table` that map nothing, looking only at entries
// overlapping [lo, hi); true if `table` itself maps nothing afterwards.
function pruneTable(table: u64, level: u32, base: u64, lo: u64, hi: u64): bool {
  const s = span(level);
  let empty = true;
  for (let i: u32 = 0; i < EPT_ENTRIES; i++) {
    const p = <usize>table + (<usize>i << 3);
    const e = load<u64>(p);
    if (!present(e)) continue;
    const a = base + <u64>i * s;
    if (!isLeaf(e, level) && a < hi && a + s > lo &&
        pruneTable(e & EPT_ADDR_MASK, level - 1, a, lo, hi)) {
      frameFree(e & EPT_ADDR_MASK);
      store<u64>(p, 0);
      continue;
    }
    empty = false;
  }
  return empty;
}

@inline function prune(pml4: u64, lo: u64, hi: u64): void { pruneTable(pml4, 4, 0, lo, hi); }

function rangeValid(pml4: u64, gpa: u64, size: u64): bool {
  return pml4 != 0 && ((gpa | size) & (EPT_PAGE_4K - 1)) == 0 &&
    gpa < EPT_GPA_LIMIT && size <= EPT_GPA_LIMIT - gpa;
}

// Permissions a leaf may carry: some access, and never W without R (30.3.3.1).
function permsValid(perms: u32): bool {
  const p = <u64>perms;
  if ((p & ~EPT_PERMS) != 0 || (p & <u64>EPT_RWX) == 0) return false;
  return (p & <u64>(EPT_READ | EPT_WRITE)) != <u64>EPT_WRITE;
}

// ── API ────────────────────────────────────────────────────────────────────

// A new, empty EPT: its PML4's physical address, or 0 when out of frames.
export function eptCreate(): u64 { return tableAlloc(); }

// The EPT_POINTER value for `pml4`: WB table accesses, 4-level walk, and
// accessed/dirty flags if asked (only if EPT_VPID_CAP_ACCESSED_DIRTY).
export function eptPointer(pml4: u64, accessedDirty: bool): u64 {
  return (pml4 & EPT_ADDR_MASK) | EPTP_MEMORY_TYPE_WB | EPTP_PAGE_WALK_LENGTH_4 |
    (accessedDirty ? EPTP_ACCESSED_DIRTY : 0);
}

// Maps guest-physical [gpa, gpa + size) to host-physical [hpa, hpa + size)
// with `perms` (EPT_READ | EPT_WRITE | EPT_EXECUTE [| EPT_USER_EXECUTE]) and
// `memType` (see EPT_MEMTYPE_IGNORE_PAT), replacing whatever was mapped
// there. Each piece uses the largest leaf that `allowLarge` (EPT_ALLOW_2M |
// EPT_ALLOW_1G) permits and the alignment of both addresses and the length
// left admit. EPT_OK, EPT_EINVAL or EPT_ENOMEM (then nothing changed).
export function eptMap(pml4: u64, gpa: u64, hpa: u64, size: u64, perms: u32, memType: u32, allowLarge: u32): i32 {
  if (!rangeValid(pml4, gpa, size) || (hpa & (EPT_PAGE_4K - 1)) != 0 ||
      hpa > EPT_ADDR_MASK || size > EPT_ADDR_MASK + EPT_PAGE_4K - hpa) return EPT_EINVAL;
  if (!permsValid(perms)) return EPT_EINVAL;
  const type = memType & 7;
  if ((memType & ~(7 | EPT_MEMTYPE_IGNORE_PAT)) != 0 || (type != MEMORY_TYPE_UC && type != MEMORY_TYPE_WC &&
      type != MEMORY_TYPE_WT && type != MEMORY_TYPE_WP && type != MEMORY_TYPE_WB)) return EPT_EINVAL;
  const bits = <u64>perms | (<u64>type << EPT_MEMORY_TYPE_SHIFT) | (<u64>memType & EPT_IGNORE_PAT);
  const end = gpa + size;

  // Prepare: every table on every piece's path, splitting as needed.
  for (let g = gpa, h = hpa; g < end; ) {
    const level = leafLevel(g, h, end - g, allowLarge);
    if (walkCreate(pml4, g, level) == 0) {
      prune(pml4, gpa, end);
      return EPT_ENOMEM;
    }
    g += span(level);
    h += span(level);
  }
  // Commit: write the leaves (the walks find their tables: no allocation).
  for (let g = gpa, h = hpa; g < end; ) {
    const level = leafLevel(g, h, end - g, allowLarge);
    const p = walkCreate(pml4, g, level);
    const old = load<u64>(p);
    if (present(old) && !isLeaf(old, level)) freeTable(old & EPT_ADDR_MASK, level - 1);
    store<u64>(p, h | bits | (level > 1 ? EPT_PAGE_SIZE : 0));
    g += span(level);
    h += span(level);
  }
  return EPT_OK;
}

@inline function leafLevel(gpa: u64, hpa: u64, left: u64, allowLarge: u32): u32 {
  const a = gpa | hpa;
  if ((allowLarge & EPT_ALLOW_1G) != 0 && (a & (EPT_PAGE_1G - 1)) == 0 && left >= EPT_PAGE_1G) return 3;
  if ((allowLarge & EPT_ALLOW_2M) != 0 && (a & (EPT_PAGE_2M - 1)) == 0 && left >= EPT_PAGE_2M) return 2;
  return 1;
}

const OP_PROTECT: u32 = 0;
const OP_UNMAP: u32 = 1;

// Applies `op` to every leaf in [gpa, end), holes skipped: first splitting
// the large leaves that straddle an edge, then changing the leaves.
function rangeOp(pml4: u64, gpa: u64, size: u64, op: u32, perms: u64): i32 {
  const end = gpa + size;
  for (let commit = 0; commit < 2; commit++) {
    let a = gpa;
    while (a < end) {
      const p = walkFind(pml4, a, end);
      const s = span(foundLevel);
      if (p == 0) {
        if (walkFailed) {
          prune(pml4, gpa, end);
          return EPT_ENOMEM;
        }
        a = (a & ~(s - 1)) + s; // skip the hole
        continue;
      }
      if (commit != 0) {
        store<u64>(p, op == OP_UNMAP ? 0 : (load<u64>(p) & ~EPT_PERMS) | perms);
      }
      a += s;
    }
  }
  if (op == OP_UNMAP) prune(pml4, gpa, end);
  return EPT_OK;
}

// Removes the mappings in [gpa, gpa + size) (holes are fine), splitting
// large pages that straddle its edges and freeing tables left empty.
// EPT_OK, EPT_EINVAL or EPT_ENOMEM (then nothing changed).
export function eptUnmap(pml4: u64, gpa: u64, size: u64): i32 {
  if (!rangeValid(pml4, gpa, size)) return EPT_EINVAL;
  return rangeOp(pml4, gpa, size, OP_UNMAP, 0);
}

// Sets the permissions of the mappings in [gpa, gpa + size) to `perms`,
// keeping addresses and memory types; holes are skipped. A large page only
// partly inside the range is split first, the part outside keeping its old
// permissions. EPT_OK, EPT_EINVAL or EPT_ENOMEM (then nothing changed).
export function eptProtect(pml4: u64, gpa: u64, size: u64, perms: u32): i32 {
  if (!rangeValid(pml4, gpa, size) || !permsValid(perms)) return EPT_EINVAL;
  return rangeOp(pml4, gpa, size, OP_PROTECT, <u64>perms);
}

// Replaces the 4 KiB leaf mapping `gpa` (it must be one) by `hpa` with
// `perms` and write-back memory: one walk, no allocation. The frame it
// mapped before, or 0 (then nothing changed: no such leaf). The caller
// flushes (INVEPT).
export function eptSwap4K(pml4: u64, gpa: u64, hpa: u64, perms: u32): u64 {
  if (pml4 == 0 || gpa >= EPT_GPA_LIMIT) return 0;
  let table = pml4;
  for (let level: u32 = 4; level > 1; level--) {
    const e = load<u64>(entryPtr(table, gpa, level));
    if (!present(e) || isLeaf(e, level)) return 0;
    table = e & EPT_ADDR_MASK;
  }
  const p = entryPtr(table, gpa, 1);
  const old = load<u64>(p);
  if (!present(old)) return 0;
  store<u64>(p, (hpa & EPT_ADDR_MASK) | <u64>perms | (old & (EPT_IGNORE_PAT | (<u64>7 << EPT_MEMORY_TYPE_SHIFT))));
  return old & EPT_ADDR_MASK;
}

// The host-physical address `gpa` maps to, or EPT_UNMAPPED.
export function eptTranslate(pml4: u64, gpa: u64): u64 {
  const e = lookup(pml4, gpa);
  if (e == 0) return EPT_UNMAPPED;
  const s = span(foundLevel);
  return (e & EPT_ADDR_MASK & ~(s - 1)) | (gpa & (s - 1));
}

// The size of the page mapping `gpa` (4 KiB, 2 MiB or 1 GiB), or 0.
export function eptLeafSize(pml4: u64, gpa: u64): u64 {
  return lookup(pml4, gpa) == 0 ? 0 : span(foundLevel);
}

// The raw leaf entry mapping `gpa` (permissions, memory type, A/D), or 0.
export function eptLeafEntry(pml4: u64, gpa: u64): u64 { return lookup(pml4, gpa); }

// Undoes a split: where the 2 MiB at `gpa` (aligned) is a table of 512
// 4 KiB leaves with the same bits mapping one aligned 2 MiB run of frames,
// it becomes that 2 MiB leaf again and the table is freed. True if it did.
// The same translations, but the caller flushes (INVEPT) before the table
// frame is reused.
export function eptCollapse(pml4: u64, gpa: u64): bool {
  if (pml4 == 0 || (gpa & (EPT_PAGE_2M - 1)) != 0 || gpa >= EPT_GPA_LIMIT) return false;
  let table = pml4;
  for (let level: u32 = 4; level > 2; level--) {
    const e = load<u64>(entryPtr(table, gpa, level));
    if (!present(e) || isLeaf(e, level)) return false;
    table = e & EPT_ADDR_MASK;
  }
  const p = entryPtr(table, gpa, 2);
  const pde = load<u64>(p);
  if (!present(pde) || isLeaf(pde, 2)) return false;
  const t = pde & EPT_ADDR_MASK;
  const first = load<u64>(<usize>t);
  const base = first & EPT_ADDR_MASK;
  const bits = first & ~EPT_ADDR_MASK;
  if (!present(first) || (base & (EPT_PAGE_2M - 1)) != 0) return false;
  for (let i: u32 = 1; i < EPT_ENTRIES; i++) {
    if (load<u64>(<usize>t + (<usize>i << 3)) != (bits | (base + (<u64>i << 12)))) return false;
  }
  store<u64>(p, base | bits | EPT_PAGE_SIZE);
  frameFree(t);
  return true;
}

// Copies the tables below `src` (at `level`) into the empty table `dst`:
// the same translations, tables of its own. False when out of frames (the
// tables copied so far stay under dst: eptDestroy frees them).
function cloneTable(dst: u64, src: u64, level: u32): bool {
  for (let i: u32 = 0; i < EPT_ENTRIES; i++) {
    const e = load<u64>(<usize>src + (<usize>i << 3));
    if (!present(e)) continue;
    if (isLeaf(e, level)) {
      store<u64>(<usize>dst + (<usize>i << 3), e);
      continue;
    }
    const t = frameAllocMapped();
    if (t == 0) return false;
    // A table of 4 KiB leaves is copied whole; a higher one entry by entry.
    if (level - 1 == 1) copyFrame(t, e & EPT_ADDR_MASK);
    else zeroFrameQ(t);
    store<u64>(<usize>dst + (<usize>i << 3), t | (e & ~EPT_ADDR_MASK));
    if (level - 1 != 1 && !cloneTable(t, e & EPT_ADDR_MASK, level - 1)) return false;
  }
  return true;
}

// Gives the empty EPT `dst` the translations of `src` (a template: a fork's
// image, src/domain/snapshots.ts), in tables of its own. False when out of
// frames; eptDestroy(dst) then frees what was copied.
export function eptCloneInto(dst: u64, src: u64): bool {
  return cloneTable(dst, src, 4);
}

// Frees every table of the EPT, the PML4 included; not the mapped memory.
export function eptDestroy(pml4: u64): void {
  if (pml4 != 0) freeTable(pml4, 4);
}
