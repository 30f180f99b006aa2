// VMX capability and control bits (Intel SDM Vol. 3C Chapter 25 "Virtual
// Machine Control Structures" and Vol. 3D Appendix A "VMX Capability
// Reporting Facility"), grouped as in the SDM tables. Section and table
// numbers follow the 2023+ SDM (older editions number the VMCS chapter 24).

// ── IA32_VMX_BASIC (A.1) ──────────────────────────────────────────────────
//   63  57 56  55  54  53..50  49  48  47..45  44..32   31  30..0
//  ┌──────┬───┬───┬───┬───────┬───┬───┬──────┬────────┬───┬───────────┐
//  │  0   │EC │TRU│I/O│memtype│DM │32b│  0   │ size   │ 0 │ revision  │
//  └──────┴───┴───┴───┴───────┴───┴───┴──────┴────────┴───┴───────────┘
export const VMX_BASIC_REVISION_MASK: u64 = 0x7fffffff;     // bits 30:0
export const VMX_BASIC_REGION_SIZE_SHIFT: u64 = 32;         // bits 44:32
export const VMX_BASIC_REGION_SIZE_MASK: u64 = 0x1fff;
export const VMX_BASIC_PHYS_ADDR_32BIT: u64 = 1 << 48;      // VMXON/VMCS below 4 GiB
export const VMX_BASIC_DUAL_MONITOR: u64 = 1 << 49;         // SMM dual-monitor treatment
export const VMX_BASIC_MEMORY_TYPE_SHIFT: u64 = 50;         // bits 53:50
export const VMX_BASIC_MEMORY_TYPE_MASK: u64 = 0xf;
export const VMX_BASIC_INS_OUTS_INFO: u64 = 1 << 54;        // exit info for INS/OUTS
export const VMX_BASIC_TRUE_CTLS: u64 = 1 << 55;            // IA32_VMX_TRUE_*_CTLS exist
export const VMX_BASIC_NO_ERROR_CODE_CHECK: u64 = 1 << 56;  // any exception may have an error code

// Memory types (SDM Vol. 3A 12.3, Table 12-2; A.1 allows only UC and WB).
export const MEMORY_TYPE_UC: u32 = 0;
export const MEMORY_TYPE_WC: u32 = 1;
export const MEMORY_TYPE_WT: u32 = 4;
export const MEMORY_TYPE_WP: u32 = 5;
export const MEMORY_TYPE_WB: u32 = 6;

// ── Pin-based VM-execution controls (25.6.1, Table 25-5) ─────────────────
export const PIN_EXTERNAL_INTERRUPT_EXITING: u32 = 1 << 0;
export const PIN_NMI_EXITING: u32 = 1 << 3;
export const PIN_VIRTUAL_NMIS: u32 = 1 << 5;
export const PIN_ACTIVATE_VMX_PREEMPTION_TIMER: u32 = 1 << 6;
export const PIN_PROCESS_POSTED_INTERRUPTS: u32 = 1 << 7;

// ── Primary processor-based VM-execution controls (25.6.2, Table 25-6) ────
export const PROC_INTERRUPT_WINDOW_EXITING: u32 = 1 << 2;
export const PROC_USE_TSC_OFFSETTING: u32 = 1 << 3;
export const PROC_HLT_EXITING: u32 = 1 << 7;
export const PROC_INVLPG_EXITING: u32 = 1 << 9;
export const PROC_MWAIT_EXITING: u32 = 1 << 10;
export const PROC_RDPMC_EXITING: u32 = 1 << 11;
export const PROC_RDTSC_EXITING: u32 = 1 << 12;
export const PROC_CR3_LOAD_EXITING: u32 = 1 << 15;
export const PROC_CR3_STORE_EXITING: u32 = 1 << 16;
export const PROC_CR8_LOAD_EXITING: u32 = 1 << 19;
export const PROC_CR8_STORE_EXITING: u32 = 1 << 20;
export const PROC_USE_TPR_SHADOW: u32 = 1 << 21;
export const PROC_NMI_WINDOW_EXITING: u32 = 1 << 22;
export const PROC_MOV_DR_EXITING: u32 = 1 << 23;
export const PROC_UNCONDITIONAL_IO_EXITING: u32 = 1 << 24;
export const PROC_USE_IO_BITMAPS: u32 = 1 << 25;
export const PROC_MONITOR_TRAP_FLAG: u32 = 1 << 27;
export const PROC_USE_MSR_BITMAPS: u32 = 1 << 28;
export const PROC_MONITOR_EXITING: u32 = 1 << 29;
export const PROC_PAUSE_EXITING: u32 = 1 << 30;
export const PROC_ACTIVATE_SECONDARY_CONTROLS: u32 = 1 << 31;

