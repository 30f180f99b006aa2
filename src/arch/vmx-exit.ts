// What a VM exit reports (Intel SDM Vol. 3C Chapter 28 "VM Exits", Vol. 3D
// Appendix C "VMX Basic Exit Reasons"): the exit-reason word, the basic exit
// reasons, the exit-qualification layouts, the event-information words, and
// the guest interruptibility and activity states they interact with.

// ── Exit reason (VM_EXIT_REASON, 25.9.1) ───────────────────────────────────
//   31  30  29  28  27  26  25      16  15               0
//  ┌───┬───┬───┬───┬───┬───┬──────────┬──────────────────┐
//  │EF │ 0 │VRX│MTF│ENC│BL │    0     │   basic reason   │
//  └───┴───┴───┴───┴───┴───┴──────────┴──────────────────┘
// Check EXIT_REASON_FAILED_VMENTRY first: then the guest never ran and the
// basic reason is one of the ENTRY_FAILURE_* numbers (28.8, "VM-entry
// failure during or after loading guest state").
export const EXIT_REASON_BASIC_MASK: u32 = 0xffff;          // bits 15:0
export const EXIT_REASON_BUS_LOCK_DETECTED: u32 = 1 << 26;
export const EXIT_REASON_ENCLAVE_MODE: u32 = 1 << 27;       // exit from an SGX enclave
export const EXIT_REASON_PENDING_MTF: u32 = 1 << 28;        // SMM dual-monitor only
export const EXIT_REASON_FROM_VMX_ROOT: u32 = 1 << 29;      // SMM dual-monitor only
export const EXIT_REASON_FAILED_VMENTRY: u32 = 1 << 31;

@inline export function exitReasonBasic(reason: u32): u32 { return reason & EXIT_REASON_BASIC_MASK; }

