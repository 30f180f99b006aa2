// The hypercall ABI, v1: the one definition imported by the hypervisor
// (src/hypercall/), Domain 0 (dom0/) and the test guests' include file
// (generated from this file as build/hypercall.inc).
//
// VMCALL with RAX = number, arguments in RDI, RSI, RDX, R10, R8, R9; the
// result in RAX: >= 0 on success, a negative errno on failure. Pointers are
// guest-physical addresses in the caller's memory; lengths are bytes.
// Keep each definition on one line (the .inc is made with sed).

export const HYPERCALL_ABI_VERSION: u32 = 0x00010000; // major << 16 | minor

// Numbers.
export const HC_VERSION: u32 = 0;        // () -> HYPERCALL_ABI_VERSION
export const HC_CONSOLE_WRITE: u32 = 1;  // (gpa, len) -> bytes written
export const HC_YIELD: u32 = 2;          // () -> 0; gives up the CPU
export const HC_SHUTDOWN: u32 = 3;       // (code) -> does not return
export const HC_COUNT: u32 = 4;         // numbers at or above it are unknown (-ENOSYS)

// Errors (Linux errno values, returned negated).
export const EPERM: u32 = 1;
export const EFAULT: u32 = 14;
export const EINVAL: u32 = 22;
export const ENOSYS: u32 = 38;

// Longest HC_CONSOLE_WRITE accepted in one call.
export const HC_CONSOLE_WRITE_MAX: u32 = 4096;
