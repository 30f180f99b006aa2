// VMCS field encodings (Intel SDM Vol. 3D Appendix B "Field Encoding in VMCS")
// and the VM-instruction error numbers (Vol. 3C 31.4, Table 31-1). Names are
// the SDM's in UPPER_SNAKE, or Linux's vmx.h spelling where the SDM gives a
// phrase only (PIN_BASED_VM_EXEC_CONTROL, VM_ENTRY_INTR_INFO_FIELD ...).
// Grouped by width and type as Appendix B is.
//
// ── Field encoding (25.11.2, Table 25-21) ─────────────────────────────────
//   31     15  14 13  12  11 10  9          1   0
//  ┌─────────┬───────┬───┬──────┬─────────────┬────┐
//  │    0    │ width │ 0 │ type │    index    │high│
//  └─────────┴───────┴───┴──────┴─────────────┴────┘
// width: 0 = 16-bit, 1 = 64-bit, 2 = 32-bit, 3 = natural (64 bits here).
// type:  0 = control, 1 = VM-exit information (read-only), 2 = guest state,
//        3 = host state.
// high:  1 = the upper 32 bits of a 64-bit field (32-bit VMREAD/VMWRITE only;
//        a 64-bit hypervisor always uses the full field, bit 0 = 0).
// A VMREAD/VMWRITE accessor must match `width` (a 16-bit VMWRITE of a 32-bit
// field fails with VMXERR_UNSUPPORTED_VMCS_COMPONENT on some CPUs and
// truncates silently on others), so vmcsWidth() is what accessors check.

export const VMCS_ACCESS_HIGH: u32 = 1 << 0;
export const VMCS_INDEX_SHIFT: u32 = 1;        // bits 9:1
export const VMCS_INDEX_MASK: u32 = 0x1ff;
export const VMCS_TYPE_SHIFT: u32 = 10;        // bits 11:10
export const VMCS_TYPE_MASK: u32 = 0x3;
export const VMCS_WIDTH_SHIFT: u32 = 13;       // bits 14:13
export const VMCS_WIDTH_MASK: u32 = 0x3;

export const VMCS_WIDTH_16: u32 = 0;
export const VMCS_WIDTH_64: u32 = 1;
export const VMCS_WIDTH_32: u32 = 2;
export const VMCS_WIDTH_NATURAL: u32 = 3;

export const VMCS_TYPE_CONTROL: u32 = 0;
export const VMCS_TYPE_EXIT_INFO: u32 = 1;      // "read-only data" in Appendix B
export const VMCS_TYPE_GUEST: u32 = 2;
export const VMCS_TYPE_HOST: u32 = 3;

@inline export function vmcsWidth(encoding: u32): u32 { return (encoding >> VMCS_WIDTH_SHIFT) & VMCS_WIDTH_MASK; }
@inline export function vmcsType(encoding: u32): u32 { return (encoding >> VMCS_TYPE_SHIFT) & VMCS_TYPE_MASK; }

// ── 16-bit control fields (B.1.1) ────────────────────────────────────────
export const VIRTUAL_PROCESSOR_ID: u32 = 0x0000;                   // VPID; 0 is the host's
export const POSTED_INTERRUPT_NOTIFICATION_VECTOR: u32 = 0x0002;
export const EPTP_INDEX: u32 = 0x0004;                             // EPTP switching (VMFUNC 0)
export const HLAT_PREFIX_SIZE: u32 = 0x0006;
export const LAST_PID_POINTER_INDEX: u32 = 0x0008;                 // IPI virtualization

// ── 16-bit guest-state fields (B.1.2) ────────────────────────────────────
export const GUEST_ES_SELECTOR: u32 = 0x0800;
export const GUEST_CS_SELECTOR: u32 = 0x0802;
export const GUEST_SS_SELECTOR: u32 = 0x0804;
export const GUEST_DS_SELECTOR: u32 = 0x0806;
export const GUEST_FS_SELECTOR: u32 = 0x0808;
export const GUEST_GS_SELECTOR: u32 = 0x080a;
export const GUEST_LDTR_SELECTOR: u32 = 0x080c;
export const GUEST_TR_SELECTOR: u32 = 0x080e;
export const GUEST_INTERRUPT_STATUS: u32 = 0x0810;   // RVI 7:0, SVI 15:8 (virtual-interrupt delivery)
export const GUEST_PML_INDEX: u32 = 0x0812;
export const GUEST_UINV: u32 = 0x0814;               // user-interrupt notification vector

// ── 16-bit host-state fields (B.1.3) ─────────────────────────────────────
export const HOST_ES_SELECTOR: u32 = 0x0c00;   // RPL and TI must be 0 (28.2.3)
export const HOST_CS_SELECTOR: u32 = 0x0c02;
export const HOST_SS_SELECTOR: u32 = 0x0c04;
export const HOST_DS_SELECTOR: u32 = 0x0c06;
export const HOST_FS_SELECTOR: u32 = 0x0c08;
export const HOST_GS_SELECTOR: u32 = 0x0c0a;
export const HOST_TR_SELECTOR: u32 = 0x0c0c;

// ── 64-bit control fields (B.2.1) ────────────────────────────────────────
export const IO_BITMAP_A: u32 = 0x2000;                          // ports 0000-7fff
export const IO_BITMAP_B: u32 = 0x2002;                          // ports 8000-ffff
export const MSR_BITMAP: u32 = 0x2004;
export const VM_EXIT_MSR_STORE_ADDR: u32 = 0x2006;
export const VM_EXIT_MSR_LOAD_ADDR: u32 = 0x2008;
export const VM_ENTRY_MSR_LOAD_ADDR: u32 = 0x200a;
export const EXECUTIVE_VMCS_POINTER: u32 = 0x200c;               // SMM dual-monitor treatment
export const PML_ADDRESS: u32 = 0x200e;
export const TSC_OFFSET: u32 = 0x2010;
export const VIRTUAL_APIC_PAGE_ADDR: u32 = 0x2012;
export const APIC_ACCESS_ADDR: u32 = 0x2014;
export const POSTED_INTERRUPT_DESC_ADDR: u32 = 0x2016;
export const VM_FUNCTION_CONTROLS: u32 = 0x2018;
export const EPT_POINTER: u32 = 0x201a;                          // EPTP, layout in src/arch/ept.ts
export const EOI_EXIT_BITMAP0: u32 = 0x201c;                     // vectors 0-63
export const EOI_EXIT_BITMAP1: u32 = 0x201e;                     // vectors 64-127
export const EOI_EXIT_BITMAP2: u32 = 0x2020;                     // vectors 128-191
export const EOI_EXIT_BITMAP3: u32 = 0x2022;                     // vectors 192-255
export const EPTP_LIST_ADDRESS: u32 = 0x2024;
export const VMREAD_BITMAP: u32 = 0x2026;                        // VMCS shadowing
export const VMWRITE_BITMAP: u32 = 0x2028;
export const VIRTUALIZATION_EXCEPTION_INFO_ADDR: u32 = 0x202a;   // #VE information
export const XSS_EXITING_BITMAP: u32 = 0x202c;
export const ENCLS_EXITING_BITMAP: u32 = 0x202e;
export const SUB_PAGE_PERMISSION_TABLE_POINTER: u32 = 0x2030;
export const TSC_MULTIPLIER: u32 = 0x2032;
export const TERTIARY_VM_EXEC_CONTROL: u32 = 0x2034;
export const ENCLV_EXITING_BITMAP: u32 = 0x2036;
export const LOW_PASID_DIRECTORY_ADDR: u32 = 0x2038;
export const HIGH_PASID_DIRECTORY_ADDR: u32 = 0x203a;
export const SHARED_EPT_POINTER: u32 = 0x203c;
export const PCONFIG_EXITING_BITMAP: u32 = 0x203e;
export const HLAT_POINTER: u32 = 0x2040;
export const PID_POINTER_TABLE_ADDR: u32 = 0x2042;
export const SECONDARY_VM_EXIT_CONTROLS: u32 = 0x2044;

