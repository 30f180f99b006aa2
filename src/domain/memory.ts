// A domain's RAM: frames from the allocator, zeroed before the guest sees
// them, mapped by the domain's EPT with 2 MiB pages wherever a 2 MiB-aligned
// run of frames is free, 4 KiB pages otherwise; and copies between the
// hypervisor and guest-physical memory, which go through the EPT.
//
// Copy-on-write: once a snapshot holds its RAM (src/state/snapshot.ts), a
// domain's EPT maps the snapshot's frames read-only, and a page becomes its
// own again the first time it is written: by the guest (an EPT violation,
// src/vmx/exit/ept-violation.ts) or by the hypervisor on its behalf, which
// writes guest memory only through guestToHostWrite. A leaf with W set is
// the domain's own frame; one without is borrowed, or its own page on a
// frame dedup shares (src/mm/share.ts), copied the same way. dom.ownPages
// says which pages were made its own since its base snapshot.
import { Domain } from "./domain";
import { frameAlloc, frameAllocMapped, frameAllocContiguous, frameFree } from "../mm/frames";
import { zeroRange, copyFrame } from "../mm/scrub";
import { frameHolders, frameRelease } from "../mm/share";
import { eptMap, eptTranslate, eptLeafSize, eptLeafEntry, EPT_ALLOW_2M, EPT_UNMAPPED, EPT_OK } from "../ept/ept";
import { EPT_READ, EPT_WRITE, EPT_EXECUTE } from "../arch/ept";
import { MEMORY_TYPE_WB } from "../arch/vmx";
import { HV_MAPPED_BYTES } from "../arch/layout";
import { APIC_DEFAULT_BASE } from "../arch/msr";
import { INVEPT_SINGLE_CONTEXT } from "../arch/vmx";
import { invept } from "../arch/hw";
import { thisCpuIndex, cpusFound } from "../cpu/percpu";
import { cpuKickOut } from "../cpu/ipi";

const PAGE_4K: u64 = 0x1000;
const PAGE_2M: u64 = 0x200000;
const RAM: u32 = <u32>(EPT_READ | EPT_WRITE | EPT_EXECUTE);

// A domain of `memBytes` of RAM, none mapped yet (a fork maps a snapshot's).
// Which pages are its own once a snapshot holds its RAM: a bit each, made
// with the domain (in its arena), so that snapshots never grow the heap.
export function guestMemoryInit(dom: Domain, memBytes: u64): void {
  dom.guest.memBytes = memBytes;
  dom.ownPages = heap.alloc(<usize>ownPagesWords(dom) << 3);
  ownPagesClear(dom);
}

// Maps [0, memBytes) of `dom` to zeroed frames of its own; returns "" or why
// it could not.
export function guestMemoryAlloc(dom: Domain, memBytes: u64): string {
  guestMemoryInit(dom, memBytes);
  let gpa: u64 = 0;
  while (gpa < memBytes) {
    if ((gpa & (PAGE_2M - 1)) == 0 && memBytes - gpa >= PAGE_2M) {
      const hpa = frameAllocContiguous(512, 512);
      if (hpa != 0 && hpa + PAGE_2M <= HV_MAPPED_BYTES) {
        zeroRange(hpa, PAGE_2M);
        if (eptMap(dom.eptPml4, gpa, hpa, PAGE_2M, RAM, MEMORY_TYPE_WB, EPT_ALLOW_2M) != 0) {
          freeRun(hpa, 512);
          return "out of memory for EPT tables";
        }
        dom.stats.pages2M++;
        gpa += PAGE_2M;
        continue;
      }
      if (hpa != 0) freeRun(hpa, 512);
    }
    const hpa = frameAlloc();
    if (hpa == 0 || hpa + PAGE_4K > HV_MAPPED_BYTES) {
      if (hpa != 0) frameFree(hpa);
      return "out of memory";
    }
    zeroRange(hpa, PAGE_4K);
    if (eptMap(dom.eptPml4, gpa, hpa, PAGE_4K, RAM, MEMORY_TYPE_WB, 0) != 0) {
      frameFree(hpa);
      return "out of memory for EPT tables";
    }
    dom.stats.pages4K++;
    gpa += PAGE_4K;
  }
  return "";
}

