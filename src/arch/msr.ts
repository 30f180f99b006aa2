// Model-specific registers the microkernel uses (Intel SDM Vol. 4, Chapter 2,
// "Model-Specific Registers"; VMX capability MSRs: SDM Vol. 3D, Appendix A).
// Names exactly as in the SDM.

// IA32_FEATURE_CONTROL (SDM Vol. 3C 24.7 "Enabling and Entering VMX
// Operation"). Written once by firmware and then locked until reset; VMXON
// raises #GP unless it is locked with VMX enabled for the mode we run in.
//
//   63            21 20 19    18  17..16 15   14..8   7..3  2     1     0
//  ┌────────────────┬──────────┬──┬─────┬──┬────────┬─────┬─────┬─────┬────┐
//  │    reserved    │ LMCE etc │SG│     │SG│ SENTER │     │VMXon│VMXin│lock│
//  └────────────────┴──────────┴──┴─────┴──┴────────┴─────┴─────┴─────┴────┘
//  bit 2 = enable VMX outside SMX, bit 1 = enable VMX inside SMX.
export const IA32_FEATURE_CONTROL: u32 = 0x3a;
export const IA32_FEATURE_CONTROL_LOCK: u64 = 1 << 0;
export const IA32_FEATURE_CONTROL_VMX_INSIDE_SMX: u64 = 1 << 1;
export const IA32_FEATURE_CONTROL_VMX_OUTSIDE_SMX: u64 = 1 << 2;

// VMX capability reporting MSRs (SDM Vol. 3D Appendix A). Present only when
// CPUID.1:ECX.VMX = 1; some only when other capability bits say so.
export const IA32_VMX_BASIC: u32 = 0x480;               // A.1
export const IA32_VMX_PINBASED_CTLS: u32 = 0x481;       // A.3.1
export const IA32_VMX_PROCBASED_CTLS: u32 = 0x482;      // A.3.2
export const IA32_VMX_EXIT_CTLS: u32 = 0x483;           // A.4
export const IA32_VMX_ENTRY_CTLS: u32 = 0x484;          // A.5
export const IA32_VMX_MISC: u32 = 0x485;                // A.6
export const IA32_VMX_CR0_FIXED0: u32 = 0x486;          // A.7
export const IA32_VMX_CR0_FIXED1: u32 = 0x487;
export const IA32_VMX_CR4_FIXED0: u32 = 0x488;          // A.8
export const IA32_VMX_CR4_FIXED1: u32 = 0x489;
export const IA32_VMX_VMCS_ENUM: u32 = 0x48a;           // A.9
export const IA32_VMX_PROCBASED_CTLS2: u32 = 0x48b;     // A.3.3, if proc bit 63
export const IA32_VMX_EPT_VPID_CAP: u32 = 0x48c;        // A.10, if EPT or VPID
export const IA32_VMX_TRUE_PINBASED_CTLS: u32 = 0x48d;  // A.3.1, if BASIC bit 55
export const IA32_VMX_TRUE_PROCBASED_CTLS: u32 = 0x48e; // A.3.2
export const IA32_VMX_TRUE_EXIT_CTLS: u32 = 0x48f;      // A.4
export const IA32_VMX_TRUE_ENTRY_CTLS: u32 = 0x490;     // A.5
export const IA32_VMX_VMFUNC: u32 = 0x491;              // A.11

// ── Architectural MSRs guests may use (SDM Vol. 4, Table 2-2) ─────────────
export const IA32_TSC: u32 = 0x10;
export const IA32_PLATFORM_ID: u32 = 0x17;
export const IA32_APIC_BASE: u32 = 0x1b;
export const IA32_BIOS_SIGN_ID: u32 = 0x8b;
export const IA32_MTRRCAP: u32 = 0xfe;
export const IA32_SYSENTER_CS: u32 = 0x174;
export const IA32_SYSENTER_ESP: u32 = 0x175;
export const IA32_SYSENTER_EIP: u32 = 0x176;
export const IA32_MCG_CAP: u32 = 0x179;
export const IA32_MCG_STATUS: u32 = 0x17a;
export const IA32_MISC_ENABLE: u32 = 0x1a0;
export const IA32_PAT: u32 = 0x277;
export const IA32_MTRR_DEF_TYPE: u32 = 0x2ff;
export const IA32_EFER: u32 = 0xc0000080;
export const IA32_STAR: u32 = 0xc0000081;
export const IA32_LSTAR: u32 = 0xc0000082;
export const IA32_CSTAR: u32 = 0xc0000083;
export const IA32_FMASK: u32 = 0xc0000084;
export const IA32_FS_BASE: u32 = 0xc0000100;
export const IA32_GS_BASE: u32 = 0xc0000101;
export const IA32_KERNEL_GS_BASE: u32 = 0xc0000102;
export const IA32_TSC_ADJUST: u32 = 0x3b;      // what software added to the TSC (SDM Vol. 3B 17.17.3)
export const IA32_TSC_AUX: u32 = 0xc0000103;

// ── Speculation control (Intel, "Speculative Execution Side Channel
// Mitigations"; SDM Vol. 4 Table 2-2) ──────────────────────────────────────
export const IA32_SPEC_CTRL: u32 = 0x48;
export const IA32_PRED_CMD: u32 = 0x49;
export const IA32_ARCH_CAPABILITIES: u32 = 0x10a;
export const IA32_FLUSH_CMD: u32 = 0x10b;
export const SPEC_CTRL_IBRS: u64 = 1 << 0;
export const SPEC_CTRL_STIBP: u64 = 1 << 1;
export const SPEC_CTRL_SSBD: u64 = 1 << 2;
export const PRED_CMD_IBPB: u64 = 1 << 0;
export const FLUSH_CMD_L1D: u64 = 1 << 0;
// IA32_ARCH_CAPABILITIES: what the CPU is not affected by, or has.
export const ARCH_CAP_RDCL_NO: u64 = 1 << 0;            // no rogue data cache load (Meltdown, L1TF)
export const ARCH_CAP_IBRS_ALL: u64 = 1 << 1;           // enhanced IBRS
export const ARCH_CAP_SKIP_L1DFL_VMENTRY: u64 = 1 << 3; // no L1D flush needed on VM entry
export const ARCH_CAP_MDS_NO: u64 = 1 << 5;
export const ARCH_CAP_TAA_NO: u64 = 1 << 8;
export const ARCH_CAP_SBDR_SSDP_NO: u64 = 1 << 13;      // MMIO stale data: not affected, these three
export const ARCH_CAP_FBSDP_NO: u64 = 1 << 14;
export const ARCH_CAP_PSDP_NO: u64 = 1 << 15;
export const ARCH_CAP_PBRSB_NO: u64 = 1 << 24;          // no post-barrier RSB predictions

export const IA32_APIC_BASE_BSP: u64 = 1 << 8;
export const IA32_APIC_BASE_ENABLE: u64 = 1 << 11;
export const APIC_DEFAULT_BASE: u64 = 0xfee00000;
export const IA32_MISC_ENABLE_FAST_STRINGS: u64 = 1 << 0;
export const IA32_PAT_RESET: u64 = 0x0007040600070406; // Vol. 3A 13.12.4
