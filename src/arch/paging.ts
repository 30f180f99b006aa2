// Page-table entry bits (SDM Vol. 3A 5.3-5.5, Tables 5-15 to 5-19): the
// 4-level paging the builder sets up for a guest entered in 64-bit mode, and
// what the MMIO path walks to find a guest's instruction.
export const PTE_P: u64 = 1 << 0;    // present
export const PTE_RW: u64 = 1 << 1;   // writable
export const PTE_US: u64 = 1 << 2;   // user-mode accesses allowed
export const PTE_A: u64 = 1 << 5;    // accessed: set by the CPU on every entry a translation uses
export const PTE_D: u64 = 1 << 6;    // dirty: set in the entry mapping the page on a write
export const PTE_PS: u64 = 1 << 7;   // a 2 MiB page in a PDE (1 GiB in a PDPTE); 4 MiB in a 32-bit PDE
// The next table or the page, bits 51:12 of a 64-bit entry (PAE and 4-level).
export const PTE_ADDR_MASK: u64 = 0x000ffffffffff000;

// The page-fault (#PF, VECTOR_PF) error code (Vol. 3A 5.7, Figure 5-12).
export const PF_ERR_P: u32 = 1 << 0;      // 0: not present; 1: a protection violation
export const PF_ERR_W: u32 = 1 << 1;      // the access was a write
export const PF_ERR_U: u32 = 1 << 2;      // the access was made in user mode (CPL 3)

// A linear address is canonical when bits 63:47 are all equal (4-level
// paging, SDM Vol. 3A 3.3.7.1); base-address MSRs and 64-bit RIP/RSP must be.
@inline export function isCanonical(a: u64): bool {
  const top = a >> 47;
  return top == 0 || top == 0x1ffff;
}