// Scrubs and frees every frame of the domain's own RAM: its EPT is the
// record of what it has, a leaf (4 KiB or 2 MiB, a contiguous run of
// frames) at a time; a read-only leaf is a snapshot's frame, or a shared
// one of its own pages (let go).
export function guestMemoryFree(dom: Domain): void {
  const pml4 = dom.eptPml4;
  if (pml4 == 0) return;
  if (dom.apicAccessPage != 0) {
    zeroRange(dom.apicAccessPage, PAGE_4K);
    frameFree(dom.apicAccessPage);
    dom.apicAccessPage = 0;
  }
  let gpa: u64 = 0;
  while (gpa < dom.guest.memBytes) {
    const e = eptLeafEntry(pml4, gpa);
    if (e == 0) {
      gpa += PAGE_4K;
      continue;
    }
    const size = eptLeafSize(pml4, gpa);
    if ((e & <u64>EPT_WRITE) != 0) {
      const hpa = eptTranslate(pml4, gpa);
      zeroRange(hpa, size);
      freeRun(hpa, <u32>(size / PAGE_4K));
    } else if (dom.ownShared != 0 && guestPageIsOwn(dom, <u32>(gpa >> 12))) {
      frameRelease(eptTranslate(pml4, gpa));
    }
    gpa += size;
  }
  dom.ownCount = 0;
  dom.ownShared = 0;
  cowLogReset(dom, true);
}

// ── Copy-on-write ─────────────────────────────────────────────────────────

// Pages of RAM the domain has (a page past the end counts as one), and how
// many of them are its own frames (the rest are borrowed from snapshots).
export function guestPages(dom: Domain): u32 { return <u32>((dom.guest.memBytes + PAGE_4K - 1) >> 12); }
export function guestOwnPages(dom: Domain): u32 {
  if (dom.eptPml4 == 0) return 0;
  return dom.base == 0 ? guestPages(dom) : dom.ownCount;
}

// The bitmap of its own pages: its u64 words; cleared with the count (a
// snapshot took them, or a revert dropped them).
@inline export function ownPagesWords(dom: Domain): u32 { return (guestPages(dom) + 63) >> 6; }
export function ownPagesClear(dom: Domain): void {
  memory.fill(dom.ownPages, 0, <usize>ownPagesWords(dom) << 3);
  dom.ownCount = 0;
  dom.ownShared = 0;
}

// Is guest page `page` the domain's own (not borrowed from a snapshot)?
@inline export function guestPageIsOwn(dom: Domain, page: u32): bool { return dom.base == 0 || ownBit(dom, page); }

// May a page of its RAM be read-only (borrowed, or its own but shared)?
// Then a write by the hypervisor copies it first.
@inline export function guestCopyOnWrite(dom: Domain): bool { return dom.base != 0 || dom.ownShared != 0; }

@inline export function ownBit(dom: Domain, page: u32): bool {
  return ((<u32>load<u8>(dom.ownPages + (page >> 3)) >> (page & 7)) & 1) != 0;
}
@inline export function setOwnBit(dom: Domain, page: u32): void {
  const p = dom.ownPages + (page >> 3);
  store<u8>(p, <u8>(<u32>load<u8>(p) | (<u32>1 << (page & 7))));
}

// Makes the page at `gpa` the domain's own and writable, copying a
// borrowed or shared frame into a new one (a shared frame it alone still
// holds is just mapped writable). False, nothing changed, when no frame is
// left (or `gpa` is not RAM).
export function guestPageOwn(dom: Domain, gpa: u64): bool {
  if (gpa >= dom.guest.memBytes) return false;
  const page = gpa & ~(PAGE_4K - 1);
  const e = eptLeafEntry(dom.eptPml4, page);
  if (e == 0) return false;
  if ((e & <u64>EPT_WRITE) != 0) return true;
  const from = eptTranslate(dom.eptPml4, page);
  if (guestPageIsOwn(dom, <u32>(page >> 12))) return sharedPageOwn(dom, page, from);
  const f = frameAllocMapped();
  if (f == 0) return false;
  copyFrame(f, from);
  if (!cowLogAdd(dom, <u32>(page >> 12), from)) {
    frameFree(f);
    return false;
  }
  if (eptMap(dom.eptPml4, page, f, PAGE_4K, RAM, MEMORY_TYPE_WB, 0) != EPT_OK) {
    cowLogUndo(dom);
    frameFree(f);
    return false;
  }
  setOwnBit(dom, <u32>(page >> 12));
  dom.ownCount++;
  guestEptChanged(dom);
  return true;
}

