// Page-table entry bits for the 4-level paging the builder sets up for a
// guest entered in 64-bit mode (SDM Vol. 3A 5.5, Tables 5-15 to 5-19).
export const PTE_P: u64 = 1 << 0;    // present
export const PTE_RW: u64 = 1 << 1;   // writable
export const PTE_PS: u64 = 1 << 7;   // a 2 MiB page in a PDE (1 GiB in a PDPTE)
