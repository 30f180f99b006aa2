// The hypervisor's physical memory map and the boot stub's hand-off block.
//
// This file is the one source of these numbers: the Makefile turns every
// `export const NAME: T = value;` line into `NAME equ value` (build/layout.inc,
// included by boot/*.asm) and `NAME = value;` (build/layout.ld, included by the
// linker script). tests/unit/layout.test.ts checks both against the wasm.
// Keep each definition on one line, with a literal value.
//
//   0x0000_0000 ┌──────────────────────────────┐
//               │ low memory (IVT, BDA, EBDA,  │ never handed out
//               │ option ROMs, BIOS)           │
//   HV_IMAGE_BASE ├──────────────────────────────┤
//               │ hv.elf: boot stub, wasm2c    │ text, data, bss: page tables,
//               │ code, runtime shim           │ stacks, GDT, IDT, TSS
//   HV_WASM_BASE ├──────────────────────────────┤
//               │ AssemblyScript static data   │ asc --memoryBase
//               │ and heap (stub runtime)      │ grows up to HV_WASM_END
//   HV_WASM_END ├──────────────────────────────┤
//               │ frames for the allocator     │
//               └──────────────────────────────┘
// The ELF reserves [HV_IMAGE_BASE, HV_WASM_END) as one load segment, so the
// boot loader places neither modules nor its information structure there.

export const HV_IMAGE_BASE: u32 = 0x100000;
export const HV_WASM_BASE: u32 = 0x400000;
export const HV_WASM_END: u32 = 0x1000000;

// Host virtual addresses set up by the boot stub (2 MiB pages, first 4 GiB):
// an identity map for the native image, and the direct map at which the wasm
// linear memory starts, so that wasm address == physical address.
export const HV_DIRECT_MAP: u64 = 0xffff800000000000;
export const HV_MAPPED_BYTES: u64 = 0x100000000;

// Stacks in the image's bss.
export const HV_BOOT_STACK_SIZE: u32 = 0x10000;
export const HV_IST_STACK_SIZE: u32 = 0x4000;

// The hand-off block the boot stub fills before calling the microkernel
// (u64 fields, offsets in bytes).
export const HANDOFF_MB_MAGIC: u32 = 0;    // EAX from the boot loader
export const HANDOFF_MB_INFO: u32 = 8;     // EBX from the boot loader
export const HANDOFF_ENTRY_TSC: u32 = 16;  // TSC at the boot loader's hand-off
export const HANDOFF_IMAGE_END: u32 = 24;  // end of the native image (linker)
export const HANDOFF_SIZE: u32 = 32;
