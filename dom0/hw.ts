// Domain 0's privileged instructions, one NASM function each (dom0/boot.asm).
//
// The only dom0 module that declares "hw" imports. As in the hypervisor
// (src/arch/hw.ts), wasm2c turns each into `Z_hwZ_<name>(instance, ...)`, a
// SysV function that ignores its first argument. A pointer argument is a wasm
// address, which in Domain 0 is a guest-physical address.

// Port I/O (the emulated 16550 at 0x3f8; physical devices later).
@external("hw", "inb") export declare function inb(port: u16): u8;
@external("hw", "outb") export declare function outb(port: u16, value: u8): void;

// VMCALL with RAX = nr, RDI = a0, RSI = a1, RDX = a2, R10 = a3; returns RAX
// (>= 0 on success, a negative errno on failure). See src/hypercall/abi.ts.
@external("hw", "vmcall") export declare function vmcall(nr: u32, a0: u64, a1: u64, a2: u64, a3: u64): i64;

@external("hw", "rdtsc") export declare function rdtsc(): u64;

// Interrupts off, HLT in a loop: the hypervisor blocks a halted vCPU.
@external("hw", "halt_forever") export declare function halt_forever(): void;
