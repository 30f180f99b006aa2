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