// Its own page at `page` on the shared frame `from` becomes writable: a
// copy, unless no one else holds the frame any more.
function sharedPageOwn(dom: Domain, page: u64, from: u64): bool {
  let f = from;
  if (frameHolders(from) != 0) {
    f = frameAllocMapped();
    if (f == 0) return false;
    copyFrame(f, from);
  }
  if (eptMap(dom.eptPml4, page, f, PAGE_4K, RAM, MEMORY_TYPE_WB, 0) != EPT_OK) {
    if (f != from) frameFree(f);
    return false;
  }
  if (f != from) frameRelease(from);
  dom.ownShared--;
  guestEptChanged(dom);
  return true;
}

// ── The copy-on-write log ────────────────────────────────────────────────
// A log frame: next u64 (physical, 0: none), count u32, then LOG_ENTRIES
// entries of page u32, 0 u32, frame u64.
const LOG_HEADER: usize = 16;
export const LOG_ENTRIES: u32 = <u32>((PAGE_4K - <u64>LOG_HEADER) >> 4);

function cowLogAdd(dom: Domain, page: u32, frame: u64): bool {
  if (dom.base == 0 || !dom.cowLogOk) return true;
  let head = dom.cowLog;
  if (head == 0 || load<u32>(<usize>head + 8) == LOG_ENTRIES) {
    const f = frameAllocMapped();
    if (f == 0) return false;
    store<u64>(<usize>f, head);
    store<u32>(<usize>f + 8, 0);
    dom.cowLog = head = f;
  }
  const n = load<u32>(<usize>head + 8);
  const e = <usize>head + LOG_HEADER + (<usize>n << 4);
  store<u32>(e, page);
  store<u64>(e + 8, frame);
  store<u32>(<usize>head + 8, n + 1);
  return true;
}

// Takes back the entry just added (its copy could not be mapped).
function cowLogUndo(dom: Domain): void {
  if (dom.base == 0 || !dom.cowLogOk || dom.cowLog == 0) return;
  const h = <usize>dom.cowLog;
  store<u32>(h + 8, load<u32>(h + 8) - 1);
}

// The log a frame at a time (cowLogFrames, then cowLogNext), and entry i
// of a frame: its page and the base's frame there.
export function cowLogFrames(dom: Domain): u64 { return dom.cowLog; }
@inline export function cowLogCount(f: u64): u32 { return load<u32>(<usize>f + 8); }
@inline export function cowLogNext(f: u64): u64 { return load<u64>(<usize>f); }
@inline export function cowLogPage(f: u64, i: u32): u32 { return load<u32>(<usize>f + LOG_HEADER + (<usize>i << 4)); }
@inline export function cowLogFrame(f: u64, i: u32): u64 { return load<u64>(<usize>f + LOG_HEADER + (<usize>i << 4) + 8); }

// Empties the log (its frames freed); `ok`: whether it is kept from now on.
export function cowLogReset(dom: Domain, ok: bool): void {
  let f = dom.cowLog;
  while (f != 0) {
    const next = load<u64>(<usize>f);
    frameFree(f);
    f = next;
  }
  dom.cowLog = 0;
  dom.cowLogOk = ok;
}

// The domain's EPT lost or changed translations: every CPU that may hold
// them flushes before it enters the domain again, this one at once, and a
// CPU in one of its vCPUs now leaves the guest first (so that no vCPU goes
// on reading a page through a stale translation after another wrote it).
export function guestEptChanged(dom: Domain): void {
  if (dom.eptPointer == 0) return;
  const here = thisCpuIndex();
  let ran: u64 = 0;
  for (let i = 0; i < dom.vcpus.length; i++) ran |= unchecked(dom.vcpus[i]).stats.ranOn;
  ran &= ~(<u64>1 << <u64>here);
  dom.eptStale |= ran;
  for (let c: u32 = 0; c < cpusFound(); c++) if ((ran >> <u64>c) & 1) cpuKickOut(c, dom.id);
  invept(INVEPT_SINGLE_CONTEXT, dom.eptPointer);
}

