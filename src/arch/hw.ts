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
@external("hw", "read_cr4") export declare function read_cr4(): u64;
@external("hw", "write_cr4") export declare function write_cr4(value: u64): void;

// Stops this CPU for good: interrupts off, HLT in a loop.
@external("hw", "halt_forever") export declare function halt_forever(): void;