// ── 64-bit read-only data field (B.2.2) ──────────────────────────────────
export const GUEST_PHYSICAL_ADDRESS: u32 = 0x2400;   // EPT violation / misconfiguration

// ── 64-bit guest-state fields (B.2.3) ────────────────────────────────────
export const VMCS_LINK_POINTER: u32 = 0x2800;             // all ones unless VMCS shadowing
export const GUEST_IA32_DEBUGCTL: u32 = 0x2802;
export const GUEST_IA32_PAT: u32 = 0x2804;
export const GUEST_IA32_EFER: u32 = 0x2806;
export const GUEST_IA32_PERF_GLOBAL_CTRL: u32 = 0x2808;
export const GUEST_PDPTE0: u32 = 0x280a;                  // PAE paging with EPT
export const GUEST_PDPTE1: u32 = 0x280c;
export const GUEST_PDPTE2: u32 = 0x280e;
export const GUEST_PDPTE3: u32 = 0x2810;
export const GUEST_IA32_BNDCFGS: u32 = 0x2812;
export const GUEST_IA32_RTIT_CTL: u32 = 0x2814;
export const GUEST_IA32_LBR_CTL: u32 = 0x2816;
export const GUEST_IA32_PKRS: u32 = 0x2818;

// ── 64-bit host-state fields (B.2.4) ─────────────────────────────────────
export const HOST_IA32_PAT: u32 = 0x2c00;
export const HOST_IA32_EFER: u32 = 0x2c02;
export const HOST_IA32_PERF_GLOBAL_CTRL: u32 = 0x2c04;
export const HOST_IA32_PKRS: u32 = 0x2c06;

// ── 32-bit control fields (B.3.1) ────────────────────────────────────────
export const PIN_BASED_VM_EXEC_CONTROL: u32 = 0x4000;       // bits in src/arch/vmx.ts
export const CPU_BASED_VM_EXEC_CONTROL: u32 = 0x4002;
export const EXCEPTION_BITMAP: u32 = 0x4004;                // bit n: exception vector n exits
export const PAGE_FAULT_ERROR_CODE_MASK: u32 = 0x4006;      // #PF exits iff (code & MASK) == MATCH
export const PAGE_FAULT_ERROR_CODE_MATCH: u32 = 0x4008;     // ... XOR bit 14 of EXCEPTION_BITMAP
export const CR3_TARGET_COUNT: u32 = 0x400a;
export const VM_EXIT_CONTROLS: u32 = 0x400c;
export const VM_EXIT_MSR_STORE_COUNT: u32 = 0x400e;
export const VM_EXIT_MSR_LOAD_COUNT: u32 = 0x4010;
export const VM_ENTRY_CONTROLS: u32 = 0x4012;
export const VM_ENTRY_MSR_LOAD_COUNT: u32 = 0x4014;
export const VM_ENTRY_INTR_INFO_FIELD: u32 = 0x4016;        // event injection, layout in vmx-exit.ts
export const VM_ENTRY_EXCEPTION_ERROR_CODE: u32 = 0x4018;
export const VM_ENTRY_INSTRUCTION_LEN: u32 = 0x401a;        // for injected software events
export const TPR_THRESHOLD: u32 = 0x401c;
export const SECONDARY_VM_EXEC_CONTROL: u32 = 0x401e;
export const PLE_GAP: u32 = 0x4020;                         // pause-loop exiting
export const PLE_WINDOW: u32 = 0x4022;
export const NOTIFY_WINDOW: u32 = 0x4024;

// ── 32-bit read-only data fields (B.3.2) ─────────────────────────────────
export const VM_INSTRUCTION_ERROR: u32 = 0x4400;       // after VMfailValid, Table 31-1 below
export const VM_EXIT_REASON: u32 = 0x4402;             // layout in vmx-exit.ts
export const VM_EXIT_INTR_INFO: u32 = 0x4404;
export const VM_EXIT_INTR_ERROR_CODE: u32 = 0x4406;
export const IDT_VECTORING_INFO_FIELD: u32 = 0x4408;   // event being delivered when the exit hit
export const IDT_VECTORING_ERROR_CODE: u32 = 0x440a;
export const VM_EXIT_INSTRUCTION_LEN: u32 = 0x440c;    // advance RIP by this, never a constant
export const VMX_INSTRUCTION_INFO: u32 = 0x440e;

