// The bytes of the instruction at the guest's RIP, for the MMIO path (the
// exit names the data's guest-physical address, not the code's): CS.base +
// RIP translated through the guest's own paging (SDM Vol. 3A 5.3 32-bit,
// 5.4 PAE, 5.5 4-level; 5-level is refused) and read from its memory. Runs
// with the vCPU's VMCS current; allocates nothing.
import { Domain } from "../domain/domain";
import { guestToHost } from "../domain/memory";
import { vmcsRead32, vmcsRead64, vmcsReadNat } from "./vmcs";
import { GUEST_CR0, GUEST_CR3, GUEST_CR4, GUEST_IA32_EFER, GUEST_CS_BASE, GUEST_CS_ACCESS_RIGHTS, GUEST_RIP, SEGMENT_AR_L, SEGMENT_AR_DB } from "../arch/vmcs";
import { CR0_PE, CR0_PG, CR4_PAE, CR4_PSE, CR4_LA57, EFER_LMA } from "../arch/cr";
import { PTE_P, PTE_PS, PTE_ADDR_MASK } from "../arch/paging";
import { CODE16, CODE32, CODE64 } from "./decode";

export const NO_TRANSLATION: u64 = 0xffffffffffffffff;
const PAGE: u64 = 0x1000;

// The code size of the guest's CS (SDM Vol. 3A 5.2): 64-bit with CS.L in
// IA-32e mode, else CS.D; real mode is 16-bit.
export function guestCodeSize(): u32 {
  if ((vmcsReadNat(GUEST_CR0) & CR0_PE) == 0) return CODE16;
  const ar = vmcsRead32(GUEST_CS_ACCESS_RIGHTS);
  if ((vmcsRead64(GUEST_IA32_EFER) & EFER_LMA) != 0 && (ar & SEGMENT_AR_L) != 0) return CODE64;
  return (ar & SEGMENT_AR_DB) != 0 ? CODE32 : CODE16;
}

// A guest page-table entry, or 0 (not present, or outside its memory).
function entry(dom: Domain, gpa: u64, wide: bool): u64 {
  const h = guestToHost(dom, gpa);
  if (h == 0) return 0;
  const e = wide ? load<u64>(<usize>h) : <u64>load<u32>(<usize>h);
  return (e & PTE_P) != 0 ? e : 0;
}

// Guest-physical address of linear `lin` under the guest's paging now, or
// NO_TRANSLATION.
export function guestLinearToPhysical(dom: Domain, lin: u64): u64 {
  const cr0 = vmcsReadNat(GUEST_CR0);
  if ((cr0 & CR0_PG) == 0) return lin & 0xffffffff;
  const cr3 = vmcsReadNat(GUEST_CR3);
  const cr4 = vmcsReadNat(GUEST_CR4);
  if ((vmcsRead64(GUEST_IA32_EFER) & EFER_LMA) != 0) {
    if ((cr4 & CR4_LA57) != 0) return NO_TRANSLATION;
    let table = cr3 & PTE_ADDR_MASK;
    for (let level = 3; level >= 0; level--) {
      const shift = <u64>(12 + 9 * level);
      const e = entry(dom, table + (((lin >> shift) & 511) << 3), true);
      if (e == 0) return NO_TRANSLATION;
      const size = <u64>1 << shift;
      if (level == 0 || ((level == 1 || level == 2) && (e & PTE_PS) != 0)) {
        return (e & PTE_ADDR_MASK & ~(size - 1)) | (lin & (size - 1));
      }
      table = e & PTE_ADDR_MASK;
    }
    return NO_TRANSLATION;
  }
  lin &= 0xffffffff;
  if ((cr4 & CR4_PAE) != 0) {
    const pdpte = entry(dom, (cr3 & 0xffffffe0) + ((lin >> 30) << 3), true);
    if (pdpte == 0) return NO_TRANSLATION;
    const pde = entry(dom, (pdpte & PTE_ADDR_MASK) + (((lin >> 21) & 511) << 3), true);
    if (pde == 0) return NO_TRANSLATION;
    if ((pde & PTE_PS) != 0) return (pde & PTE_ADDR_MASK & ~<u64>0x1fffff) | (lin & 0x1fffff);
    const pte = entry(dom, (pde & PTE_ADDR_MASK) + (((lin >> 12) & 511) << 3), true);
    return pte != 0 ? (pte & PTE_ADDR_MASK) | (lin & 0xfff) : NO_TRANSLATION;
  }
  const pde = entry(dom, (cr3 & 0xfffff000) + ((lin >> 22) << 2), false);
  if (pde == 0) return NO_TRANSLATION;
  if ((pde & PTE_PS) != 0 && (cr4 & CR4_PSE) != 0) return (pde & 0xffc00000) | (lin & 0x3fffff);
  const pte = entry(dom, (pde & 0xfffff000) + (((lin >> 12) & 1023) << 2), false);
  return pte != 0 ? (pte & 0xfffff000) | (lin & 0xfff) : NO_TRANSLATION;
}

// Copies up to `max` bytes of the instruction at CS:RIP to `dst`; the count
// (less where a page of it is not mapped, 0 if none is).
export function guestFetch(dom: Domain, dst: usize, max: u32): u32 {
  let lin = vmcsReadNat(GUEST_CS_BASE) + vmcsReadNat(GUEST_RIP);
  if (guestCodeSize() != CODE64) lin &= 0xffffffff;
  let n: u32 = 0;
  while (n < max) {
    const gpa = guestLinearToPhysical(dom, lin + n);
    if (gpa == NO_TRANSLATION) break;
    const h = guestToHost(dom, gpa);
    if (h == 0) break;
    let chunk = <u32>(PAGE - (gpa & (PAGE - 1)));
    if (chunk > max - n) chunk = max - n;
    memory.copy(dst + n, <usize>h, chunk);
    n += chunk;
  }
  return n;
}
