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
export const HANDOFF_GDT: u32 = 32;        // host GDT base, for HOST_GDTR_BASE
export const HANDOFF_IDT: u32 = 40;        // host IDT base, for HOST_IDTR_BASE
export const HANDOFF_TSS: u32 = 48;        // host TSS base, for HOST_TR_BASE
export const HANDOFF_VMEXIT: u32 = 56;     // boot/vmx.asm vm_exit, for HOST_RIP
export const HANDOFF_VMEXIT_FLOOR: u32 = 64; // boot/vmx.asm vm_exit_floor (bench only)
export const HANDOFF_SIZE: u32 = 72;

// Host interrupt vectors (the boot stub's IDT has a stub for each).
export const HV_VECTOR_IRQ_BASE: u32 = 0x30;   // I/O APIC input n (a GSI) -> 0x30 + n
export const HV_VECTOR_IRQ_COUNT: u32 = 24;
export const HV_VECTOR_TIMER: u32 = 0xf0;      // this CPU's LAPIC timer
export const HV_VECTOR_IPI: u32 = 0xf1;        // another CPU wants this one to look at its run queue
export const HV_VECTOR_SPURIOUS: u32 = 0xff;

// Host segment selectors of the boot stub's GDT (boot/entry.asm).
export const HOST_SEL_CODE: u32 = 0x08;
export const HOST_SEL_DATA: u32 = 0x10;
export const HOST_SEL_TSS: u32 = 0x18;

// A vCPU's register block, shared with the VM-entry stub (boot/vmx.asm):
// the GPRs the VMCS does not hold, in x86 register-number order (so an exit
// qualification's register field indexes it), then CR2, which VMX does not
// switch either, then the stub's own bookkeeping.
export const VCPU_RAX: u32 = 0;
export const VCPU_RCX: u32 = 8;
export const VCPU_RDX: u32 = 16;
export const VCPU_RBX: u32 = 24;
export const VCPU_RSP_UNUSED: u32 = 32;    // RSP is GUEST_RSP in the VMCS
export const VCPU_RBP: u32 = 40;
export const VCPU_RSI: u32 = 48;
export const VCPU_RDI: u32 = 56;
export const VCPU_R8: u32 = 64;
export const VCPU_R9: u32 = 72;
export const VCPU_R10: u32 = 80;
export const VCPU_R11: u32 = 88;
export const VCPU_R12: u32 = 96;
export const VCPU_R13: u32 = 104;
export const VCPU_R14: u32 = 112;
export const VCPU_R15: u32 = 120;
export const VCPU_CR2: u32 = 128;
export const VCPU_HOST_RSP: u32 = 136;     // HOST_RSP last written to the VMCS
export const VCPU_LAUNCHED: u32 = 144;     // 0 until VMLAUNCH succeeded
export const VCPU_REGS_SIZE: u32 = 152;