// ── 32-bit guest-state fields (B.3.3) ────────────────────────────────────
export const GUEST_ES_LIMIT: u32 = 0x4800;
export const GUEST_CS_LIMIT: u32 = 0x4802;
export const GUEST_SS_LIMIT: u32 = 0x4804;
export const GUEST_DS_LIMIT: u32 = 0x4806;
export const GUEST_FS_LIMIT: u32 = 0x4808;
export const GUEST_GS_LIMIT: u32 = 0x480a;
export const GUEST_LDTR_LIMIT: u32 = 0x480c;
export const GUEST_TR_LIMIT: u32 = 0x480e;
export const GUEST_GDTR_LIMIT: u32 = 0x4810;
export const GUEST_IDTR_LIMIT: u32 = 0x4812;
export const GUEST_ES_ACCESS_RIGHTS: u32 = 0x4814;        // SEGMENT_AR_* below
export const GUEST_CS_ACCESS_RIGHTS: u32 = 0x4816;
export const GUEST_SS_ACCESS_RIGHTS: u32 = 0x4818;
export const GUEST_DS_ACCESS_RIGHTS: u32 = 0x481a;
export const GUEST_FS_ACCESS_RIGHTS: u32 = 0x481c;
export const GUEST_GS_ACCESS_RIGHTS: u32 = 0x481e;
export const GUEST_LDTR_ACCESS_RIGHTS: u32 = 0x4820;
export const GUEST_TR_ACCESS_RIGHTS: u32 = 0x4822;
export const GUEST_INTERRUPTIBILITY_INFO: u32 = 0x4824;   // Table 25-3, bits in vmx-exit.ts
export const GUEST_ACTIVITY_STATE: u32 = 0x4826;          // 25.4.2, values in vmx-exit.ts
export const GUEST_SMBASE: u32 = 0x4828;
export const GUEST_SYSENTER_CS: u32 = 0x482a;
export const VMX_PREEMPTION_TIMER_VALUE: u32 = 0x482e;

// ── 32-bit host-state field (B.3.4) ──────────────────────────────────────
export const HOST_IA32_SYSENTER_CS: u32 = 0x4c00;

// ── Natural-width control fields (B.4.1) ─────────────────────────────────
export const CR0_GUEST_HOST_MASK: u32 = 0x6000;   // 1 = bit owned by the host: guest writes exit
export const CR4_GUEST_HOST_MASK: u32 = 0x6002;
export const CR0_READ_SHADOW: u32 = 0x6004;       // what the guest reads for host-owned bits
export const CR4_READ_SHADOW: u32 = 0x6006;
export const CR3_TARGET_VALUE0: u32 = 0x6008;
export const CR3_TARGET_VALUE1: u32 = 0x600a;
export const CR3_TARGET_VALUE2: u32 = 0x600c;
export const CR3_TARGET_VALUE3: u32 = 0x600e;

// ── Natural-width read-only data fields (B.4.2) ──────────────────────────
export const EXIT_QUALIFICATION: u32 = 0x6400;     // layouts in vmx-exit.ts
export const IO_RCX: u32 = 0x6402;                 // SMIs after I/O instructions only
export const IO_RSI: u32 = 0x6404;
export const IO_RDI: u32 = 0x6406;
export const IO_RIP: u32 = 0x6408;
export const GUEST_LINEAR_ADDRESS: u32 = 0x640a;

// ── Natural-width guest-state fields (B.4.3) ─────────────────────────────
export const GUEST_CR0: u32 = 0x6800;
export const GUEST_CR3: u32 = 0x6802;
export const GUEST_CR4: u32 = 0x6804;
export const GUEST_ES_BASE: u32 = 0x6806;
export const GUEST_CS_BASE: u32 = 0x6808;
export const GUEST_SS_BASE: u32 = 0x680a;
export const GUEST_DS_BASE: u32 = 0x680c;
export const GUEST_FS_BASE: u32 = 0x680e;
export const GUEST_GS_BASE: u32 = 0x6810;
export const GUEST_LDTR_BASE: u32 = 0x6812;
export const GUEST_TR_BASE: u32 = 0x6814;
export const GUEST_GDTR_BASE: u32 = 0x6816;
export const GUEST_IDTR_BASE: u32 = 0x6818;
export const GUEST_DR7: u32 = 0x681a;
export const GUEST_RSP: u32 = 0x681c;
export const GUEST_RIP: u32 = 0x681e;
export const GUEST_RFLAGS: u32 = 0x6820;
export const GUEST_PENDING_DEBUG_EXCEPTIONS: u32 = 0x6822;
export const GUEST_SYSENTER_ESP: u32 = 0x6824;
export const GUEST_SYSENTER_EIP: u32 = 0x6826;
export const GUEST_S_CET: u32 = 0x6828;
export const GUEST_SSP: u32 = 0x682a;
export const GUEST_INTR_SSP_TABLE_ADDR: u32 = 0x682c;

// ── Natural-width host-state fields (B.4.4) ──────────────────────────────
export const HOST_CR0: u32 = 0x6c00;
export const HOST_CR3: u32 = 0x6c02;
export const HOST_CR4: u32 = 0x6c04;
export const HOST_FS_BASE: u32 = 0x6c06;
export const HOST_GS_BASE: u32 = 0x6c08;
export const HOST_TR_BASE: u32 = 0x6c0a;
export const HOST_GDTR_BASE: u32 = 0x6c0c;
export const HOST_IDTR_BASE: u32 = 0x6c0e;
export const HOST_IA32_SYSENTER_ESP: u32 = 0x6c10;
export const HOST_IA32_SYSENTER_EIP: u32 = 0x6c12;
export const HOST_RSP: u32 = 0x6c14;                   // where the exit stub's stack starts
export const HOST_RIP: u32 = 0x6c16;                   // the NASM exit stub, never wasm2c code
export const HOST_S_CET: u32 = 0x6c18;
export const HOST_SSP: u32 = 0x6c1a;
export const HOST_INTR_SSP_TABLE_ADDR: u32 = 0x6c1c;

