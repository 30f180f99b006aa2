// The privileged instructions, one NASM function each (boot/hw.asm).
//
// This is the only module that declares "hw" imports. On bare metal wasm2c
// turns each into a call to `Z_hwZ_<name>(instance, ...)`, a SysV function
// that ignores its first argument; in Node the tests supply a simulated CPU
// (tests/sim/) under the same names. A pointer argument is a wasm address,
// which is a physical address.

// Port I/O.
@external("hw", "inb") export declare function inb(port: u16): u8;
@external("hw", "inw") export declare function inw(port: u16): u16;
@external("hw", "inl") export declare function inl(port: u16): u32;
@external("hw", "outb") export declare function outb(port: u16, value: u8): void;
@external("hw", "outw") export declare function outw(port: u16, value: u16): void;
@external("hw", "outl") export declare function outl(port: u16, value: u32): void;

// Model-specific registers. RDMSR of an MSR the CPU lacks raises #GP, so
// callers read only MSRs whose presence CPUID or another MSR has shown.
@external("hw", "rdmsr") export declare function rdmsr(msr: u32): u64;
@external("hw", "wrmsr") export declare function wrmsr(msr: u32, value: u64): void;

// CPUID: stores EAX, EBX, ECX, EDX as four u32 at `out`.
@external("hw", "cpuid") export declare function cpuid(leaf: u32, subleaf: u32, out: usize): void;

@external("hw", "rdtsc") export declare function rdtsc(): u64;

@external("hw", "read_cr0") export declare function read_cr0(): u64;
@external("hw", "read_cr3") export declare function read_cr3(): u64;
@external("hw", "read_cr4") export declare function read_cr4(): u64;
@external("hw", "write_cr4") export declare function write_cr4(value: u64): void;

// Stops this CPU for good: interrupts off, HLT in a loop.
@external("hw", "halt_forever") export declare function halt_forever(): void;

// ── SMP (boot/smp.asm) ────────────────────────────────────────────────────
// This CPU's per-CPU block (PERCPU_* in layout.ts) and index, through
// IA32_GS_BASE.
@external("hw", "this_cpu") export declare function this_cpu(): usize;
@external("hw", "cpu_index") export declare function cpu_index(): u32;
// PAUSE, in polling loops (a call, so each iteration reads memory again).
@external("hw", "cpu_relax") export declare function cpu_relax(): void;
// Lets the CPUs already waiting for the big lock have it once.
@external("hw", "lock_yield") export declare function lock_yield(): void;
// LOCK CMPXCHG on the u32 at `addr`: returns the old value; it was replaced
// by `value` iff that equals `expected`.
@external("hw", "cmpxchg32") export declare function cmpxchg32(addr: usize, expected: u32, value: u32): u32;

// ── Host interrupts (boot/idt.asm records each vector taken, per CPU) ────
// The host runs with IF=0; only these two let interrupts in.
// STI; HLT; CLI without the big lock (the other CPUs run the microkernel
// meanwhile): sleeps until an interrupt has been taken (or one was pending);
// returns holding the lock again.
@external("hw", "idle_wait") export declare function idle_wait(): void;
// STI; NOP; CLI: takes the interrupts pending at the local APIC.
@external("hw", "irq_window") export declare function irq_window(): void;
// The lowest vector this CPU took and has not yet returned, cleared; -1 if none.
@external("hw", "irq_take") export declare function irq_take(): i32;

// REP MOVSQ / REP STOSQ of `n` quadwords (pages and tables: src/mm/scrub.ts).
@external("hw", "copy_qwords") export declare function copy_qwords(dst: usize, src: usize, n: usize): void;
@external("hw", "zero_qwords") export declare function zero_qwords(dst: usize, n: usize): void;

// LOCK OR of `bits` into the u64 at `addr` (memory a guest may share).
@external("hw", "locked_or64") export declare function locked_or64(addr: usize, bits: u64): void;

// Resets the CPU with a triple fault (an empty IDT); does not return.
@external("hw", "triple_fault") export declare function triple_fault(): void;

// ── VMX (SDM Vol. 3C Chapter 31) ──────────────────────────────────────────
// Each VMX instruction returns its status: VMX_SUCCEED, VMX_FAIL_INVALID
// (CF=1: no current VMCS) or VMX_FAIL_VALID (ZF=1: VM_INSTRUCTION_ERROR says
// why). Addresses are physical.
@external("hw", "vmxon") export declare function vmxon(region: u64): u32;
@external("hw", "vmxoff") export declare function vmxoff(): u32;
@external("hw", "vmclear") export declare function vmclear(vmcs: u64): u32;
@external("hw", "vmptrld") export declare function vmptrld(vmcs: u64): u32;
@external("hw", "vmread") export declare function vmread(field: u32): u64;
@external("hw", "vmwrite") export declare function vmwrite(field: u32, value: u64): u32;
@external("hw", "invept") export declare function invept(type: u64, eptp: u64): u32;
@external("hw", "invvpid") export declare function invvpid(type: u64, vpid: u64, address: u64): u32;
// Enters the guest whose register block is at `regs` (VCPU_* offsets) with
// VMLAUNCH or VMRESUME, and returns VMX_SUCCEED after the next VM exit with
// the guest's registers saved, or the VMfail status if entry itself failed.
@external("hw", "vmenter") export declare function vmenter(regs: usize): u32;

// ── XSAVE (SDM Vol. 1 Chapter 13) ─────────────────────────────────────────
// `area` is 64-byte aligned; `mask` selects state components (with XCR0).
@external("hw", "xsave") export declare function xsave(area: usize, mask: u64): void;
@external("hw", "xrstor") export declare function xrstor(area: usize, mask: u64): void;
@external("hw", "xgetbv") export declare function xgetbv(index: u32): u64;
@external("hw", "xsetbv") export declare function xsetbv(index: u32, value: u64): void;
@external("hw", "write_cr0") export declare function write_cr0(value: u64): void;