// ── Secondary processor-based VM-execution controls (25.6.2, Table 25-7) ──
export const PROC2_VIRTUALIZE_APIC_ACCESSES: u32 = 1 << 0;
export const PROC2_ENABLE_EPT: u32 = 1 << 1;
export const PROC2_DESCRIPTOR_TABLE_EXITING: u32 = 1 << 2;
export const PROC2_ENABLE_RDTSCP: u32 = 1 << 3;
export const PROC2_VIRTUALIZE_X2APIC_MODE: u32 = 1 << 4;
export const PROC2_ENABLE_VPID: u32 = 1 << 5;
export const PROC2_WBINVD_EXITING: u32 = 1 << 6;
export const PROC2_UNRESTRICTED_GUEST: u32 = 1 << 7;
export const PROC2_APIC_REGISTER_VIRTUALIZATION: u32 = 1 << 8;
export const PROC2_VIRTUAL_INTERRUPT_DELIVERY: u32 = 1 << 9;
export const PROC2_PAUSE_LOOP_EXITING: u32 = 1 << 10;
export const PROC2_RDRAND_EXITING: u32 = 1 << 11;
export const PROC2_ENABLE_INVPCID: u32 = 1 << 12;
export const PROC2_ENABLE_VM_FUNCTIONS: u32 = 1 << 13;
export const PROC2_VMCS_SHADOWING: u32 = 1 << 14;
export const PROC2_RDSEED_EXITING: u32 = 1 << 16;
export const PROC2_EPT_VIOLATION_VE: u32 = 1 << 18;
export const PROC2_ENABLE_XSAVES_XRSTORS: u32 = 1 << 20;
export const PROC2_USE_TSC_SCALING: u32 = 1 << 25;

// I/O bitmaps (25.6.4): A covers ports 0-0x7fff, B 0x8000-0xffff, one bit
// per port, 1 = the access exits.
export const IO_BITMAP_A_PORTS: u32 = 0x8000;

// ── Primary VM-exit controls (25.7.1, Table 25-13) ───────────────────────
export const EXIT_SAVE_DEBUG_CONTROLS: u32 = 1 << 2;
export const EXIT_HOST_ADDRESS_SPACE_SIZE: u32 = 1 << 9;
export const EXIT_LOAD_IA32_PERF_GLOBAL_CTRL: u32 = 1 << 12;
export const EXIT_ACKNOWLEDGE_INTERRUPT_ON_EXIT: u32 = 1 << 15;
export const EXIT_SAVE_IA32_PAT: u32 = 1 << 18;
export const EXIT_LOAD_IA32_PAT: u32 = 1 << 19;
export const EXIT_SAVE_IA32_EFER: u32 = 1 << 20;
export const EXIT_LOAD_IA32_EFER: u32 = 1 << 21;
export const EXIT_SAVE_VMX_PREEMPTION_TIMER_VALUE: u32 = 1 << 22;

// ── VM-entry controls (25.8.1, Table 25-15) ──────────────────────────────
export const ENTRY_LOAD_DEBUG_CONTROLS: u32 = 1 << 2;
export const ENTRY_IA_32E_MODE_GUEST: u32 = 1 << 9;
export const ENTRY_LOAD_IA32_PERF_GLOBAL_CTRL: u32 = 1 << 13;
export const ENTRY_LOAD_IA32_PAT: u32 = 1 << 14;
export const ENTRY_LOAD_IA32_EFER: u32 = 1 << 15;

