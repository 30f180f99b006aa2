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
export const HC_LOG_READ: u32 = 10;      // (from position, buf gpa, len, LOG_READ_*) -> bytes copied from the hypervisor log ring (LOG_READ_OWN: the ring of its own lines, without its domains' console lines)
// Building a domain at run time (create -> load -> set entry -> start).
export const HC_MODULE_LIST: u32 = 11;   // (buf gpa, max entries) -> records written (MODREC_SIZE each): boot modules the hypervisor did not take at boot
export const HC_MODULE_READ: u32 = 12;   // (module index, offset, buf gpa, len) -> bytes copied (0 at or past the end); len <= HC_MODULE_READ_MAX
export const HC_DOMAIN_CREATE: u32 = 13; // (config gpa, len, image, initrd) -> new domain id; config as a module command line (`domain name= mem= ...`); image, initrd: 1 + the boot module it is built from and its initrd's (a restart builds it again from them), 0 none; DOMSTATE_CREATED until started
export const HC_DOMAIN_LOAD: u32 = 14;   // (id, dst gpa in the target, src gpa in the caller, len) -> len; target not yet started; len <= HC_DOMAIN_LOAD_MAX
export const HC_VCPU_SET_ENTRY: u32 = 15; // (id, vcpu, entry gpa) -> 0; a VCPUENTRY_SIZE record; target not yet started
export const HC_DOMAIN_START: u32 = 16;  // (id) -> 0; the created domain is scheduled (-EINVAL before HC_VCPU_SET_ENTRY or if already started)
// Events, the console and the host (Domain 0's drivers and shell).
export const HC_EVENT_SETUP: u32 = 17;   // (page gpa, vector, flags) -> 0, or with EVSETUP_FLAG_CONSOLE the hypervisor log's write position; the caller's events (no right needed; the console flag needs RIGHT_CONTROL)
export const HC_CONSOLE_INPUT: u32 = 18; // (id, buf gpa, len) -> bytes queued to domain id's emulated UART receiver (fewer when its input ring is full)
export const HC_HOST_INFO: u32 = 19;     // (buf gpa) -> 0; one HOSTINFO_SIZE record
export const HC_CPU_INFO: u32 = 20;      // (cpu, buf gpa) -> 0; one CPUINFO_SIZE record (-EINVAL at or past HOSTINFO_CPUS_FOUND)
export const HC_HOST_POWER: u32 = 21;    // (HOST_POWER_*) -> does not return (-EINVAL for an unknown operation)
// Several vCPUs, and the scheduler. HC_VCPU_START is the caller's own (no right needed); the others are management calls.
export const HC_VCPU_START: u32 = 22;    // (vcpu, entry gpa) -> 0; the caller's vCPU `vcpu` (>= 1, not yet started) starts at a VCPUENTRY_SIZE record (rules of HC_VCPU_SET_ENTRY)
export const HC_SCHED_GET: u32 = 23;     // (id, buf gpa) -> 0; one SCHEDREC_SIZE record
export const HC_SCHED_SET: u32 = 24;     // (id, weight, cap) -> 0; weight 1-65535, cap 0 (none) to 100 x vCPUs (% of one CPU)
export const HC_VCPU_INFO: u32 = 25;     // (id, vcpu, buf gpa) -> 0; one VCPUINFO_SIZE record
export const HC_VCPU_PIN: u32 = 26;      // (id, vcpu, CPU mask) -> 0; bit n = CPU n (-EINVAL if no online CPU is in it)
// A vCPU's own one-shot timer (no right needed), as Xen's set_timer_op.
export const HC_TIMER_SET: u32 = 27;     // (deadline) -> 0; EVENT_TIMER for the calling vCPU once its TSC reaches `deadline` (0 cancels; one passed fires at once); -EINVAL before HC_EVENT_SETUP. A 32-bit caller: EDI low half, ESI high half
// Reading and changing a DomU from outside, as debuggers and introspection
// do: its guest-physical memory (any time) and a vCPU's registers (paused).
export const HC_DOMAIN_MEM_READ: u32 = 28;   // (id, gpa, buf gpa, len) -> bytes copied from the domain's RAM; len <= HC_DOMAIN_MEM_MAX
export const HC_DOMAIN_MEM_WRITE: u32 = 29;  // (id, gpa, buf gpa, len) -> bytes copied into the domain's RAM
export const HC_VCPU_GET: u32 = 30;          // (id, vcpu, buf gpa) -> 0; one VCPUREGS_SIZE record; -EBUSY unless paused
export const HC_VCPU_SET: u32 = 31;          // (id, vcpu, VCPUREG_*, value) -> 0; a general register, RIP or RFLAGS; -EBUSY unless paused
export const HC_SNAPSHOT_CREATE: u32 = 32;   // (id, name gpa, name len) -> snapshot id; -EBUSY unless paused
export const HC_SNAPSHOT_REVERT: u32 = 33;   // (id, snapshot) -> 0; -EBUSY unless paused
export const HC_SNAPSHOT_DELETE: u32 = 34;   // (id, snapshot, SNAPDEL_*) -> 0
export const HC_SNAPSHOT_LIST: u32 = 35;     // (id, buf gpa, max) -> count; SNAPREC_SIZE records, parents first
export const HC_DOMAIN_FORK: u32 = 36;       // (id, snapshot or 0: now, name gpa, name len | count << 16) -> first new id
export const HC_DOMAIN_DEDUP: u32 = 37;      // (ids gpa, count) -> pages merged; ids: u32[count], DomUs, each paused (-EBUSY otherwise), count <= DEDUP_DOMAINS_MAX
export const HC_DOMAIN_RIGHTS: u32 = 38;     // (id, RIGHT_* mask) -> 0; the caller holds them and all the domain's now; not Domain 0 (-EPERM)
// Save and restore (Domain 0 writes the stream, src/state/stream.ts): a
// domain's config and state record out, and into a created domain.
export const HC_DOMAIN_STATE_GET: u32 = 39;  // (id, STATE_*, buf gpa, len) -> bytes it has; written only when len >= that (len 0 asks); STATE_RECORD needs it paused and on no CPU (-EBUSY)
export const HC_DOMAIN_STATE_SET: u32 = 40;  // (id, buf gpa, len) -> 0; a created domain (memory loaded) takes a STATE_RECORD and is started paused; -EINVAL: why, NUL-terminated, at buf (at most STATE_WHY_MAX bytes), the domain still created
export const HC_DOMAIN_MEM_PAGES: u32 = 41;  // (id, first frame, count, buf gpa) -> pages with data; count (1-MEM_PAGES_MAX) frames of the domain's RAM: at buf a u64 per frame (its number, | MEM_PAGE_ZERO if all its bytes are 0), then the 4 KiB of each other one, in order
export const HC_COUNT: u32 = 42;         // numbers at or above it are unknown (-ENOSYS)

