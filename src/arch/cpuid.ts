// CPUID leaves and feature bits the microkernel reads (Intel SDM Vol. 2A,
// CPUID, Table 3-8 "Information Returned by CPUID" and Table 3-10 "Feature
// Information Returned in the ECX Register"). Names as in the SDM.

// Offsets of the four registers in the 16-byte block hw.cpuid() writes.
export const CPUID_EAX: u32 = 0;
export const CPUID_EBX: u32 = 4;
export const CPUID_ECX: u32 = 8;
export const CPUID_EDX: u32 = 12;

export const CPUID_LEAF_VENDOR: u32 = 0x0;   // EAX = highest basic leaf
export const CPUID_LEAF_FEATURES: u32 = 0x1; // version and feature information

// CPUID.1:ECX (Table 3-10).
export const CPUID_1_ECX_VMX: u32 = 1 << 5;  // Virtual Machine Extensions
export const CPUID_1_ECX_SMX: u32 = 1 << 6;  // Safer Mode Extensions
export const CPUID_1_ECX_HYPERVISOR: u32 = 1 << 31; // reserved for a hypervisor

export const CPUID_1_ECX_MONITOR: u32 = 1 << 3;     // MONITOR/MWAIT
export const CPUID_1_ECX_PDCM: u32 = 1 << 15;       // perfmon and debug capability MSR
export const CPUID_1_ECX_X2APIC: u32 = 1 << 21;
export const CPUID_1_ECX_TSC_DEADLINE: u32 = 1 << 24;  // IA32_TSC_DEADLINE (the LAPIC timer's TSC-deadline mode)
export const CPUID_1_EDX_HTT: u32 = 1 << 28;           // EBX[23:16] counts the package's logical processors
export const CPUID_1_EBX_COUNT_SHIFT: u32 = 16;
export const CPUID_1_ECX_OSXSAVE: u32 = 1 << 27;    // reflects CR4.OSXSAVE
export const CPUID_1_EBX_APIC_ID_SHIFT: u32 = 24;   // initial APIC ID, bits 31:24
export const CPUID_LEAF_EXTENDED_FEATURES: u32 = 0x7;
export const CPUID_7_EBX_SGX: u32 = 1 << 2;
export const CPUID_7_EBX_RTM: u32 = 1 << 11;         // TSX restricted transactional memory
// CPUID.(7,0):EDX, the speculation controls (Intel's "Speculative Execution
// Side Channel Mitigations", and SDM Vol. 2A Table 3-8).
export const CPUID_7_EDX_MD_CLEAR: u32 = 1 << 10;    // VERW overwrites the CPU's buffers
export const CPUID_7_EDX_SPEC_CTRL: u32 = 1 << 26;   // IA32_SPEC_CTRL.IBRS and IA32_PRED_CMD.IBPB
export const CPUID_7_EDX_STIBP: u32 = 1 << 27;
export const CPUID_7_EDX_L1D_FLUSH: u32 = 1 << 28;   // IA32_FLUSH_CMD
export const CPUID_7_EDX_ARCH_CAPABILITIES: u32 = 1 << 29;
export const CPUID_7_EDX_CORE_CAPABILITIES: u32 = 1 << 30;
export const CPUID_7_EDX_SSBD: u32 = 1 << 31;
// Power and thermal management: thermal MSRs and APERF/MPERF (ECX bit 0).
export const CPUID_LEAF_THERMAL_POWER: u32 = 0x6;
export const CPUID_1_ECX_EST: u32 = 1 << 7;         // Enhanced SpeedStep: IA32_PERF_STATUS/CTL
export const CPUID_1_ECX_TM2: u32 = 1 << 8;         // Thermal Monitor 2
export const CPUID_1_EDX_ACPI: u32 = 1 << 22;       // thermal monitor and clock control MSRs
export const CPUID_1_EDX_TM: u32 = 1 << 29;
export const CPUID_1_EDX_DS: u32 = 1 << 21;         // debug store: IA32_DS_AREA
export const CPUID_1_EDX_PBE: u32 = 1 << 31;        // pending break enable (thermal)
export const CPUID_1_ECX_DTES64: u32 = 1 << 2;      // 64-bit debug store
export const CPUID_1_ECX_DS_CPL: u32 = 1 << 4;      // CPL-qualified debug store         // Thermal Monitor: IA32_THERM_INTERRUPT/STATUS
export const CPUID_LEAF_PERFMON: u32 = 0xa;         // architectural performance monitoring
export const CPUID_LEAF_TOPOLOGY: u32 = 0xb;        // x2APIC topology; EDX = x2APIC ID
export const CPUID_LEAF_TOPOLOGY_V2: u32 = 0x1f;    // V2 extended topology, same layout
// Leaf 0xB/0x1F ECX[15:8], the level type of a subleaf.
export const CPUID_TOPOLOGY_SMT: u32 = 1;
export const CPUID_TOPOLOGY_CORE: u32 = 2;
export const CPUID_LEAF_TSC: u32 = 0x15;            // TSC/crystal ratio EBX/EAX, crystal Hz ECX
export const CPUID_LEAF_FREQUENCY: u32 = 0x16;      // base, max, bus MHz
export const CPUID_LEAF_XSAVE: u32 = 0xd;
export const CPUID_D_1_EAX_XSAVES: u32 = 1 << 3;      // XSAVES/XRSTORS and IA32_XSS
export const CPUID_LEAF_EXT_MAX: u32 = 0x80000000;   // EAX = highest extended leaf
export const CPUID_LEAF_EXT_FEATURES: u32 = 0x80000001;
export const CPUID_80000001_EDX_LM: u32 = 1 << 29;  // long mode (Intel 64)
export const CPUID_LEAF_ADDRESS_SIZES: u32 = 0x80000008; // EAX[7:0] physical, [15:8] linear address bits
// Leaves 0x40000000-0x4fffffff are reserved for hypervisors (SDM Vol. 2A,
// CPUID: "no existing or future CPU will return processor identification or
// feature information" there).
export const CPUID_LEAF_HYPERVISOR: u32 = 0x40000000;
export const CPUID_LEAF_HYPERVISOR_FEATURES: u32 = 0x40000001;
// The timing leaf hypervisors share (VMware's, also KVM's and Xen's): EAX
// the TSC's kHz, EBX the LAPIC timer's (bus) kHz.
export const CPUID_LEAF_HYPERVISOR_TIMING: u32 = 0x40000010;
