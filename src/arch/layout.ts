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

// Stacks: the boot CPU's in the image's bss; each other CPU's, of the same
// sizes, in frames the boot CPU allocates when it starts that CPU.
export const HV_BOOT_STACK_SIZE: u32 = 0x10000;
export const HV_IST_STACK_SIZE: u32 = 0x4000;

// ── SMP ────────────────────────────────────────────────────────────────────
// The AP trampoline (boot/trampoline.asm) is copied to this page below 1 MiB
// (a STARTUP IPI names a 4 KiB page there, SDM Vol. 3A 9.4.4): above the IVT
// and BIOS data area, far below the EBDA; the frame allocator never hands out
// low memory. Its parameters sit at fixed offsets in the page, filled by the
// boot CPU before each AP is started (u64 fields).
export const HV_TRAMPOLINE_PA: u32 = 0x8000;
export const TRAMP_PARAMS: u32 = 0xf00;     // code and its GDT end below this offset
export const TRAMP_CR3: u32 = 0xf00;        // the boot CPU's page tables (below 4 GiB)
export const TRAMP_ENTRY: u32 = 0xf08;      // ap_entry64, the 64-bit landing in the image
export const TRAMP_PERCPU: u32 = 0xf10;     // the starting CPU's per-CPU block
export const HV_CPUS_MAX: u32 = 64;         // scheduler masks are u64