// ── IA32_VMX_MISC (A.6) ──────────────────────────────────────────────────
//   63..32   31  30  29  28  27..25  24..16  15  14..9  8   7   6   5  4..0
//  ┌────────┬───┬───┬───┬───┬───────┬───────┬───┬─────┬───┬───┬───┬───┬────┐
//  │MSEG rev│MSR│inj│vmw│SMM│ MSRs  │CR3 tgt│SMB│  0  │SPI│SHD│HLT│LMA│rate│
//  └────────┴───┴───┴───┴───┴───────┴───────┴───┴─────┴───┴───┴───┴───┴────┘
export const VMX_MISC_PREEMPTION_TIMER_RATE_MASK: u64 = 0x1f; // timer ticks every 2^N TSC cycles
export const VMX_MISC_STORE_LMA: u64 = 1 << 5;           // exits store EFER.LMA in IA-32e mode guest
export const VMX_MISC_ACTIVITY_HLT: u64 = 1 << 6;
export const VMX_MISC_ACTIVITY_SHUTDOWN: u64 = 1 << 7;
export const VMX_MISC_ACTIVITY_WAIT_FOR_SIPI: u64 = 1 << 8;
export const VMX_MISC_CR3_TARGET_SHIFT: u64 = 16;        // bits 24:16
export const VMX_MISC_CR3_TARGET_MASK: u64 = 0x1ff;
export const VMX_MISC_MSR_LIST_SHIFT: u64 = 25;          // bits 27:25: 512 * (N + 1) entries
export const VMX_MISC_MSR_LIST_MASK: u64 = 0x7;
export const VMX_MISC_VMWRITE_ANY_FIELD: u64 = 1 << 29;
export const VMX_MISC_INJECT_ZERO_LENGTH: u64 = 1 << 30;

// ── IA32_VMX_EPT_VPID_CAP (A.10) ─────────────────────────────────────────
export const EPT_VPID_CAP_EXECUTE_ONLY: u64 = 1 << 0;
export const EPT_VPID_CAP_PAGE_WALK_4: u64 = 1 << 6;
export const EPT_VPID_CAP_PAGE_WALK_5: u64 = 1 << 7;
export const EPT_VPID_CAP_MEMTYPE_UC: u64 = 1 << 8;
export const EPT_VPID_CAP_MEMTYPE_WB: u64 = 1 << 14;
export const EPT_VPID_CAP_PDE_2MB: u64 = 1 << 16;
export const EPT_VPID_CAP_PDPTE_1GB: u64 = 1 << 17;
export const EPT_VPID_CAP_INVEPT: u64 = 1 << 20;
export const EPT_VPID_CAP_ACCESSED_DIRTY: u64 = 1 << 21;
export const EPT_VPID_CAP_ADVANCED_EXIT_INFO: u64 = 1 << 22;
export const EPT_VPID_CAP_INVEPT_SINGLE_CONTEXT: u64 = 1 << 25;
export const EPT_VPID_CAP_INVEPT_ALL_CONTEXT: u64 = 1 << 26;
export const EPT_VPID_CAP_INVVPID: u64 = 1 << 32;
export const EPT_VPID_CAP_INVVPID_INDIVIDUAL_ADDRESS: u64 = 1 << 40;
export const EPT_VPID_CAP_INVVPID_SINGLE_CONTEXT: u64 = 1 << 41;
export const EPT_VPID_CAP_INVVPID_ALL_CONTEXT: u64 = 1 << 42;
export const EPT_VPID_CAP_INVVPID_SINGLE_CONTEXT_RETAINING_GLOBALS: u64 = 1 << 43;

// INVEPT and INVVPID types (SDM Vol. 3C 31.3, instruction reference).
export const INVEPT_SINGLE_CONTEXT: u64 = 1;
export const INVEPT_ALL_CONTEXT: u64 = 2;
export const INVVPID_INDIVIDUAL_ADDRESS: u64 = 0;
export const INVVPID_SINGLE_CONTEXT: u64 = 1;
export const INVVPID_ALL_CONTEXT: u64 = 2;
