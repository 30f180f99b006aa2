// Domain 0's privileged instructions, one NASM function each (dom0/boot.asm).
//
// The only dom0 module that declares "hw" imports (the unit tests supply a
// simulated machine under the same names, tests/sim/dom0.ts). As in the
// hypervisor (src/arch/hw.ts), wasm2c turns each into
// `Z_hwZ_<name>(instance, ...)`, a SysV function that ignores its first
// argument. A pointer argument is a wasm address, which in Domain 0 is a
// guest-physical address.

// Port I/O: COM1, the PCI configuration ports and those of its boot
// command line's `ioports=` (the IDE channels) are passed through to
// Domain 0; other ports are the hypervisor's (they read all ones).
@external("hw", "inb") export declare function inb(port: u16): u8;
@external("hw", "outb") export declare function outb(port: u16, value: u8): void;
@external("hw", "inl") export declare function inl(port: u16): u32;
@external("hw", "outl") export declare function outl(port: u16, value: u32): void;
// `rep insw` / `rep outsw`: `count` 16-bit words between `port` and the
// buffer at wasm address `buf` (an ATA PIO data block, dom0/ata.ts).
@external("hw", "insw") export declare function insw(port: u16, buf: usize, count: u32): void;
@external("hw", "outsw") export declare function outsw(port: u16, buf: usize, count: u32): void;

// VMCALL with RAX = nr, RDI = a0, RSI = a1, RDX = a2, R10 = a3; returns RAX
// (>= 0 on success, a negative errno on failure). See src/arch/abi.ts.
@external("hw", "vmcall") export declare function vmcall(nr: u32, a0: u64, a1: u64, a2: u64, a3: u64): i64;

@external("hw", "rdtsc") export declare function rdtsc(): u64;

// CRC-32C by the CRC32 instruction: continues the raw register `crc` over
// `len` bytes at the wasm address `p`; only where cpu_has_sse42() says so.
@external("hw", "crc32c") export declare function crc32c(crc: u32, p: usize, len: u32): u32;
@external("hw", "cpu_has_sse42") export declare function cpu_has_sse42(): bool;

// Interrupts off, HLT in a loop: the hypervisor blocks a halted vCPU.
@external("hw", "halt_forever") export declare function halt_forever(): void;

// The IDT: exception stubs that report and halt, and an `iretq` stub at
// `eventVector` (the event page carries the news, not the interrupt).
@external("hw", "idt_init") export declare function idt_init(eventVector: u32): void;
@external("hw", "irq_disable") export declare function irq_disable(): void;
@external("hw", "irq_enable") export declare function irq_enable(): void;
// `sti; hlt`: sleeps until an interrupt (none is lost between the check and
// the HLT); returns with interrupts enabled.
@external("hw", "wait_interrupt") export declare function wait_interrupt(): void;
// Atomic exchange of the u64 at `addr` (locked: the hypervisor sets bits
// there from another context).
@external("hw", "xchg64") export declare function xchg64(addr: usize, value: u64): u64;