// The per-CPU block: one 4 KiB page per CPU, found by the CPU itself through
// IA32_GS_BASE (boot/smp.asm this_cpu). The boot CPU's is in the image's bss,
// the others' in frames. src/cpu/percpu.ts overlays it as a class; a unit
// test checks that class against these offsets.
//
//   0x000 ┌ self, index, APIC id, state, in-guest flag  ┐ read by NASM too
//         │ stack top, GDT, TSS, VMXON region, VMCS ... │
//   0x0a0 ├ pending host interrupt vectors (256 bits)   ┤
//   0x0f0 ├ GDTR pseudo-descriptor (limit, base)        ┤
//   0x100 ├ GDT: null, code64 0x08, data 0x10, TSS 0x18 ┤ other CPUs only: the
//   0x180 ├ TSS (IST1 #DF, IST2 NMI, IST3 #MC)          ┘ boot CPU's are in entry.asm
//   0x1000└
export const PERCPU_SELF: u32 = 0;          // u64, the block's address (the GS base)
export const PERCPU_INDEX: u32 = 8;         // u32, 0 = the boot CPU, then MADT order
export const PERCPU_APIC_ID: u32 = 12;      // u32
export const PERCPU_STATE: u32 = 16;        // u32, CPU_STATE_*
export const PERCPU_IN_GUEST: u32 = 20;     // u32, 1 from VM entry to VM exit (boot/vmx.asm)
export const PERCPU_STACK_TOP: u32 = 24;    // u64
export const PERCPU_GDT: u32 = 32;          // u64, GDT base (HOST_GDTR_BASE)
export const PERCPU_TSS: u32 = 40;          // u64, TSS base (HOST_TR_BASE)
export const PERCPU_VMXON: u32 = 48;        // u64, the VMXON region
export const PERCPU_VMCS: u32 = 56;         // u64, the current VMCS (0: none)
export const PERCPU_VMCLEAR_REQ: u32 = 64;  // u64, a VMCS another CPU asks this one to VMCLEAR (0: none)
export const PERCPU_LAPIC: u32 = 72;        // u64, local APIC MMIO base
export const PERCPU_BUSY_TICKS: u32 = 80;   // u64, TSC ticks running vCPUs
export const PERCPU_IDLE_TICKS: u32 = 88;   // u64, TSC ticks halted in the idle loop
export const PERCPU_XSAVE_OWNER: u32 = 96;  // u32, the vCPU whose FPU state and MSRs are live here (0: none)
export const PERCPU_VMCS_OWNER: u32 = 100;  // u32, the vCPU whose VMCS is current here (0: none)
export const PERCPU_START_TSC: u32 = 104;   // u64, TSC when the boot CPU sent INIT
export const PERCPU_UP_TSC: u32 = 112;      // u64, TSC when it reached 64-bit mode
export const PERCPU_RESCHED: u32 = 120;     // u32, 1: pick again after the current exit (another CPU asked)
export const PERCPU_TLB_GEN: u32 = 124;     // u32, the TLB flush generation this CPU has caught up with
export const PERCPU_CURRENT: u32 = 128;     // u32, the id of the domain running here, 0 if none
export const PERCPU_IDLE_SINCE: u32 = 136;  // u64, TSC when it last went idle, 0 while not idle
export const PERCPU_SPEC: u32 = 144;        // u32, SPEC_* below: the mitigations in force on this CPU
export const PERCPU_L1D_DIRTY: u32 = 148;   // u32, 1: L1D may hold data not the next guest's: flush before entry
export const PERCPU_SPEC_DOMAIN: u32 = 152; // u32, the domain whose vCPU this CPU entered last (IBPB on a change)
export const PERCPU_HOST_SPEC_CTRL: u32 = 156; // u32, the host's IA32_SPEC_CTRL
export const PERCPU_IRQ_PENDING: u32 = 160; // u64[4], a bit per vector the IDT stubs took here (boot/idt.asm)
export const PERCPU_GDTR: u32 = 0xf6;       // u16 limit, then u64 base at 0xf8
export const PERCPU_GDT_AREA: u32 = 0x100;
export const PERCPU_TSS_AREA: u32 = 0x180;
export const PERCPU_SIZE: u32 = 0x1000;
// PERCPU_SPEC: the speculative-execution mitigations a CPU applies
// (src/cpu/mitigations.ts decides, boot/vmx.asm does them).
export const SPEC_RSB_FILL: u32 = 0x01;       // refill the return-stack buffer on VM exit
export const SPEC_VERW: u32 = 0x02;           // VERW just before VM entry: clear the CPU's buffers
export const SPEC_L1D_FLUSH: u32 = 0x04;      // flush L1D before VM entry when it is dirty (PERCPU_L1D_DIRTY)
export const SPEC_L1D_FLUSH_CMD: u32 = 0x08;  // ... through IA32_FLUSH_CMD, else by reading SPEC_L1D_SIZE bytes
export const SPEC_IBPB: u32 = 0x10;           // IBPB when a CPU enters a vCPU of another domain
export const SPEC_CTRL: u32 = 0x20;           // IA32_SPEC_CTRL is the guest's while it runs
export const SPEC_RETPOLINE: u32 = 0x40;      // the C's indirect branches through a retpoline
export const SPEC_L1D_SIZE: u32 = 0x10000;    // 64 KiB: twice any L1D, as Linux KVM reads
// PERCPU_STATE: written by the boot CPU, the starting CPU (ALIVE, with a
// locked compare-exchange so a late CPU cannot rejoin) and apMain.
export const CPU_STATE_ABSENT: u32 = 0;     // not started (or not present)
export const CPU_STATE_STARTING: u32 = 1;   // INIT-SIPI-SIPI sent
export const CPU_STATE_ALIVE: u32 = 2;      // in 64-bit mode, waiting for the big lock
export const CPU_STATE_ONLINE: u32 = 3;     // in VMX root operation, scheduling
export const CPU_STATE_FAILED: u32 = 4;     // did not start or could not enter VMX root: left out

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
export const HANDOFF_TRAMPOLINE: u32 = 72;  // boot/trampoline.asm: the code to copy to HV_TRAMPOLINE_PA
export const HANDOFF_TRAMPOLINE_END: u32 = 80;
export const HANDOFF_AP_ENTRY: u32 = 88;    // ap_entry64, for TRAMP_ENTRY
export const HANDOFF_SIZE: u32 = 96;

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
export const VCPU_SPEC_CTRL: u32 = 152;    // the guest's IA32_SPEC_CTRL, live while it runs
export const VCPU_REGS_SIZE: u32 = 160;