// ── The field table (vmcsDump, vmcsFieldName, the unit tests) ──────────────
// One row per field above, in the order above: encoding, name, group. The
// group is the Appendix B table the field is listed in, which gives its
// width and type apart from the encoding (the unit test compares the two).
// A name is a static string; the row holds its address, as a StaticArray
// literal takes only constants. Static data: no lookup allocates.
const GROUP_WIDTH_SHIFT: u32 = 2;
const GROUP_TYPE_MASK: u32 = 0x3;
const B_1_1: u32 = (VMCS_WIDTH_16 << GROUP_WIDTH_SHIFT) | VMCS_TYPE_CONTROL;
const B_1_2: u32 = (VMCS_WIDTH_16 << GROUP_WIDTH_SHIFT) | VMCS_TYPE_GUEST;
const B_1_3: u32 = (VMCS_WIDTH_16 << GROUP_WIDTH_SHIFT) | VMCS_TYPE_HOST;
const B_2_1: u32 = (VMCS_WIDTH_64 << GROUP_WIDTH_SHIFT) | VMCS_TYPE_CONTROL;
const B_2_2: u32 = (VMCS_WIDTH_64 << GROUP_WIDTH_SHIFT) | VMCS_TYPE_EXIT_INFO;
const B_2_3: u32 = (VMCS_WIDTH_64 << GROUP_WIDTH_SHIFT) | VMCS_TYPE_GUEST;
const B_2_4: u32 = (VMCS_WIDTH_64 << GROUP_WIDTH_SHIFT) | VMCS_TYPE_HOST;
const B_3_1: u32 = (VMCS_WIDTH_32 << GROUP_WIDTH_SHIFT) | VMCS_TYPE_CONTROL;
const B_3_2: u32 = (VMCS_WIDTH_32 << GROUP_WIDTH_SHIFT) | VMCS_TYPE_EXIT_INFO;
const B_3_3: u32 = (VMCS_WIDTH_32 << GROUP_WIDTH_SHIFT) | VMCS_TYPE_GUEST;
const B_3_4: u32 = (VMCS_WIDTH_32 << GROUP_WIDTH_SHIFT) | VMCS_TYPE_HOST;
const B_4_1: u32 = (VMCS_WIDTH_NATURAL << GROUP_WIDTH_SHIFT) | VMCS_TYPE_CONTROL;
const B_4_2: u32 = (VMCS_WIDTH_NATURAL << GROUP_WIDTH_SHIFT) | VMCS_TYPE_EXIT_INFO;
const B_4_3: u32 = (VMCS_WIDTH_NATURAL << GROUP_WIDTH_SHIFT) | VMCS_TYPE_GUEST;
const B_4_4: u32 = (VMCS_WIDTH_NATURAL << GROUP_WIDTH_SHIFT) | VMCS_TYPE_HOST;

