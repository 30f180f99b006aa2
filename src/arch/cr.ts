// Control-register and XCR0 bits (SDM Vol. 3A 2.5, Vol. 1 13.3).

export const CR0_PE: u64 = 1 << 0;
export const CR0_MP: u64 = 1 << 1;
export const CR0_EM: u64 = 1 << 2;
export const CR0_TS: u64 = 1 << 3;
export const CR0_ET: u64 = 1 << 4;
export const CR0_NE: u64 = 1 << 5;
export const CR0_WP: u64 = 1 << 16;
export const CR0_AM: u64 = 1 << 18;
export const CR0_NW: u64 = 1 << 29;
export const CR0_CD: u64 = 1 << 30;
export const CR0_PG: u64 = 1 << 31;

export const CR4_VME: u64 = 1 << 0;
export const CR4_PSE: u64 = 1 << 4;
export const CR4_PAE: u64 = 1 << 5;
export const CR4_PGE: u64 = 1 << 7;
export const CR4_OSFXSR: u64 = 1 << 9;
export const CR4_OSXMMEXCPT: u64 = 1 << 10;
export const CR4_LA57: u64 = 1 << 12;
export const CR4_VMXE: u64 = 1 << 13;
export const CR4_SMXE: u64 = 1 << 14;
export const CR4_OSXSAVE: u64 = 1 << 18;
export const CR4_SMAP: u64 = 1 << 21;

export const EFER_SCE: u64 = 1 << 0;
export const EFER_LME: u64 = 1 << 8;
export const EFER_LMA: u64 = 1 << 10;
export const EFER_NXE: u64 = 1 << 11;

// RFLAGS (Vol. 1 3.4.3): the status flags arithmetic sets, then the
// control and system flags.
export const RFLAGS_CF: u64 = 1 << 0;     // carry out of (borrow into) the most significant bit
export const RFLAGS_FIXED: u64 = 1 << 1;   // bit 1 always reads 1
export const RFLAGS_PF: u64 = 1 << 2;     // the low byte of the result has an even number of 1 bits
export const RFLAGS_AF: u64 = 1 << 4;     // carry out of (borrow into) bit 3
export const RFLAGS_ZF: u64 = 1 << 6;
export const RFLAGS_SF: u64 = 1 << 7;     // the result's most significant bit
export const RFLAGS_TF: u64 = 1 << 8;
export const RFLAGS_IF: u64 = 1 << 9;
export const RFLAGS_DF: u64 = 1 << 10;   // string instructions count down
export const RFLAGS_OF: u64 = 1 << 11;    // signed overflow
export const RFLAGS_VM: u64 = 1 << 17;    // virtual-8086 mode
export const RFLAGS_AC: u64 = 1 << 18;    // with CR4.SMAP: supervisor access to user pages allowed
export const RFLAGS_STATUS: u64 = RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF;
export const RFLAGS_ID: u64 = 1 << 21;    // writable: CPUID is there

// XCR0 state components (Vol. 1 13.1).
export const XCR0_X87: u64 = 1 << 0;
export const XCR0_SSE: u64 = 1 << 1;
export const XCR0_AVX: u64 = 1 << 2;
// The XSAVE area's standard form (SDM Vol. 1 13.4): MXCSR in the legacy
// region, then the header: XSTATE_BV, XCOMP_BV and reserved bytes, all zero
// but XSTATE_BV for XRSTOR's standard form (13.8).
export const XSAVE_MXCSR: u32 = 24;
export const XSAVE_HEADER: u32 = 512;     // XSTATE_BV (u64) first
export const XSAVE_HEADER_SIZE: u32 = 64;
export const MXCSR_RESERVED: u32 = 0xffff0000;