// Errors (Linux errno values, returned negated).
export const EPERM: u32 = 1;
export const ESRCH: u32 = 3;
export const EFAULT: u32 = 14;
export const ENOMEM: u32 = 12;           // not enough free frames for the new domain
export const EBUSY: u32 = 16;            // the physical console is already held by another domain
export const ENOENT: u32 = 2;            // no such snapshot in the domain's tree
export const EEXIST: u32 = 17;           // a snapshot of that name exists
export const EINVAL: u32 = 22;
export const ENOSPC: u32 = 28;           // no snapshot id left
export const ENOSYS: u32 = 38;

// Longest HC_CONSOLE_WRITE accepted in one call.
export const HC_CONSOLE_WRITE_MAX: u32 = 4096;

// Domain rights, a bit each: what a domain may do beyond running itself
// (a module's `rights=`, by name; `control=1` is all of them). Each call
// needs one (the hypercall table in the README); a domain gives a domain it
// creates only rights it holds.
export const RIGHT_DOMAINS: u32 = 1 << 0;  // build, start, pause, destroy and list other domains, their consoles, boot modules, snapshots, forks, dedup
export const RIGHT_MEMORY: u32 = 1 << 1;   // read and write another domain's memory and vCPU registers
export const RIGHT_SCHED: u32 = 1 << 2;    // set scheduling: weights, caps, pins
export const RIGHT_HOST: u32 = 1 << 3;     // the host's memory and CPUs, the hypervisor log
export const RIGHT_POWER: u32 = 1 << 4;    // power the host off or reset it
export const RIGHT_CONSOLE: u32 = 1 << 5;  // the physical console (EVSETUP_FLAG_CONSOLE)
export const RIGHT_CONTROL: u32 = 0x3f;    // all of them: a control domain

