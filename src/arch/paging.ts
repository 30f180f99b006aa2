// Page-table entry bits (SDM Vol. 3A 5.3-5.5, Tables 5-15 to 5-19): the
// 4-level paging the builder sets up for a guest entered in 64-bit mode, and
// what the MMIO path walks to find a guest's instruction.
export const PTE_P: u64 = 1 << 0;    // present
export const PTE_RW: u64 = 1 << 1;   // writable
export const PTE_PS: u64 = 1 << 7;   // a 2 MiB page in a PDE (1 GiB in a PDPTE); 4 MiB in a 32-bit PDE
// The next table or the page, bits 51:12 of a 64-bit entry (PAE and 4-level).
export const PTE_ADDR_MASK: u64 = 0x000ffffffffff000;

// A linear address is canonical when bits 63:47 are all equal (4-level
// paging, SDM Vol. 3A 3.3.7.1); base-address MSRs and 64-bit RIP/RSP must be.
@inline export function isCanonical(a: u64): bool {
  const top = a >> 47;
  return top == 0 || top == 0x1ffff;
}