// ── Basic exit reasons (Appendix C, Table C-1) ────────────────────────────
export const EXIT_REASON_EXCEPTION_OR_NMI: u32 = 0;            // exception (bitmap) or NMI; VM_EXIT_INTR_INFO says which
export const EXIT_REASON_EXTERNAL_INTERRUPT: u32 = 1;          // if external-interrupt exiting
export const EXIT_REASON_TRIPLE_FAULT: u32 = 2;                // guest state is undefined afterwards
export const EXIT_REASON_INIT_SIGNAL: u32 = 3;
export const EXIT_REASON_SIPI: u32 = 4;                        // start-up IPI in wait-for-SIPI
export const EXIT_REASON_IO_SMI: u32 = 5;
export const EXIT_REASON_OTHER_SMI: u32 = 6;
export const EXIT_REASON_INTERRUPT_WINDOW: u32 = 7;
export const EXIT_REASON_NMI_WINDOW: u32 = 8;
export const EXIT_REASON_TASK_SWITCH: u32 = 9;                 // guest task switch
export const EXIT_REASON_CPUID: u32 = 10;
export const EXIT_REASON_GETSEC: u32 = 11;
export const EXIT_REASON_HLT: u32 = 12;
export const EXIT_REASON_INVD: u32 = 13;
export const EXIT_REASON_INVLPG: u32 = 14;
export const EXIT_REASON_RDPMC: u32 = 15;
export const EXIT_REASON_RDTSC: u32 = 16;
export const EXIT_REASON_RSM: u32 = 17;
export const EXIT_REASON_VMCALL: u32 = 18;
export const EXIT_REASON_VMCLEAR: u32 = 19;
export const EXIT_REASON_VMLAUNCH: u32 = 20;
export const EXIT_REASON_VMPTRLD: u32 = 21;
export const EXIT_REASON_VMPTRST: u32 = 22;
export const EXIT_REASON_VMREAD: u32 = 23;
export const EXIT_REASON_VMRESUME: u32 = 24;
export const EXIT_REASON_VMWRITE: u32 = 25;
export const EXIT_REASON_VMXOFF: u32 = 26;
export const EXIT_REASON_VMXON: u32 = 27;
export const EXIT_REASON_CR_ACCESS: u32 = 28;                  // MOV CR / CLTS / LMSW, qualification below
export const EXIT_REASON_MOV_DR: u32 = 29;
export const EXIT_REASON_IO_INSTRUCTION: u32 = 30;             // IN/OUT/INS/OUTS, qualification below
export const EXIT_REASON_RDMSR: u32 = 31;
export const EXIT_REASON_WRMSR: u32 = 32;
export const EXIT_REASON_ENTRY_FAILURE_GUEST_STATE: u32 = 33;  // VM entry failed: invalid guest state (bit 31 set)
export const EXIT_REASON_ENTRY_FAILURE_MSR_LOADING: u32 = 34;  // VM entry failed: MSR loading
// 35 reserved
export const EXIT_REASON_MWAIT: u32 = 36;
export const EXIT_REASON_MONITOR_TRAP_FLAG: u32 = 37;  // monitor trap flag
// 38 reserved
export const EXIT_REASON_MONITOR: u32 = 39;
export const EXIT_REASON_PAUSE: u32 = 40;
export const EXIT_REASON_ENTRY_FAILURE_MACHINE_CHECK: u32 = 41;  // VM entry failed: machine-check event
// 42 reserved
export const EXIT_REASON_TPR_BELOW_THRESHOLD: u32 = 43;
export const EXIT_REASON_APIC_ACCESS: u32 = 44;
export const EXIT_REASON_VIRTUALIZED_EOI: u32 = 45;
export const EXIT_REASON_GDTR_IDTR_ACCESS: u32 = 46;
export const EXIT_REASON_LDTR_TR_ACCESS: u32 = 47;
export const EXIT_REASON_EPT_VIOLATION: u32 = 48;                 // qualification below; GUEST_PHYSICAL_ADDRESS
export const EXIT_REASON_EPT_MISCONFIG: u32 = 49;                 // bad EPT entry: a hypervisor bug
export const EXIT_REASON_INVEPT: u32 = 50;
export const EXIT_REASON_RDTSCP: u32 = 51;
export const EXIT_REASON_VMX_PREEMPTION_TIMER_EXPIRED: u32 = 52;  // VMX-preemption timer counted down to 0
export const EXIT_REASON_INVVPID: u32 = 53;
export const EXIT_REASON_WBINVD: u32 = 54;
export const EXIT_REASON_XSETBV: u32 = 55;
export const EXIT_REASON_APIC_WRITE: u32 = 56;
export const EXIT_REASON_RDRAND: u32 = 57;
export const EXIT_REASON_INVPCID: u32 = 58;
export const EXIT_REASON_VMFUNC: u32 = 59;
export const EXIT_REASON_ENCLS: u32 = 60;
export const EXIT_REASON_RDSEED: u32 = 61;
export const EXIT_REASON_PML_FULL: u32 = 62;
export const EXIT_REASON_XSAVES: u32 = 63;
export const EXIT_REASON_XRSTORS: u32 = 64;
export const EXIT_REASON_PCONFIG: u32 = 65;
export const EXIT_REASON_SPP_EVENT: u32 = 66;
export const EXIT_REASON_UMWAIT: u32 = 67;
export const EXIT_REASON_TPAUSE: u32 = 68;
export const EXIT_REASON_LOADIWKEY: u32 = 69;
export const EXIT_REASON_ENCLV: u32 = 70;
// 71 reserved
export const EXIT_REASON_ENQCMD_PASID_TRANSLATION_FAILURE: u32 = 72;
export const EXIT_REASON_ENQCMDS_PASID_TRANSLATION_FAILURE: u32 = 73;
export const EXIT_REASON_BUS_LOCK: u32 = 74;
export const EXIT_REASON_INSTRUCTION_TIMEOUT: u32 = 75;
export const EXIT_REASON_SEAMCALL: u32 = 76;
export const EXIT_REASON_TDCALL: u32 = 77;
export const EXIT_REASON_COUNT: u32 = 78;                          // basic reasons 0 .. COUNT - 1