// Limits of the management calls (larger values: -EINVAL).
export const HC_DOMAIN_LIST_MAX: u32 = 1024;  // entries in one HC_DOMAIN_LIST
export const HC_CONSOLE_READ_MAX: u32 = 4096; // bytes in one HC_CONSOLE_READ
export const HC_SNAPSHOT_LIST_MAX: u32 = 1024; // records in one HC_SNAPSHOT_LIST
export const HC_LOG_READ_MAX: u32 = 4096;     // bytes in one HC_LOG_READ
export const LOG_READ_OWN: u32 = 1;           // HC_LOG_READ: the hypervisor's own lines (what dmesg shows)

// Domain states as the records report them.
// DomainState: what a domain is doing (DOMREC_STATE).
export type DomainState = u32;
export const DOMSTATE_RUNNABLE: u32 = 0;
export const DOMSTATE_BLOCKED: u32 = 1;  // running, every started vCPU halted (reported, never stored)
export const DOMSTATE_STOPPED: u32 = 2;  // stopped or destroyed; its id is not reused
export const DOMSTATE_CREATED: u32 = 3;  // made by HC_DOMAIN_CREATE, not yet started

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
export const DOMFLAG_CONTROL: u32 = 2;   // holds RIGHT_DOMAINS: a control domain

// HC_DOMAIN_INFO record: a DOMREC, then
export const DOMINFO_RUN_TICKS: u32 = 56;   // u64, TSC ticks spent in the guest
export const DOMINFO_EXIT_CODE: u32 = 64;   // i32, -1 unless it shut down with a code
export const DOMINFO_EXIT_SLOTS: u32 = 68;  // u32, number of exit counters (DOMINFO_EXIT_COUNT_MAX)
export const DOMINFO_EXITS: u32 = 72;       // u64[80], VM exits by basic reason; the last slot counts all reasons >= 79
export const DOMINFO_EXIT_COUNT_MAX: u32 = 80;
export const DOMINFO_STOP_CAUSE: u32 = 712; // u32, DOMSTOP_*: why it stopped (DOMSTOP_NONE while it runs)
export const DOMINFO_RESTARTS: u32 = 716;   // u32, times its predecessors restarted (on_reboot=restart ...)
// Its RAM in pages: its own frames, frames of snapshots it maps (shared
// copy-on-write), and frames its own snapshots hold (records included).
export const DOMINFO_PAGES_OWN: u32 = 720;       // u32, frames no one else holds
export const DOMINFO_PAGES_SHARED: u32 = 724;    // u32, pages on frames shared with snapshots or (dedup) other domains
export const DOMINFO_PAGES_SNAPSHOTS: u32 = 728; // u32
export const DOMINFO_SNAPSHOTS: u32 = 732;       // u32, snapshots in its tree
export const DOMINFO_RIGHTS: u32 = 736;          // u32, RIGHT_* it holds
export const DOMINFO_SIZE: u32 = 744;

// HC_SNAPSHOT_LIST record (a snapshot of the domain's tree; a parent comes
// before its children).
export const SNAPREC_ID: u32 = 0;        // u32
export const SNAPREC_PARENT: u32 = 4;    // u32, its nearest listed ancestor, 0: a root of the list
export const SNAPREC_FLAGS: u32 = 8;     // u32, SNAPFLAG_*
export const SNAPREC_PAGES: u32 = 12;    // u32, frames it holds (its pages and its record)
export const SNAPREC_CREATED: u32 = 16;  // u64, host TSC ticks since boot when it was taken
export const SNAPREC_NAME: u32 = 24;     // u8[32], NUL-padded
export const SNAPREC_SIZE: u32 = 56;
export const SNAPFLAG_CURRENT: u32 = 1;  // the domain runs on from it
export const SNAPSHOT_NAME_MAX: u32 = 31;
export const SNAPDEL_CHILDREN: u32 = 1;  // its descendants too
export const DEDUP_DOMAINS_MAX: u32 = 64; // domains in one HC_DOMAIN_DEDUP group
export const FORK_COUNT_MAX: u32 = 64;   // forks made by one HC_DOMAIN_FORK
// Why a domain stopped: what its policy (on_poweroff, on_reboot, on_crash)
// acts on.
export const DOMSTOP_NONE: u32 = 0;
export const DOMSTOP_EXIT: u32 = 1;       // it shut down with an exit code (isa-debug-exit, HC_SHUTDOWN): on_poweroff
export const DOMSTOP_POWEROFF: u32 = 2;   // ACPI S5: on_poweroff
export const DOMSTOP_REBOOT: u32 = 3;     // 0xCF9, the 8042, port 0x92: on_reboot
export const DOMSTOP_CRASH: u32 = 4;      // a triple fault, an access or instruction not allowed or emulated: on_crash
export const DOMSTOP_DESTROYED: u32 = 5;  // destroyed by a control domain (or the hypervisor): no policy