const ROW_WORDS: u32 = 3;
const VMCS_TABLE: StaticArray<u32> = [
  VIRTUAL_PROCESSOR_ID, changetype<u32>("VIRTUAL_PROCESSOR_ID"), B_1_1,
  POSTED_INTERRUPT_NOTIFICATION_VECTOR, changetype<u32>("POSTED_INTERRUPT_NOTIFICATION_VECTOR"), B_1_1,
  EPTP_INDEX, changetype<u32>("EPTP_INDEX"), B_1_1,
  HLAT_PREFIX_SIZE, changetype<u32>("HLAT_PREFIX_SIZE"), B_1_1,
  LAST_PID_POINTER_INDEX, changetype<u32>("LAST_PID_POINTER_INDEX"), B_1_1,
  GUEST_ES_SELECTOR, changetype<u32>("GUEST_ES_SELECTOR"), B_1_2,
  GUEST_CS_SELECTOR, changetype<u32>("GUEST_CS_SELECTOR"), B_1_2,
  GUEST_SS_SELECTOR, changetype<u32>("GUEST_SS_SELECTOR"), B_1_2,
  GUEST_DS_SELECTOR, changetype<u32>("GUEST_DS_SELECTOR"), B_1_2,
  GUEST_FS_SELECTOR, changetype<u32>("GUEST_FS_SELECTOR"), B_1_2,
  GUEST_GS_SELECTOR, changetype<u32>("GUEST_GS_SELECTOR"), B_1_2,
  GUEST_LDTR_SELECTOR, changetype<u32>("GUEST_LDTR_SELECTOR"), B_1_2,
  GUEST_TR_SELECTOR, changetype<u32>("GUEST_TR_SELECTOR"), B_1_2,
  GUEST_INTERRUPT_STATUS, changetype<u32>("GUEST_INTERRUPT_STATUS"), B_1_2,
  GUEST_PML_INDEX, changetype<u32>("GUEST_PML_INDEX"), B_1_2,
  GUEST_UINV, changetype<u32>("GUEST_UINV"), B_1_2,
  HOST_ES_SELECTOR, changetype<u32>("HOST_ES_SELECTOR"), B_1_3,
  HOST_CS_SELECTOR, changetype<u32>("HOST_CS_SELECTOR"), B_1_3,
  HOST_SS_SELECTOR, changetype<u32>("HOST_SS_SELECTOR"), B_1_3,
  HOST_DS_SELECTOR, changetype<u32>("HOST_DS_SELECTOR"), B_1_3,
  HOST_FS_SELECTOR, changetype<u32>("HOST_FS_SELECTOR"), B_1_3,
  HOST_GS_SELECTOR, changetype<u32>("HOST_GS_SELECTOR"), B_1_3,
  HOST_TR_SELECTOR, changetype<u32>("HOST_TR_SELECTOR"), B_1_3,
  IO_BITMAP_A, changetype<u32>("IO_BITMAP_A"), B_2_1,
  IO_BITMAP_B, changetype<u32>("IO_BITMAP_B"), B_2_1,
  MSR_BITMAP, changetype<u32>("MSR_BITMAP"), B_2_1,
  VM_EXIT_MSR_STORE_ADDR, changetype<u32>("VM_EXIT_MSR_STORE_ADDR"), B_2_1,
  VM_EXIT_MSR_LOAD_ADDR, changetype<u32>("VM_EXIT_MSR_LOAD_ADDR"), B_2_1,
  VM_ENTRY_MSR_LOAD_ADDR, changetype<u32>("VM_ENTRY_MSR_LOAD_ADDR"), B_2_1,
  EXECUTIVE_VMCS_POINTER, changetype<u32>("EXECUTIVE_VMCS_POINTER"), B_2_1,
  PML_ADDRESS, changetype<u32>("PML_ADDRESS"), B_2_1,
  TSC_OFFSET, changetype<u32>("TSC_OFFSET"), B_2_1,
  VIRTUAL_APIC_PAGE_ADDR, changetype<u32>("VIRTUAL_APIC_PAGE_ADDR"), B_2_1,
  APIC_ACCESS_ADDR, changetype<u32>("APIC_ACCESS_ADDR"), B_2_1,
  POSTED_INTERRUPT_DESC_ADDR, changetype<u32>("POSTED_INTERRUPT_DESC_ADDR"), B_2_1,
  VM_FUNCTION_CONTROLS, changetype<u32>("VM_FUNCTION_CONTROLS"), B_2_1,
  EPT_POINTER, changetype<u32>("EPT_POINTER"), B_2_1,
  EOI_EXIT_BITMAP0, changetype<u32>("EOI_EXIT_BITMAP0"), B_2_1,
  EOI_EXIT_BITMAP1, changetype<u32>("EOI_EXIT_BITMAP1"), B_2_1,
  EOI_EXIT_BITMAP2, changetype<u32>("EOI_EXIT_BITMAP2"), B_2_1,
  EOI_EXIT_BITMAP3, changetype<u32>("EOI_EXIT_BITMAP3"), B_2_1,
  EPTP_LIST_ADDRESS, changetype<u32>("EPTP_LIST_ADDRESS"), B_2_1,
  VMREAD_BITMAP, changetype<u32>("VMREAD_BITMAP"), B_2_1,
  VMWRITE_BITMAP, changetype<u32>("VMWRITE_BITMAP"), B_2_1,
  VIRTUALIZATION_EXCEPTION_INFO_ADDR, changetype<u32>("VIRTUALIZATION_EXCEPTION_INFO_ADDR"), B_2_1,
  XSS_EXITING_BITMAP, changetype<u32>("XSS_EXITING_BITMAP"), B_2_1,
  ENCLS_EXITING_BITMAP, changetype<u32>("ENCLS_EXITING_BITMAP"), B_2_1,
  SUB_PAGE_PERMISSION_TABLE_POINTER, changetype<u32>("SUB_PAGE_PERMISSION_TABLE_POINTER"), B_2_1,
  TSC_MULTIPLIER, changetype<u32>("TSC_MULTIPLIER"), B_2_1,
  TERTIARY_VM_EXEC_CONTROL, changetype<u32>("TERTIARY_VM_EXEC_CONTROL"), B_2_1,
  ENCLV_EXITING_BITMAP, changetype<u32>("ENCLV_EXITING_BITMAP"), B_2_1,
  LOW_PASID_DIRECTORY_ADDR, changetype<u32>("LOW_PASID_DIRECTORY_ADDR"), B_2_1,
  HIGH_PASID_DIRECTORY_ADDR, changetype<u32>("HIGH_PASID_DIRECTORY_ADDR"), B_2_1,
  SHARED_EPT_POINTER, changetype<u32>("SHARED_EPT_POINTER"), B_2_1,
  PCONFIG_EXITING_BITMAP, changetype<u32>("PCONFIG_EXITING_BITMAP"), B_2_1,
  HLAT_POINTER, changetype<u32>("HLAT_POINTER"), B_2_1,
  PID_POINTER_TABLE_ADDR, changetype<u32>("PID_POINTER_TABLE_ADDR"), B_2_1,
  SECONDARY_VM_EXIT_CONTROLS, changetype<u32>("SECONDARY_VM_EXIT_CONTROLS"), B_2_1,
  GUEST_PHYSICAL_ADDRESS, changetype<u32>("GUEST_PHYSICAL_ADDRESS"), B_2_2,
  VMCS_LINK_POINTER, changetype<u32>("VMCS_LINK_POINTER"), B_2_3,
  GUEST_IA32_DEBUGCTL, changetype<u32>("GUEST_IA32_DEBUGCTL"), B_2_3,
  GUEST_IA32_PAT, changetype<u32>("GUEST_IA32_PAT"), B_2_3,
  GUEST_IA32_EFER, changetype<u32>("GUEST_IA32_EFER"), B_2_3,
  GUEST_IA32_PERF_GLOBAL_CTRL, changetype<u32>("GUEST_IA32_PERF_GLOBAL_CTRL"), B_2_3,
  GUEST_PDPTE0, changetype<u32>("GUEST_PDPTE0"), B_2_3,
  GUEST_PDPTE1, changetype<u32>("GUEST_PDPTE1"), B_2_3,
  GUEST_PDPTE2, changetype<u32>("GUEST_PDPTE2"), B_2_3,
  GUEST_PDPTE3, changetype<u32>("GUEST_PDPTE3"), B_2_3,
  GUEST_IA32_BNDCFGS, changetype<u32>("GUEST_IA32_BNDCFGS"), B_2_3,
  GUEST_IA32_RTIT_CTL, changetype<u32>("GUEST_IA32_RTIT_CTL"), B_2_3,
  GUEST_IA32_LBR_CTL, changetype<u32>("GUEST_IA32_LBR_CTL"), B_2_3,
  GUEST_IA32_PKRS, changetype<u32>("GUEST_IA32_PKRS"), B_2_3,
  HOST_IA32_PAT, changetype<u32>("HOST_IA32_PAT"), B_2_4,
  HOST_IA32_EFER, changetype<u32>("HOST_IA32_EFER"), B_2_4,
  HOST_IA32_PERF_GLOBAL_CTRL, changetype<u32>("HOST_IA32_PERF_GLOBAL_CTRL"), B_2_4,
  HOST_IA32_PKRS, changetype<u32>("HOST_IA32_PKRS"), B_2_4,
  PIN_BASED_VM_EXEC_CONTROL, changetype<u32>("PIN_BASED_VM_EXEC_CONTROL"), B_3_1,
  CPU_BASED_VM_EXEC_CONTROL, changetype<u32>("CPU_BASED_VM_EXEC_CONTROL"), B_3_1,
  EXCEPTION_BITMAP, changetype<u32>("EXCEPTION_BITMAP"), B_3_1,
  PAGE_FAULT_ERROR_CODE_MASK, changetype<u32>("PAGE_FAULT_ERROR_CODE_MASK"), B_3_1,
  PAGE_FAULT_ERROR_CODE_MATCH, changetype<u32>("PAGE_FAULT_ERROR_CODE_MATCH"), B_3_1,
  CR3_TARGET_COUNT, changetype<u32>("CR3_TARGET_COUNT"), B_3_1,
  VM_EXIT_CONTROLS, changetype<u32>("VM_EXIT_CONTROLS"), B_3_1,
  VM_EXIT_MSR_STORE_COUNT, changetype<u32>("VM_EXIT_MSR_STORE_COUNT"), B_3_1,
  VM_EXIT_MSR_LOAD_COUNT, changetype<u32>("VM_EXIT_MSR_LOAD_COUNT"), B_3_1,
  VM_ENTRY_CONTROLS, changetype<u32>("VM_ENTRY_CONTROLS"), B_3_1,
  VM_ENTRY_MSR_LOAD_COUNT, changetype<u32>("VM_ENTRY_MSR_LOAD_COUNT"), B_3_1,
  VM_ENTRY_INTR_INFO_FIELD, changetype<u32>("VM_ENTRY_INTR_INFO_FIELD"), B_3_1,
  VM_ENTRY_EXCEPTION_ERROR_CODE, changetype<u32>("VM_ENTRY_EXCEPTION_ERROR_CODE"), B_3_1,
  VM_ENTRY_INSTRUCTION_LEN, changetype<u32>("VM_ENTRY_INSTRUCTION_LEN"), B_3_1,
  TPR_THRESHOLD, changetype<u32>("TPR_THRESHOLD"), B_3_1,
  SECONDARY_VM_EXEC_CONTROL, changetype<u32>("SECONDARY_VM_EXEC_CONTROL"), B_3_1,
  PLE_GAP, changetype<u32>("PLE_GAP"), B_3_1,
  PLE_WINDOW, changetype<u32>("PLE_WINDOW"), B_3_1,
  NOTIFY_WINDOW, changetype<u32>("NOTIFY_WINDOW"), B_3_1,
  VM_INSTRUCTION_ERROR, changetype<u32>("VM_INSTRUCTION_ERROR"), B_3_2,
  VM_EXIT_REASON, changetype<u32>("VM_EXIT_REASON"), B_3_2,
  VM_EXIT_INTR_INFO, changetype<u32>("VM_EXIT_INTR_INFO"), B_3_2,
  VM_EXIT_INTR_ERROR_CODE, changetype<u32>("VM_EXIT_INTR_ERROR_CODE"), B_3_2,
  IDT_VECTORING_INFO_FIELD, changetype<u32>("IDT_VECTORING_INFO_FIELD"), B_3_2,
  IDT_VECTORING_ERROR_CODE, changetype<u32>("IDT_VECTORING_ERROR_CODE"), B_3_2,
  VM_EXIT_INSTRUCTION_LEN, changetype<u32>("VM_EXIT_INSTRUCTION_LEN"), B_3_2,
  VMX_INSTRUCTION_INFO, changetype<u32>("VMX_INSTRUCTION_INFO"), B_3_2,
  GUEST_ES_LIMIT, changetype<u32>("GUEST_ES_LIMIT"), B_3_3,
  GUEST_CS_LIMIT, changetype<u32>("GUEST_CS_LIMIT"), B_3_3,
  GUEST_SS_LIMIT, changetype<u32>("GUEST_SS_LIMIT"), B_3_3,
  GUEST_DS_LIMIT, changetype<u32>("GUEST_DS_LIMIT"), B_3_3,
  GUEST_FS_LIMIT, changetype<u32>("GUEST_FS_LIMIT"), B_3_3,
  GUEST_GS_LIMIT, changetype<u32>("GUEST_GS_LIMIT"), B_3_3,
  GUEST_LDTR_LIMIT, changetype<u32>("GUEST_LDTR_LIMIT"), B_3_3,
  GUEST_TR_LIMIT, changetype<u32>("GUEST_TR_LIMIT"), B_3_3,
  GUEST_GDTR_LIMIT, changetype<u32>("GUEST_GDTR_LIMIT"), B_3_3,
  GUEST_IDTR_LIMIT, changetype<u32>("GUEST_IDTR_LIMIT"), B_3_3,
  GUEST_ES_ACCESS_RIGHTS, changetype<u32>("GUEST_ES_ACCESS_RIGHTS"), B_3_3,
  GUEST_CS_ACCESS_RIGHTS, changetype<u32>("GUEST_CS_ACCESS_RIGHTS"), B_3_3,
  GUEST_SS_ACCESS_RIGHTS, changetype<u32>("GUEST_SS_ACCESS_RIGHTS"), B_3_3,
  GUEST_DS_ACCESS_RIGHTS, changetype<u32>("GUEST_DS_ACCESS_RIGHTS"), B_3_3,
  GUEST_FS_ACCESS_RIGHTS, changetype<u32>("GUEST_FS_ACCESS_RIGHTS"), B_3_3,
  GUEST_GS_ACCESS_RIGHTS, changetype<u32>("GUEST_GS_ACCESS_RIGHTS"), B_3_3,
  GUEST_LDTR_ACCESS_RIGHTS, changetype<u32>("GUEST_LDTR_ACCESS_RIGHTS"), B_3_3,
  GUEST_TR_ACCESS_RIGHTS, changetype<u32>("GUEST_TR_ACCESS_RIGHTS"), B_3_3,
  GUEST_INTERRUPTIBILITY_INFO, changetype<u32>("GUEST_INTERRUPTIBILITY_INFO"), B_3_3,
  GUEST_ACTIVITY_STATE, changetype<u32>("GUEST_ACTIVITY_STATE"), B_3_3,
  GUEST_SMBASE, changetype<u32>("GUEST_SMBASE"), B_3_3,
  GUEST_SYSENTER_CS, changetype<u32>("GUEST_SYSENTER_CS"), B_3_3,
  VMX_PREEMPTION_TIMER_VALUE, changetype<u32>("VMX_PREEMPTION_TIMER_VALUE"), B_3_3,
  HOST_IA32_SYSENTER_CS, changetype<u32>("HOST_IA32_SYSENTER_CS"), B_3_4,
  CR0_GUEST_HOST_MASK, changetype<u32>("CR0_GUEST_HOST_MASK"), B_4_1,
  CR4_GUEST_HOST_MASK, changetype<u32>("CR4_GUEST_HOST_MASK"), B_4_1,
  CR0_READ_SHADOW, changetype<u32>("CR0_READ_SHADOW"), B_4_1,
  CR4_READ_SHADOW, changetype<u32>("CR4_READ_SHADOW"), B_4_1,
  CR3_TARGET_VALUE0, changetype<u32>("CR3_TARGET_VALUE0"), B_4_1,
  CR3_TARGET_VALUE1, changetype<u32>("CR3_TARGET_VALUE1"), B_4_1,
  CR3_TARGET_VALUE2, changetype<u32>("CR3_TARGET_VALUE2"), B_4_1,
  CR3_TARGET_VALUE3, changetype<u32>("CR3_TARGET_VALUE3"), B_4_1,
  EXIT_QUALIFICATION, changetype<u32>("EXIT_QUALIFICATION"), B_4_2,
  IO_RCX, changetype<u32>("IO_RCX"), B_4_2,
  IO_RSI, changetype<u32>("IO_RSI"), B_4_2,
  IO_RDI, changetype<u32>("IO_RDI"), B_4_2,
  IO_RIP, changetype<u32>("IO_RIP"), B_4_2,
  GUEST_LINEAR_ADDRESS, changetype<u32>("GUEST_LINEAR_ADDRESS"), B_4_2,
  GUEST_CR0, changetype<u32>("GUEST_CR0"), B_4_3,
  GUEST_CR3, changetype<u32>("GUEST_CR3"), B_4_3,
  GUEST_CR4, changetype<u32>("GUEST_CR4"), B_4_3,
  GUEST_ES_BASE, changetype<u32>("GUEST_ES_BASE"), B_4_3,
  GUEST_CS_BASE, changetype<u32>("GUEST_CS_BASE"), B_4_3,
  GUEST_SS_BASE, changetype<u32>("GUEST_SS_BASE"), B_4_3,
  GUEST_DS_BASE, changetype<u32>("GUEST_DS_BASE"), B_4_3,
  GUEST_FS_BASE, changetype<u32>("GUEST_FS_BASE"), B_4_3,
  GUEST_GS_BASE, changetype<u32>("GUEST_GS_BASE"), B_4_3,
  GUEST_LDTR_BASE, changetype<u32>("GUEST_LDTR_BASE"), B_4_3,
  GUEST_TR_BASE, changetype<u32>("GUEST_TR_BASE"), B_4_3,
  GUEST_GDTR_BASE, changetype<u32>("GUEST_GDTR_BASE"), B_4_3,
  GUEST_IDTR_BASE, changetype<u32>("GUEST_IDTR_BASE"), B_4_3,
  GUEST_DR7, changetype<u32>("GUEST_DR7"), B_4_3,
  GUEST_RSP, changetype<u32>("GUEST_RSP"), B_4_3,
  GUEST_RIP, changetype<u32>("GUEST_RIP"), B_4_3,
  GUEST_RFLAGS, changetype<u32>("GUEST_RFLAGS"), B_4_3,
  GUEST_PENDING_DEBUG_EXCEPTIONS, changetype<u32>("GUEST_PENDING_DEBUG_EXCEPTIONS"), B_4_3,
  GUEST_SYSENTER_ESP, changetype<u32>("GUEST_SYSENTER_ESP"), B_4_3,
  GUEST_SYSENTER_EIP, changetype<u32>("GUEST_SYSENTER_EIP"), B_4_3,
  GUEST_S_CET, changetype<u32>("GUEST_S_CET"), B_4_3,
  GUEST_SSP, changetype<u32>("GUEST_SSP"), B_4_3,
  GUEST_INTR_SSP_TABLE_ADDR, changetype<u32>("GUEST_INTR_SSP_TABLE_ADDR"), B_4_3,
  HOST_CR0, changetype<u32>("HOST_CR0"), B_4_4,
  HOST_CR3, changetype<u32>("HOST_CR3"), B_4_4,
  HOST_CR4, changetype<u32>("HOST_CR4"), B_4_4,
  HOST_FS_BASE, changetype<u32>("HOST_FS_BASE"), B_4_4,
  HOST_GS_BASE, changetype<u32>("HOST_GS_BASE"), B_4_4,
  HOST_TR_BASE, changetype<u32>("HOST_TR_BASE"), B_4_4,
  HOST_GDTR_BASE, changetype<u32>("HOST_GDTR_BASE"), B_4_4,
  HOST_IDTR_BASE, changetype<u32>("HOST_IDTR_BASE"), B_4_4,
  HOST_IA32_SYSENTER_ESP, changetype<u32>("HOST_IA32_SYSENTER_ESP"), B_4_4,
  HOST_IA32_SYSENTER_EIP, changetype<u32>("HOST_IA32_SYSENTER_EIP"), B_4_4,
  HOST_RSP, changetype<u32>("HOST_RSP"), B_4_4,
  HOST_RIP, changetype<u32>("HOST_RIP"), B_4_4,
  HOST_S_CET, changetype<u32>("HOST_S_CET"), B_4_4,
  HOST_SSP, changetype<u32>("HOST_SSP"), B_4_4,
  HOST_INTR_SSP_TABLE_ADDR, changetype<u32>("HOST_INTR_SSP_TABLE_ADDR"), B_4_4,
];

