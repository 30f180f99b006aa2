// A domain's RAM: frames from the allocator, zeroed before the guest sees
// them, mapped by the domain's EPT with 2 MiB pages wherever a 2 MiB-aligned
// run of frames is free, 4 KiB pages otherwise; and copies between the
// hypervisor and guest-physical memory, which go through the EPT.
import { Domain } from "./domain";
import { frameAlloc, frameAllocContiguous, frameFree } from "../mm/frames";
import { zeroRange } from "../mm/scrub";
import { eptMap, eptTranslate, eptLeafSize, EPT_ALLOW_2M, EPT_UNMAPPED } from "../ept/ept";
import { EPT_READ, EPT_WRITE, EPT_EXECUTE } from "../arch/ept";
import { MEMORY_TYPE_WB } from "../arch/vmx";
import { HV_MAPPED_BYTES } from "../arch/layout";
import { APIC_DEFAULT_BASE } from "../arch/msr";

const PAGE_4K: u64 = 0x1000;
const PAGE_2M: u64 = 0x200000;
const RAM: u32 = <u32>(EPT_READ | EPT_WRITE | EPT_EXECUTE);

// Maps [0, memBytes) of `dom`; returns "" or why it could not.
export function guestMemoryAlloc(dom: Domain, memBytes: u64): string {
  dom.guest.memBytes = memBytes;
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

// Scrubs and frees every frame of the domain's RAM: its EPT is the record
// of what it has, a leaf (4 KiB or 2 MiB, a contiguous run of frames) at a
// time.
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
    const hpa = eptTranslate(pml4, gpa);
    if (hpa == EPT_UNMAPPED) {
      gpa += PAGE_4K;
      continue;
    }
    const size = eptLeafSize(pml4, gpa);
    zeroRange(hpa, size);
    freeRun(hpa, <u32>(size / PAGE_4K));
    gpa += size;
  }
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

// Copies `len` bytes between the hypervisor address `host` and the guest's
// [gpa, gpa + len), page by page. Returns false, having copied nothing, if
// any byte lies outside the guest's RAM.
export function guestCopy(dom: Domain, gpa: u64, host: usize, len: u64, toGuest: bool): bool {
  if (!guestRangeOk(dom, gpa, len)) return false;
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