// Run-time domain building limits (larger values: -EINVAL).
export const HC_MODULE_LIST_MAX: u32 = 64;        // entries in one HC_MODULE_LIST
export const HC_MODULE_READ_MAX: u32 = 65536;     // bytes in one HC_MODULE_READ
export const HC_DOMAIN_CONFIG_MAX: u32 = 1024;    // bytes of HC_DOMAIN_CREATE's config (printable ASCII and tabs)
export const HC_DOMAIN_LOAD_MAX: u32 = 65536;     // bytes in one HC_DOMAIN_LOAD

// HC_MODULE_LIST record (little endian, byte offsets).
export const MODREC_INDEX: u32 = 0;      // u32, the module's index (HC_MODULE_READ's argument)
export const MODREC_CMDLINE_LEN: u32 = 4; // u32, the full command line's length (> MODREC_CMDLINE_MAX - 1: truncated)
export const MODREC_SIZE_BYTES: u32 = 8; // u64, the module's size
export const MODREC_CMDLINE: u32 = 16;   // u8[96], ASCII, NUL-padded
export const MODREC_CMDLINE_MAX: u32 = 96;
export const MODREC_SIZE: u32 = 112;

// HC_VCPU_SET_ENTRY record (little endian, byte offsets).
export const VCPUENTRY_MODE: u32 = 0;     // u32, VCPU_MODE_*
export const VCPUENTRY_FLAGS: u32 = 4;    // u32, VCPUENTRY_FLAG_*
export const VCPUENTRY_RIP: u32 = 8;      // u64 (real mode: the IP, <= 0xffff)
export const VCPUENTRY_RSP: u32 = 16;     // u64
export const VCPUENTRY_RAX: u32 = 24;     // u64
export const VCPUENTRY_RBX: u32 = 32;     // u64
export const VCPUENTRY_RDI: u32 = 40;     // u64
export const VCPUENTRY_CR3: u32 = 48;     // u64, long64 without BUILDER_TABLES: 4K-aligned page tables in guest memory
export const VCPUENTRY_GDT_BASE: u32 = 56; // u64, long64 without BUILDER_TABLES: GDT with code64 0x08, data 0x10
export const VCPUENTRY_GDT_LIMIT: u32 = 64; // u32, >= 23, <= 0xffff
export const VCPUENTRY_REAL_CS: u32 = 68; // u32, real mode: the code segment, <= 0xffff
export const VCPUENTRY_RSI: u32 = 72;     // u64
export const VCPUENTRY_SIZE: u32 = 80;
export const VCPU_MODE_REAL: u32 = 0;       // real mode at REAL_CS:RIP
export const VCPU_MODE_PROTECTED32: u32 = 1; // 32-bit protected mode, paging off; registers < 4 GiB
export const VCPU_MODE_LONG64: u32 = 2;     // 64-bit mode
// long64: the hypervisor writes its identity map of the first 4 GiB (2 MiB
// pages) at GUEST_PML4_GPA and a flat GDT at GUEST_GDT_GPA, and uses them
// (CR3 and GDT fields ignored).
export const VCPUENTRY_FLAG_BUILDER_TABLES: u32 = 1;

// The builder's guest-physical layout, below 64 KiB (boot-time domains; a
// run-time builder writes its boot information at the same place).
export const GUEST_PML4_GPA: u64 = 0x1000;      // PML4, PDPT 0x2000, four PDs 0x3000-0x6fff
export const GUEST_GDT_GPA: u64 = 0x7000;       // null, code64 0x08, data 0x10
export const GUEST_BOOTINFO_GPA: u64 = 0x8000;  // the multiboot information (<= 4 KiB)
// A DomU's ACPI tables, the RSDP first, in the BIOS area Linux and firmware
// search for the RSDP (0xE0000-0xFFFFF).
export const GUEST_ACPI_GPA: u64 = 0xe0000;
export const GUEST_STACK_TOP: u64 = 0x80000;    // initial RSP of a 64-bit entry