export function vmcsFieldCount(): u32 { return <u32>VMCS_TABLE.length / ROW_WORDS; }

// Row `i` (0 .. vmcsFieldCount() - 1): its encoding, and the width and type
// its group declares; 0xffffffff past the end.
export function vmcsFieldEncoding(i: u32): u32 { return i < vmcsFieldCount() ? unchecked(VMCS_TABLE[i * ROW_WORDS]) : 0xffffffff; }
export function vmcsFieldWidth(i: u32): u32 { return i < vmcsFieldCount() ? vmcsFieldGroup(i) >> GROUP_WIDTH_SHIFT : 0xffffffff; }
export function vmcsFieldType(i: u32): u32 { return i < vmcsFieldCount() ? vmcsFieldGroup(i) & GROUP_TYPE_MASK : 0xffffffff; }
// Index checked by the callers above and vmcsFieldName.
@inline function vmcsFieldGroup(i: u32): u32 { return unchecked(VMCS_TABLE[i * ROW_WORDS + 2]); }
export function vmcsFieldNameAt(i: u32): string {
  return i < vmcsFieldCount() ? changetype<string>(<usize>unchecked(VMCS_TABLE[i * ROW_WORDS + 1])) : "unknown";
}

// The field's name for logs and VMCS dumps; "unknown" if not in the table.
export function vmcsFieldName(encoding: u32): string {
  const n = vmcsFieldCount();
  for (let i: u32 = 0; i < n; i++) if (vmcsFieldEncoding(i) == encoding) return vmcsFieldNameAt(i);
  return "unknown";
}

