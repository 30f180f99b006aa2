// Extended page tables (Intel SDM Vol. 3C 30.3 "The Extended Page Table
// Mechanism") and the EPT pointer (25.6.11). The walker that builds them is
// src/ept/ept.ts.

// ── EPT paging-structure entry (30.3.2, Tables 30-1 to 30-6) ───────────────
//   63  62    52 51                12 11  10   9   8   7   6  5   3  2   1   0
//  ┌───┬────────┬────────────────────┬───┬───┬───┬───┬───┬───┬─────┬───┬───┬───┐
//  │SVE│ ignored│  physical address  │ ig│UX │ D │ A │PS │IPA│ MT  │ X │ W │ R │
//  └───┴────────┴────────────────────┴───┴───┴───┴───┴───┴───┴─────┴───┴───┴───┘
// An entry is present iff any of bits 2:0 is set. W without R is a
// misconfiguration (30.3.3.1) and so is a reserved memory type (2, 3, 7) in
// a leaf. PS marks a leaf in a PDPTE (1 GiB) or PDE (2 MiB); in a PML4E it
// must be 0. MT and IPAT exist only in leaves. D exists only in leaves and
// A/D are written by the CPU only when EPTP_ACCESSED_DIRTY is set.
export const EPT_READ: u32 = 1 << 0;                             // permission bits are u32: eptMap's `perms`
export const EPT_WRITE: u32 = 1 << 1;
export const EPT_EXECUTE: u32 = 1 << 2;                          // supervisor-mode if mode-based execute
export const EPT_RWX: u32 = EPT_READ | EPT_WRITE | EPT_EXECUTE;
export const EPT_MEMORY_TYPE_SHIFT: u64 = 3;                     // bits 5:3, leaves only
export const EPT_MEMORY_TYPE_MASK: u64 = 0x7 << 3;
export const EPT_IGNORE_PAT: u64 = 1 << 6;                       // leaf: MT alone decides, guest PAT ignored
export const EPT_PAGE_SIZE: u64 = 1 << 7;                        // PDPTE/PDE: maps a 1 GiB / 2 MiB page
export const EPT_ACCESSED: u64 = 1 << 8;
export const EPT_DIRTY: u64 = 1 << 9;                            // leaves only
export const EPT_USER_EXECUTE: u32 = 1 << 10;                    // mode-based execute control only
export const EPT_ADDR_MASK: u64 = 0x000ffffffffff000;            // bits 51:12
export const EPT_SUPPRESS_VE: u64 = 1 << 63;                     // leaf: EPT violations never become #VE

// 512 entries of 8 bytes per table, at every level.
export const EPT_ENTRIES: u32 = 512;
export const EPT_LEVELS: u32 = 4;         // PML4, PDPT, PD, PT
export const EPT_PAGE_4K: u64 = 1 << 12;
export const EPT_PAGE_2M: u64 = 1 << 21;
export const EPT_PAGE_1G: u64 = 1 << 30;
// A 4-level walk translates 48-bit guest-physical addresses (30.3.2).
export const EPT_GPA_LIMIT: u64 = 1 << 48;

// ── EPT pointer (EPT_POINTER, 25.6.11, Table 25-9) ─────────────────────────
//   63    52 51                 12 11   8  7   6   5     3  2    0
//  ┌────────┬─────────────────────┬──────┬───┬───┬────────┬──────┐
//  │   0    │  PML4 phys address  │  0   │SSS│A/D│walk - 1│  MT  │
//  └────────┴─────────────────────┴──────┴───┴───┴────────┴──────┘
// MT is the type used to access the EPT tables themselves: UC or WB, as
// IA32_VMX_EPT_VPID_CAP bits 8 and 14 allow.
export const EPTP_MEMORY_TYPE_MASK: u64 = 0x7;            // bits 2:0
export const EPTP_MEMORY_TYPE_UC: u64 = 0;
export const EPTP_MEMORY_TYPE_WB: u64 = 6;
export const EPTP_PAGE_WALK_LENGTH_SHIFT: u64 = 3;        // bits 5:3: levels - 1
export const EPTP_PAGE_WALK_LENGTH_4: u64 = 3 << 3;
export const EPTP_ACCESSED_DIRTY: u64 = 1 << 6;           // only if EPT_VPID_CAP_ACCESSED_DIRTY
export const EPTP_SUPERVISOR_SHADOW_STACK: u64 = 1 << 7;
export const EPTP_ADDR_MASK: u64 = 0x000ffffffffff000;    // bits 51:12
