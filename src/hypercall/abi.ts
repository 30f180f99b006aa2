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
// Management calls: the caller needs RIGHT_CONTROL, else -EPERM and nothing changes.
export const HC_DOMAIN_LIST: u32 = 4;    // (buf gpa, max entries) -> records written (DOMREC_SIZE each, by id)
export const HC_DOMAIN_INFO: u32 = 5;    // (id, buf gpa) -> 0; one DOMINFO_SIZE record
export const HC_DOMAIN_PAUSE: u32 = 6;   // (id) -> 0; not scheduled until unpaused (-EINVAL for the caller itself)
export const HC_DOMAIN_UNPAUSE: u32 = 7; // (id) -> 0
export const HC_DOMAIN_DESTROY: u32 = 8; // (id) -> 0; stopped, memory scrubbed and freed (-EINVAL for the caller itself)
export const HC_CONSOLE_READ: u32 = 9;   // (id, from position, buf gpa, len) -> bytes copied from the domain's console ring
export const HC_LOG_READ: u32 = 10;      // (from position, buf gpa, len) -> bytes copied from the hypervisor log ring
export const HC_COUNT: u32 = 11;         // numbers at or above it are unknown (-ENOSYS)

// Errors (Linux errno values, returned negated).
export const EPERM: u32 = 1;
export const ESRCH: u32 = 3;
export const EFAULT: u32 = 14;
export const EINVAL: u32 = 22;
export const ENOSYS: u32 = 38;

// Longest HC_CONSOLE_WRITE accepted in one call.
export const HC_CONSOLE_WRITE_MAX: u32 = 4096;

// Domain rights (the flags of a module's `control=1`).
export const RIGHT_CONTROL: u32 = 1;     // may make management calls

// Limits of the management calls (larger values: -EINVAL).
export const HC_DOMAIN_LIST_MAX: u32 = 1024;  // entries in one HC_DOMAIN_LIST
export const HC_CONSOLE_READ_MAX: u32 = 4096; // bytes in one HC_CONSOLE_READ
export const HC_LOG_READ_MAX: u32 = 4096;     // bytes in one HC_LOG_READ

// Domain states as the records report them.
export const DOMSTATE_RUNNABLE: u32 = 0;
export const DOMSTATE_BLOCKED: u32 = 1;  // every vCPU halted
export const DOMSTATE_STOPPED: u32 = 2;  // stopped or destroyed; its id is not reused

// HC_DOMAIN_LIST record (little endian, byte offsets).
export const DOMREC_ID: u32 = 0;         // u32
export const DOMREC_STATE: u32 = 4;      // u32, DOMSTATE_*
export const DOMREC_MEM_KIB: u32 = 8;    // u64
export const DOMREC_VCPUS: u32 = 16;     // u32
export const DOMREC_FLAGS: u32 = 20;     // u32, DOMFLAG_*
export const DOMREC_NAME: u32 = 24;      // u8[32], ASCII, NUL-padded
export const DOMREC_NAME_MAX: u32 = 32;
export const DOMREC_SIZE: u32 = 56;
export const DOMFLAG_PAUSED: u32 = 1;
export const DOMFLAG_CONTROL: u32 = 2;   // holds RIGHT_CONTROL

// HC_DOMAIN_INFO record: a DOMREC, then
export const DOMINFO_RUN_TICKS: u32 = 56;   // u64, TSC ticks spent in the guest
export const DOMINFO_EXIT_CODE: u32 = 64;   // i32, -1 unless it shut down with a code
export const DOMINFO_EXIT_SLOTS: u32 = 68;  // u32, number of exit counters (DOMINFO_EXIT_COUNT_MAX)
export const DOMINFO_EXITS: u32 = 72;       // u64[80], VM exits by basic reason; the last slot counts all reasons >= 79
export const DOMINFO_EXIT_COUNT_MAX: u32 = 80;
export const DOMINFO_SIZE: u32 = 712;