// The SDM name of basic exit reason `n`; "reserved" for numbers the SDM
// does not assign. Static strings: safe on the exit path.
export function exitReasonName(n: u32): string {
  switch (n) {
    case EXIT_REASON_EXCEPTION_OR_NMI: return "EXCEPTION_OR_NMI";
    case EXIT_REASON_EXTERNAL_INTERRUPT: return "EXTERNAL_INTERRUPT";
    case EXIT_REASON_TRIPLE_FAULT: return "TRIPLE_FAULT";
    case EXIT_REASON_INIT_SIGNAL: return "INIT_SIGNAL";
    case EXIT_REASON_SIPI: return "SIPI";
    case EXIT_REASON_IO_SMI: return "IO_SMI";
    case EXIT_REASON_OTHER_SMI: return "OTHER_SMI";
    case EXIT_REASON_INTERRUPT_WINDOW: return "INTERRUPT_WINDOW";
    case EXIT_REASON_NMI_WINDOW: return "NMI_WINDOW";
    case EXIT_REASON_TASK_SWITCH: return "TASK_SWITCH";
    case EXIT_REASON_CPUID: return "CPUID";
    case EXIT_REASON_GETSEC: return "GETSEC";
    case EXIT_REASON_HLT: return "HLT";
    case EXIT_REASON_INVD: return "INVD";
    case EXIT_REASON_INVLPG: return "INVLPG";
    case EXIT_REASON_RDPMC: return "RDPMC";
    case EXIT_REASON_RDTSC: return "RDTSC";
    case EXIT_REASON_RSM: return "RSM";
    case EXIT_REASON_VMCALL: return "VMCALL";
    case EXIT_REASON_VMCLEAR: return "VMCLEAR";
    case EXIT_REASON_VMLAUNCH: return "VMLAUNCH";
    case EXIT_REASON_VMPTRLD: return "VMPTRLD";
    case EXIT_REASON_VMPTRST: return "VMPTRST";
    case EXIT_REASON_VMREAD: return "VMREAD";
    case EXIT_REASON_VMRESUME: return "VMRESUME";
    case EXIT_REASON_VMWRITE: return "VMWRITE";
    case EXIT_REASON_VMXOFF: return "VMXOFF";
    case EXIT_REASON_VMXON: return "VMXON";
    case EXIT_REASON_CR_ACCESS: return "CR_ACCESS";
    case EXIT_REASON_MOV_DR: return "MOV_DR";
    case EXIT_REASON_IO_INSTRUCTION: return "IO_INSTRUCTION";
    case EXIT_REASON_RDMSR: return "RDMSR";
    case EXIT_REASON_WRMSR: return "WRMSR";
    case EXIT_REASON_ENTRY_FAILURE_GUEST_STATE: return "ENTRY_FAILURE_GUEST_STATE";
    case EXIT_REASON_ENTRY_FAILURE_MSR_LOADING: return "ENTRY_FAILURE_MSR_LOADING";
    case EXIT_REASON_MWAIT: return "MWAIT";
    case EXIT_REASON_MONITOR_TRAP_FLAG: return "MONITOR_TRAP_FLAG";
    case EXIT_REASON_MONITOR: return "MONITOR";
    case EXIT_REASON_PAUSE: return "PAUSE";
    case EXIT_REASON_ENTRY_FAILURE_MACHINE_CHECK: return "ENTRY_FAILURE_MACHINE_CHECK";
    case EXIT_REASON_TPR_BELOW_THRESHOLD: return "TPR_BELOW_THRESHOLD";
    case EXIT_REASON_APIC_ACCESS: return "APIC_ACCESS";
    case EXIT_REASON_VIRTUALIZED_EOI: return "VIRTUALIZED_EOI";
    case EXIT_REASON_GDTR_IDTR_ACCESS: return "GDTR_IDTR_ACCESS";
    case EXIT_REASON_LDTR_TR_ACCESS: return "LDTR_TR_ACCESS";
    case EXIT_REASON_EPT_VIOLATION: return "EPT_VIOLATION";
    case EXIT_REASON_EPT_MISCONFIG: return "EPT_MISCONFIG";
    case EXIT_REASON_INVEPT: return "INVEPT";
    case EXIT_REASON_RDTSCP: return "RDTSCP";
    case EXIT_REASON_VMX_PREEMPTION_TIMER_EXPIRED: return "VMX_PREEMPTION_TIMER_EXPIRED";
    case EXIT_REASON_INVVPID: return "INVVPID";
    case EXIT_REASON_WBINVD: return "WBINVD";
    case EXIT_REASON_XSETBV: return "XSETBV";
    case EXIT_REASON_APIC_WRITE: return "APIC_WRITE";
    case EXIT_REASON_RDRAND: return "RDRAND";
    case EXIT_REASON_INVPCID: return "INVPCID";
    case EXIT_REASON_VMFUNC: return "VMFUNC";
    case EXIT_REASON_ENCLS: return "ENCLS";
    case EXIT_REASON_RDSEED: return "RDSEED";
    case EXIT_REASON_PML_FULL: return "PML_FULL";
    case EXIT_REASON_XSAVES: return "XSAVES";
    case EXIT_REASON_XRSTORS: return "XRSTORS";
    case EXIT_REASON_PCONFIG: return "PCONFIG";
    case EXIT_REASON_SPP_EVENT: return "SPP_EVENT";
    case EXIT_REASON_UMWAIT: return "UMWAIT";
    case EXIT_REASON_TPAUSE: return "TPAUSE";
    case EXIT_REASON_LOADIWKEY: return "LOADIWKEY";
    case EXIT_REASON_ENCLV: return "ENCLV";
    case EXIT_REASON_ENQCMD_PASID_TRANSLATION_FAILURE: return "ENQCMD_PASID_TRANSLATION_FAILURE";
    case EXIT_REASON_ENQCMDS_PASID_TRANSLATION_FAILURE: return "ENQCMDS_PASID_TRANSLATION_FAILURE";
    case EXIT_REASON_BUS_LOCK: return "BUS_LOCK";
    case EXIT_REASON_INSTRUCTION_TIMEOUT: return "INSTRUCTION_TIMEOUT";
    case EXIT_REASON_SEAMCALL: return "SEAMCALL";
    case EXIT_REASON_TDCALL: return "TDCALL";
  }
  return "reserved";
}