// Before a VM entry into `dom` on this CPU: the flush guestEptChanged asked
// of it (the caller has seen dom.eptStale != 0).
export function guestEptCatchUp(dom: Domain): void {
  const bit = <u64>1 << <u64>thisCpuIndex();
  if ((dom.eptStale & bit) == 0) return;
  invept(INVEPT_SINGLE_CONTEXT, dom.eptPointer);
  dom.eptStale &= ~bit;
}

// The domain's APIC-access page (SDM Vol. 3C 30.4): a frame of its own at
// the default APIC base in its EPT, made on first use. A vCPU with APIC-
// access virtualization never reads it as memory; one that moved or
// disabled its APIC reaches only this frame there. 0 if no frame is free
// (its vCPUs then exit for every APIC access, as without virtualization).
export function guestApicAccessPage(dom: Domain): u64 {
  if (dom.apicAccessPage != 0) return dom.apicAccessPage;
  const f = frameAlloc();
  if (f == 0) return 0;
  zeroRange(f, PAGE_4K);
  if (eptMap(dom.eptPml4, APIC_DEFAULT_BASE, f, PAGE_4K, <u32>(EPT_READ | EPT_WRITE), MEMORY_TYPE_WB, 0) != 0) {
    frameFree(f);
    return 0;
  }
  dom.apicAccessPage = f;
  return f;
}

function freeRun(hpa: u64, frames: u32): void {
  for (let i: u32 = 0; i < frames; i++) frameFree(hpa + <u64>i * PAGE_4K);
}

// Host address of guest-physical `gpa`, or 0 when the domain has no RAM
// there. Valid up to the end of gpa's 4 KiB page.
export function guestToHost(dom: Domain, gpa: u64): u64 {
  if (gpa >= dom.guest.memBytes) return 0;
  const hpa = eptTranslate(dom.eptPml4, gpa);
  return hpa == EPT_UNMAPPED ? 0 : hpa;
}

// Is every byte of the guest's [gpa, gpa + len) its RAM? (A range that
// wraps around 2^64 is not.)
export function guestRangeOk(dom: Domain, gpa: u64, len: u64): bool {
  if (len == 0) return true;
  const end = gpa + len;
  if (end < gpa || end > dom.guest.memBytes) return false;
  for (let p = gpa; p < end; p = (p & ~(PAGE_4K - 1)) + PAGE_4K) {
    if (guestToHost(dom, p) == 0) return false;
  }
  return true;
}

// A guest's write to RAM faulted (EPT violation): the page is now its own
// (copied, or made writable since this CPU cached its read-only
// translation). False when no frame is left for the copy.
export function guestWriteFault(dom: Domain, gpa: u64): bool {
  if ((eptLeafEntry(dom.eptPml4, gpa) & <u64>EPT_WRITE) != 0) {
    invept(INVEPT_SINGLE_CONTEXT, dom.eptPointer);
    return true;
  }
  return guestPageOwn(dom, gpa);
}

// Host address of guest-physical `gpa` for a write by the hypervisor: the
// page made the domain's own first. 0 when the domain has no RAM there or
// no frame is left for the copy.
export function guestToHostWrite(dom: Domain, gpa: u64): u64 {
  if (guestCopyOnWrite(dom) && !guestPageOwn(dom, gpa)) return 0;
  return guestToHost(dom, gpa);
}

// Copies `len` bytes between the hypervisor address `host` and the guest's
// [gpa, gpa + len), page by page. Returns false, having copied nothing, if
// any byte lies outside the guest's RAM (or, to the guest, if no frame is
// left to copy a borrowed page into).
export function guestCopy(dom: Domain, gpa: u64, host: usize, len: u64, toGuest: bool): bool {
  if (!guestRangeOk(dom, gpa, len)) return false;
  if (toGuest && guestCopyOnWrite(dom)) {
    for (let p = gpa & ~(PAGE_4K - 1); p < gpa + len; p += PAGE_4K) if (!guestPageOwn(dom, p)) return false;
  }
  let done: u64 = 0;
  while (done < len) {
    const g = gpa + done;
    const h = guestToHost(dom, g);
    let n = PAGE_4K - (g & (PAGE_4K - 1));
    if (n > len - done) n = len - done;
    if (toGuest) memory.copy(<usize>h, host + <usize>done, <usize>n);
    else memory.copy(host + <usize>done, <usize>h, <usize>n);
    done += n;
  }
  return true;
}