// Event page (HC_EVENT_SETUP): one 4 KiB-aligned page of the caller's memory.
// The hypervisor sets a bit in a vCPU's pending word (locked OR) and injects
// the vector into that vCPU as an external interrupt once it has interrupts
// enabled; a vCPU halted with interrupts enabled wakes. The domain takes the
// bits with an atomic exchange. Events of the domain (serial, log, console)
// go to vCPU 0; a vCPU's timer to that vCPU. Vectors 32-255.
export const EVPAGE_PENDING: u32 = 0;    // u64 per vCPU, at EVPAGE_PENDING + 8 x vCPU; bit per EVENT_*
export const EVENT_VECTOR_MIN: u32 = 32;
export const EVENT_SERIAL: u32 = 0;      // the physical COM1 raised its interrupt (the console holder)
export const EVENT_LOG: u32 = 1;         // the hypervisor log has new bytes (the console holder)
export const EVENT_CONSOLE: u32 = 2;     // some domain's console ring has new bytes (control domains)
export const EVENT_TIMER: u32 = 3;       // the vCPU's HC_TIMER_SET deadline passed (its own word)
// HC_EVENT_SETUP flags.
export const EVSETUP_FLAG_CONSOLE: u32 = 1; // take the physical serial console: the hypervisor stops printing its log on COM1 (a panic still does); needs RIGHT_CONTROL and the COM1 ports (Domain 0)

// HC_HOST_INFO record (little endian, byte offsets).
export const HOSTINFO_MEM_TOTAL_KIB: u32 = 0;  // u64, usable RAM
export const HOSTINFO_MEM_FREE_KIB: u32 = 8;   // u64, free for new domains
export const HOSTINFO_CPUS_FOUND: u32 = 16;    // u32, CPUs the firmware lists (HC_CPU_INFO's range)
export const HOSTINFO_CPUS_ONLINE: u32 = 20;   // u32, CPUs in VMX root running vCPUs
export const HOSTINFO_UPTIME_TICKS: u32 = 24;  // u64, TSC ticks since the hypervisor started
export const HOSTINFO_DOMAINS: u32 = 32;       // u32, live (not stopped) domains
// The hypervisor's own heap (src/mm/region.ts): in use (the permanent heap
// and the domains' arenas), of which the arenas, and what is left.
export const HOSTINFO_HEAP_USED_KIB: u32 = 40;     // u64
export const HOSTINFO_HEAP_DOMAINS_KIB: u32 = 48;  // u64
export const HOSTINFO_HEAP_FREE_KIB: u32 = 56;     // u64
export const HOSTINFO_SHARED_KIB: u32 = 64;        // u64, frames dedup shares between domains, each counted once
export const HOSTINFO_WALL_SECS: u32 = 72;         // u64, seconds since 1970 (UTC), the host's RTC at boot plus uptime
export const HOSTINFO_TSC_KHZ: u32 = 80;           // u64, the TSC's rate (uptime ticks per ms)
export const HOSTINFO_SIZE: u32 = 88;

// HC_CPU_INFO record.
export const CPUINFO_APIC_ID: u32 = 0;     // u32
export const CPUINFO_FLAGS: u32 = 4;       // u32, CPUFLAG_*
export const CPUINFO_BUSY_TICKS: u32 = 8;  // u64, TSC ticks running vCPUs (exits included)
export const CPUINFO_IDLE_TICKS: u32 = 16; // u64, TSC ticks idle (halted or waiting)
export const CPUINFO_RUNQ: u32 = 24;       // u32, runnable vCPUs queued on it
export const CPUINFO_CURRENT: u32 = 28;    // u32, id of the domain running there, 0 if idle
export const CPUINFO_SIZE: u32 = 32;
export const CPUFLAG_ONLINE: u32 = 1;      // started and in VMX root
export const CPUFLAG_BSP: u32 = 2;         // the boot processor
export const CPUFLAG_FAILED: u32 = 4;      // listed but did not start (left out)

// HC_HOST_POWER operations.
export const HOST_POWER_OFF: u32 = 0;
export const HOST_REBOOT: u32 = 1;

// Sizes of the rings behind HC_LOG_READ and HC_CONSOLE_READ (positions are
// absolute byte counts; a read from before the oldest byte kept is clamped
// to it without saying so, so a reader that wants everything still held
// starts at max(0, head - size)).
export const LOG_RING_BYTES: u32 = 65536;      // the hypervisor log (src/log/log.ts)
export const CONSOLE_RING_BYTES: u32 = 16384;  // each domain's console (src/devices/console.ts CONSOLE_RING_SIZE)
export const CONSOLE_LINE_BYTES: u32 = 200;    // its unfinished line (CONSOLE_LINE_MAX; longer lines are split)