// ── Exit qualification: control-register accesses (28.2.1, Table 28-3) ────
//   63      32 31          16 15  12 11   8  7  6  5  4  3    0
//  ┌──────────┬──────────────┬──────┬──────┬───┬───┬─────┬──────┐
//  │    0     │ LMSW source  │  0   │ GPR  │ 0 │LMT│type │  CR  │
//  └──────────┴──────────────┴──────┴──────┴───┴───┴─────┴──────┘
export const CR_ACCESS_CR_MASK: u64 = 0xf;            // bits 3:0; 0 for CLTS and LMSW
export const CR_ACCESS_TYPE_SHIFT: u64 = 4;           // bits 5:4
export const CR_ACCESS_TYPE_MASK: u64 = 0x3;
export const CR_ACCESS_TYPE_MOV_TO_CR: u32 = 0;
export const CR_ACCESS_TYPE_MOV_FROM_CR: u32 = 1;
export const CR_ACCESS_TYPE_CLTS: u32 = 2;
export const CR_ACCESS_TYPE_LMSW: u32 = 3;
export const CR_ACCESS_LMSW_MEMORY: u64 = 1 << 6;     // LMSW operand: 0 register, 1 memory
export const CR_ACCESS_GPR_SHIFT: u64 = 8;            // bits 11:8, MOV CR only (encoding below)
export const CR_ACCESS_GPR_MASK: u64 = 0xf;
export const CR_ACCESS_LMSW_DATA_SHIFT: u64 = 16;     // bits 31:16
export const CR_ACCESS_LMSW_DATA_MASK: u64 = 0xffff;