// ── Guest segment access rights (25.4.1, Table 25-2) ───────────────────────
// The GUEST_*_ACCESS_RIGHTS format: descriptor bits 47:40 and 55:52, plus
// "unusable" (a null selector loaded outside 64-bit mode, say).
//   31    17  16  15  14  13  12  11  8  7   6 5  4   3    0
//  ┌────────┬───┬───┬───┬───┬───┬──────┬───┬───┬───┬──────┐
//  │   0    │UNU│ G │D/B│ L │AVL│  0   │ P │DPL│ S │ type │
//  └────────┴───┴───┴───┴───┴───┴──────┴───┴───┴───┴──────┘
export const SEGMENT_AR_TYPE_MASK: u32 = 0xf;
export const SEGMENT_AR_TYPE_ACCESSED: u32 = 1 << 0;
export const SEGMENT_AR_S: u32 = 1 << 4;               // 1 = code/data, 0 = system
export const SEGMENT_AR_DPL_SHIFT: u32 = 5;            // bits 6:5
export const SEGMENT_AR_DPL_MASK: u32 = 0x3 << 5;
export const SEGMENT_AR_P: u32 = 1 << 7;
export const SEGMENT_AR_AVL: u32 = 1 << 12;
export const SEGMENT_AR_L: u32 = 1 << 13;              // CS only: 64-bit code
export const SEGMENT_AR_DB: u32 = 1 << 14;             // default operation size 32
export const SEGMENT_AR_G: u32 = 1 << 15;              // limit in 4 KiB units
export const SEGMENT_AR_UNUSABLE: u32 = 1 << 16;