// HC_SCHED_GET record (little endian, byte offsets).
export const SCHEDREC_WEIGHT: u32 = 0;      // u32
export const SCHEDREC_CAP: u32 = 4;         // u32, % of one CPU, 0 = none
export const SCHEDREC_CREDIT: u32 = 8;      // i64, TSC ticks of credit left this accounting period (< 0: over its share)
export const SCHEDREC_RUN_TICKS: u32 = 16;  // u64, TSC ticks run, all vCPUs
export const SCHEDREC_SIZE: u32 = 24;
export const SCHED_WEIGHT_MAX: u32 = 65535;
export const SCHED_WEIGHT_DEFAULT: u32 = 256;   // Xen's default

// HC_VCPU_INFO record.
export const VCPUINFO_STATE: u32 = 0;       // u32, VCPUSTATE_*
export const VCPUINFO_CPU: u32 = 4;         // i32, the CPU it runs or waits on, else the one it last ran on; -1 never ran
export const VCPUINFO_AFFINITY: u32 = 8;    // u64, CPUs it may run on, bit n = CPU n
export const VCPUINFO_RUN_TICKS: u32 = 16;  // u64, TSC ticks run
export const VCPUINFO_RAN_ON: u32 = 24;     // u64, CPUs it has ever run on
export const VCPUINFO_SIZE: u32 = 32;

export const HC_DOMAIN_MEM_MAX: u32 = 4096;   // bytes in one HC_DOMAIN_MEM_READ or _WRITE

// HC_DOMAIN_MEM_PAGES (a PAGES record of the save stream, src/state/stream.ts, but for its count).
export const MEM_PAGES_MAX: u32 = 64;
export const MEM_PAGE_ZERO: u64 = 1 << 63;

// HC_DOMAIN_STATE_GET: what to get.
export const STATE_RECORD: u32 = 0;   // the state record (src/state/capture.ts): vCPUs, devices, console
export const STATE_CONFIG: u32 = 1;   // the config line it was created from (HC_DOMAIN_CREATE's text)
export const STATE_WHY_MAX: u32 = 128;

// HC_VCPU_GET record: u64 VCPUREG_* at 8 x index. HC_VCPU_SET takes the
// first VCPUREG_SETTABLE (RFLAGS with its reserved bits as the CPU has them,
// RIP canonical); the control registers, EFER and CS are read-only here.
export const VCPUREG_RAX: u32 = 0;
export const VCPUREG_RBX: u32 = 1;
export const VCPUREG_RCX: u32 = 2;
export const VCPUREG_RDX: u32 = 3;
export const VCPUREG_RSI: u32 = 4;
export const VCPUREG_RDI: u32 = 5;
export const VCPUREG_RBP: u32 = 6;
export const VCPUREG_RSP: u32 = 7;
export const VCPUREG_R8: u32 = 8;        // R8-R15 at 8-15
export const VCPUREG_RIP: u32 = 16;
export const VCPUREG_RFLAGS: u32 = 17;
export const VCPUREG_SETTABLE: u32 = 18;
export const VCPUREG_CR0: u32 = 18;
export const VCPUREG_CR2: u32 = 19;
export const VCPUREG_CR3: u32 = 20;
export const VCPUREG_CR4: u32 = 21;
export const VCPUREG_EFER: u32 = 22;
export const VCPUREG_CS: u32 = 23;       // the selector
export const VCPUREG_COUNT: u32 = 24;
export const VCPUREGS_SIZE: u32 = VCPUREG_COUNT * 8;
// Their names, as the shell's vcpu-get prints and vcpu-set takes them.
export const VCPUREG_NAMES = "rax rbx rcx rdx rsi rdi rbp rsp r8 r9 r10 r11 r12 r13 r14 r15 rip rflags cr0 cr2 cr3 cr4 efer cs";
export const VCPUSTATE_DOWN: u32 = 0;       // not started (or its domain stopped)
export const VCPUSTATE_RUNNABLE: u32 = 1;   // waiting on a run queue
export const VCPUSTATE_RUNNING: u32 = 2;
export const VCPUSTATE_BLOCKED: u32 = 3;    // halted, or its domain paused