// General-purpose register numbers used by CR and DR qualifications and by
// VMX_INSTRUCTION_INFO (Tables 28-3, 28-4): the instruction encoding's order.
export const GPR_RAX: u32 = 0;
export const GPR_RCX: u32 = 1;
export const GPR_RDX: u32 = 2;
export const GPR_RBX: u32 = 3;
export const GPR_RSP: u32 = 4;   // lives in GUEST_RSP, not the save area
export const GPR_RBP: u32 = 5;
export const GPR_RSI: u32 = 6;
export const GPR_RDI: u32 = 7;
export const GPR_R8: u32 = 8;
export const GPR_R9: u32 = 9;
export const GPR_R10: u32 = 10;
export const GPR_R11: u32 = 11;
export const GPR_R12: u32 = 12;
export const GPR_R13: u32 = 13;
export const GPR_R14: u32 = 14;
export const GPR_R15: u32 = 15;

// ── Exit qualification: MOV DR (28.2.1, Table 28-4) ───────────────────────
//   63      12 11   8  7  5  4  3  2   0
//  ┌──────────┬──────┬─────┬───┬───┬─────┐
//  │    0     │ GPR  │  0  │dir│ 0 │ DR  │
//  └──────────┴──────┴─────┴───┴───┴─────┘
export const MOV_DR_DR_MASK: u64 = 0x7;     // bits 2:0
export const MOV_DR_FROM_DR: u64 = 1 << 4;  // 0 = MOV to DR, 1 = MOV from DR
export const MOV_DR_GPR_SHIFT: u64 = 8;     // bits 11:8
export const MOV_DR_GPR_MASK: u64 = 0xf;

// ── Exit qualification: I/O instructions (28.2.1, Table 28-5) ─────────────
//   63      32 31          16 15     7  6  5  4  3  2   0
//  ┌──────────┬──────────────┬────────┬───┬───┬───┬───┬─────┐
//  │    0     │     port     │   0    │imm│REP│STR│IN │size │
//  └──────────┴──────────────┴────────┴───┴───┴───┴───┴─────┘
// size is bytes - 1 (0, 1 or 3). For INS/OUTS the linear address is in
// GUEST_LINEAR_ADDRESS and VMX_INSTRUCTION_INFO names the segment.
export const IO_SIZE_MASK: u64 = 0x7;             // bits 2:0: access size - 1
export const IO_DIRECTION_IN: u64 = 1 << 3;       // 0 = OUT, 1 = IN
export const IO_STRING: u64 = 1 << 4;             // INS/OUTS
export const IO_REP: u64 = 1 << 5;                // REP prefixed
export const IO_OPERAND_IMMEDIATE: u64 = 1 << 6;  // port from imm8, else DX
export const IO_PORT_SHIFT: u64 = 16;             // bits 31:16
export const IO_PORT_MASK: u64 = 0xffff;