// ── VM-instruction error numbers (31.4, Table 31-1) ───────────────────────
// Read from VM_INSTRUCTION_ERROR after an instruction ends in VMfailValid
// (RFLAGS.ZF = 1). VMfailInvalid (CF = 1) leaves no number: no current VMCS.
export const VMXERR_VMCALL_IN_VMX_ROOT_OPERATION: u32 = 1;
export const VMXERR_VMCLEAR_INVALID_ADDRESS: u32 = 2;
export const VMXERR_VMCLEAR_VMXON_POINTER: u32 = 3;
export const VMXERR_VMLAUNCH_NONCLEAR_VMCS: u32 = 4;
export const VMXERR_VMRESUME_NONLAUNCHED_VMCS: u32 = 5;
export const VMXERR_VMRESUME_AFTER_VMXOFF: u32 = 6;
export const VMXERR_ENTRY_INVALID_CONTROL_FIELD: u32 = 7;
export const VMXERR_ENTRY_INVALID_HOST_STATE_FIELD: u32 = 8;
export const VMXERR_VMPTRLD_INVALID_ADDRESS: u32 = 9;
export const VMXERR_VMPTRLD_VMXON_POINTER: u32 = 10;
export const VMXERR_VMPTRLD_INCORRECT_VMCS_REVISION_ID: u32 = 11;
export const VMXERR_UNSUPPORTED_VMCS_COMPONENT: u32 = 12;
export const VMXERR_VMWRITE_READ_ONLY_VMCS_COMPONENT: u32 = 13;
// 14 reserved
export const VMXERR_VMXON_IN_VMX_ROOT_OPERATION: u32 = 15;
export const VMXERR_ENTRY_INVALID_EXECUTIVE_VMCS_POINTER: u32 = 16;
export const VMXERR_ENTRY_NONLAUNCHED_EXECUTIVE_VMCS: u32 = 17;
export const VMXERR_ENTRY_EXECUTIVE_VMCS_POINTER_NOT_VMXON_POINTER: u32 = 18;
export const VMXERR_VMCALL_NONCLEAR_VMCS: u32 = 19;
export const VMXERR_VMCALL_INVALID_VM_EXIT_CONTROL_FIELDS: u32 = 20;
// 21 reserved
export const VMXERR_VMCALL_INCORRECT_MSEG_REVISION_ID: u32 = 22;
export const VMXERR_VMXOFF_UNDER_DUAL_MONITOR_TREATMENT_OF_SMIS_AND_SMM: u32 = 23;
export const VMXERR_VMCALL_INVALID_SMM_MONITOR_FEATURES: u32 = 24;
export const VMXERR_ENTRY_INVALID_VM_EXECUTION_CONTROL_FIELDS_IN_EXECUTIVE_VMCS: u32 = 25;
export const VMXERR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS: u32 = 26;
// 27 reserved
export const VMXERR_INVALID_OPERAND_TO_INVEPT_INVVPID: u32 = 28;
export const VMXERR_COUNT: u32 = 29;            // numbers 0 .. VMXERR_COUNT - 1

// The SDM's description of error `n` (static strings: safe on the exit path).
export function vmInstructionErrorText(n: u32): string {
  switch (n) {
    case 0: return "no error";
    case VMXERR_VMCALL_IN_VMX_ROOT_OPERATION: return "VMCALL executed in VMX root operation";
    case VMXERR_VMCLEAR_INVALID_ADDRESS: return "VMCLEAR with invalid physical address";
    case VMXERR_VMCLEAR_VMXON_POINTER: return "VMCLEAR with VMXON pointer";
    case VMXERR_VMLAUNCH_NONCLEAR_VMCS: return "VMLAUNCH with non-clear VMCS";
    case VMXERR_VMRESUME_NONLAUNCHED_VMCS: return "VMRESUME with non-launched VMCS";
    case VMXERR_VMRESUME_AFTER_VMXOFF: return "VMRESUME after VMXOFF";
    case VMXERR_ENTRY_INVALID_CONTROL_FIELD: return "VM entry with invalid control field(s)";
    case VMXERR_ENTRY_INVALID_HOST_STATE_FIELD: return "VM entry with invalid host-state field(s)";
    case VMXERR_VMPTRLD_INVALID_ADDRESS: return "VMPTRLD with invalid physical address";
    case VMXERR_VMPTRLD_VMXON_POINTER: return "VMPTRLD with VMXON pointer";
    case VMXERR_VMPTRLD_INCORRECT_VMCS_REVISION_ID: return "VMPTRLD with incorrect VMCS revision identifier";
    case VMXERR_UNSUPPORTED_VMCS_COMPONENT: return "VMREAD/VMWRITE from/to unsupported VMCS component";
    case VMXERR_VMWRITE_READ_ONLY_VMCS_COMPONENT: return "VMWRITE to read-only VMCS component";
    case VMXERR_VMXON_IN_VMX_ROOT_OPERATION: return "VMXON executed in VMX root operation";
    case VMXERR_ENTRY_INVALID_EXECUTIVE_VMCS_POINTER: return "VM entry with invalid executive-VMCS pointer";
    case VMXERR_ENTRY_NONLAUNCHED_EXECUTIVE_VMCS: return "VM entry with non-launched executive VMCS";
    case VMXERR_ENTRY_EXECUTIVE_VMCS_POINTER_NOT_VMXON_POINTER:
      return "VM entry with executive-VMCS pointer not VMXON pointer";
    case VMXERR_VMCALL_NONCLEAR_VMCS: return "VMCALL with non-clear VMCS";
    case VMXERR_VMCALL_INVALID_VM_EXIT_CONTROL_FIELDS: return "VMCALL with invalid VM-exit control fields";
    case VMXERR_VMCALL_INCORRECT_MSEG_REVISION_ID: return "VMCALL with incorrect MSEG revision identifier";
    case VMXERR_VMXOFF_UNDER_DUAL_MONITOR_TREATMENT_OF_SMIS_AND_SMM:
      return "VMXOFF under dual-monitor treatment of SMIs and SMM";
    case VMXERR_VMCALL_INVALID_SMM_MONITOR_FEATURES: return "VMCALL with invalid SMM-monitor features";
    case VMXERR_ENTRY_INVALID_VM_EXECUTION_CONTROL_FIELDS_IN_EXECUTIVE_VMCS:
      return "VM entry with invalid VM-execution control fields in executive VMCS";
    case VMXERR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS: return "VM entry with events blocked by MOV SS";
    case VMXERR_INVALID_OPERAND_TO_INVEPT_INVVPID: return "invalid operand to INVEPT/INVVPID";
  }
  return "reserved";
}