// ── Exit qualification: EPT violations (28.2.1, Table 28-7) ───────────────
//   16  15  14  13  12  11  10   9   8   7   6   5   4   3   2   1   0
//  ┌───┬───┬───┬───┬───┬───┬───┬───┬───┬───┬───┬───┬───┬───┬───┬───┬───┐
//  │ASY│GPV│SSS│ SS│NMI│NX │R/W│U/S│TRN│GLV│UX │ X │ W │ R │ f │ w │ r │
//  └───┴───┴───┴───┴───┴───┴───┴───┴───┴───┴───┴───┴───┴───┴───┴───┴───┘
//   r/w/f: the access that faulted (data read, data write, instruction
//   fetch; a read-modify-write sets w, and r too or not, as the
//   implementation chooses); R/W/X/UX: what the EPT entries permitted (AND over the walk);
//   bits 9-11 only with advanced VM-exit information for EPT violations.
export const EPT_VIOLATION_DATA_READ: u64 = 1 << 0;
export const EPT_VIOLATION_DATA_WRITE: u64 = 1 << 1;
export const EPT_VIOLATION_INSTRUCTION_FETCH: u64 = 1 << 2;
export const EPT_VIOLATION_READABLE: u64 = 1 << 3;
export const EPT_VIOLATION_WRITABLE: u64 = 1 << 4;
export const EPT_VIOLATION_EXECUTABLE: u64 = 1 << 5;         // supervisor-mode if mode-based execute
export const EPT_VIOLATION_USER_EXECUTABLE: u64 = 1 << 6;    // mode-based execute control only
export const EPT_VIOLATION_GLA_VALID: u64 = 1 << 7;          // GUEST_LINEAR_ADDRESS is valid
// With GLA_VALID: 1 = the access was to the translated linear address,
// 0 = to a guest paging-structure entry during the walk.
export const EPT_VIOLATION_GLA_TRANSLATED: u64 = 1 << 8;
export const EPT_VIOLATION_USER_MODE_LINEAR: u64 = 1 << 9;
export const EPT_VIOLATION_READ_WRITE_PAGE: u64 = 1 << 10;
export const EPT_VIOLATION_EXECUTE_DISABLE_PAGE: u64 = 1 << 11;
// The guest was executing IRET when the fault hit: re-block NMIs (28.2.3)
// before resuming, unless the exit is being turned into an injection.
export const EPT_VIOLATION_NMI_UNBLOCKING: u64 = 1 << 12;
export const EPT_VIOLATION_SHADOW_STACK: u64 = 1 << 13;
export const EPT_VIOLATION_SUPERVISOR_SHADOW_STACK: u64 = 1 << 14;
export const EPT_VIOLATION_GUEST_PAGING_VERIFICATION: u64 = 1 << 15;
export const EPT_VIOLATION_ASYNCHRONOUS: u64 = 1 << 16;            // not caused by the current instruction

// ── Event information words (25.8.3, 25.9.2, 25.9.3) ──────────────────────
// VM_ENTRY_INTR_INFO_FIELD, VM_EXIT_INTR_INFO and IDT_VECTORING_INFO_FIELD
// share one layout:
//   31  30          13  12  11  10   8  7        0
//  ┌───┬──────────────┬───┬───┬───────┬──────────┐
//  │ V │      0       │NMU│EC │ type  │  vector  │
//  └───┴──────────────┴───┴───┴───────┴──────────┘
// NMU (NMI unblocking due to IRET) is defined for VM_EXIT_INTR_INFO only; the
// error code (EC) is in VM_EXIT_INTR_ERROR_CODE / IDT_VECTORING_ERROR_CODE /
// VM_ENTRY_EXCEPTION_ERROR_CODE.
export const INTR_INFO_VECTOR_MASK: u32 = 0xff;        // bits 7:0
export const INTR_INFO_TYPE_SHIFT: u32 = 8;            // bits 10:8
export const INTR_INFO_TYPE_MASK: u32 = 0x7;           // after >> INTR_INFO_TYPE_SHIFT
export const INTR_INFO_DELIVER_CODE: u32 = 1 << 11;    // error code valid / deliver it
export const INTR_INFO_NMI_UNBLOCKING: u32 = 1 << 12;
export const INTR_INFO_VALID: u32 = 1 << 31;

// Interruption types: (info >> INTR_INFO_TYPE_SHIFT) & INTR_INFO_TYPE_MASK.
export const INTR_TYPE_EXT_INTR: u32 = 0;           // external interrupt
export const INTR_TYPE_NMI: u32 = 2;
export const INTR_TYPE_HARD_EXCEPTION: u32 = 3;     // hardware exception (#PF, #GP, #UD ...)
export const INTR_TYPE_SOFT_INTR: u32 = 4;          // INT n: needs VM_ENTRY_INSTRUCTION_LEN
export const INTR_TYPE_PRIV_SW_EXCEPTION: u32 = 5;  // INT1 (ICEBP)
export const INTR_TYPE_SOFT_EXCEPTION: u32 = 6;     // INT3, INTO
export const INTR_TYPE_OTHER_EVENT: u32 = 7;        // MTF pending on entry

// ── Guest interruptibility state (25.4.2, Table 25-3) ─────────────────────
export const GUEST_INTR_STATE_STI: u32 = 1 << 0;                   // blocking by STI
export const GUEST_INTR_STATE_MOV_SS: u32 = 1 << 1;                // blocking by MOV SS / POP SS
export const GUEST_INTR_STATE_SMI: u32 = 1 << 2;
export const GUEST_INTR_STATE_NMI: u32 = 1 << 3;
export const GUEST_INTR_STATE_ENCLAVE_INTERRUPTION: u32 = 1 << 4;

// ── Guest activity states (25.4.2) ─────────────────────────────────────────
// Only ACTIVE is always allowed; IA32_VMX_MISC bits 8:6 say which others.
export const GUEST_ACTIVITY_ACTIVE: u32 = 0;
export const GUEST_ACTIVITY_HLT: u32 = 1;
export const GUEST_ACTIVITY_SHUTDOWN: u32 = 2;
export const GUEST_ACTIVITY_WAIT_SIPI: u32 = 3;

// ── Exception vectors (Vol. 3A 6.3.1, Table 6-1) ──────────────────────────
export const VECTOR_DE: u32 = 0;   // divide error
export const VECTOR_DB: u32 = 1;   // debug
export const VECTOR_NMI: u32 = 2;
export const VECTOR_BP: u32 = 3;   // INT3
export const VECTOR_OF: u32 = 4;   // INTO
export const VECTOR_BR: u32 = 5;   // BOUND
export const VECTOR_UD: u32 = 6;   // invalid opcode
export const VECTOR_NM: u32 = 7;   // device not available
export const VECTOR_DF: u32 = 8;   // double fault (error code 0)
// 9: coprocessor segment overrun (reserved since the 486)
export const VECTOR_TS: u32 = 10;  // invalid TSS (error code)
export const VECTOR_NP: u32 = 11;  // segment not present (error code)
export const VECTOR_SS: u32 = 12;  // stack fault (error code)
export const VECTOR_GP: u32 = 13;  // general protection (error code)
export const VECTOR_PF: u32 = 14;  // page fault (error code, CR2)
// 15: reserved
export const VECTOR_MF: u32 = 16;  // x87 FPU error
export const VECTOR_AC: u32 = 17;  // alignment check (error code 0)
export const VECTOR_MC: u32 = 18;  // machine check
export const VECTOR_XM: u32 = 19;  // SIMD floating point
export const VECTOR_VE: u32 = 20;  // virtualization exception
export const VECTOR_CP: u32 = 21;  // control protection (error code)
// 0-31 are architecture-defined; external interrupts use 32-255 (6.2).
export const VECTOR_FIRST_EXTERNAL: u32 = 32;
export const VECTOR_COUNT: u32 = 256;

// Does exception `vector` push an error code? (6.15; #DF, #TS, #NP, #SS,
// #GP, #PF, #AC, #CP.) VM entry checks this against INTR_INFO_DELIVER_CODE
// for hardware exceptions (27.2.1.3) unless IA32_VMX_BASIC bit 56 is set.
@inline export function exceptionHasErrorCode(vector: u32): bool {
  return vector < 32 && ((<u32>0x00227d00 >> vector) & 1) != 0;
}


// Pending debug exceptions (SDM Vol. 3C 25.4.2, Table 25-4): BS, a single-step
// trap the guest is owed.
export const PENDING_DBG_BS: u64 = 1 << 14;
