// ACPI tables the hypervisor reads (ACPI 6.x, Chapter 5): the RSDP, the
// root tables and the MADT. Byte offsets.

export const RSDP_SIGNATURE: u64 = 0x2052545020445352;  // "RSD PTR "
export const RSDP_V1_SIZE: u32 = 20;        // ACPI 1.0 part, its own checksum
export const RSDP_V2_SIZE: u32 = 36;        // revision >= 2
export const RSDP_REVISION: u32 = 15;       // u8
export const RSDP_RSDT: u32 = 16;           // u32
export const RSDP_LENGTH: u32 = 20;         // u32, revision >= 2
export const RSDP_XSDT: u32 = 24;           // u64, revision >= 2

// Every system description table starts with this header.
export const SDT_SIGNATURE: u32 = 0;        // u32
export const SDT_LENGTH: u32 = 4;           // u32, header included
export const SDT_HEADER_SIZE: u32 = 36;

export const SIG_RSDT: u32 = 0x54445352;    // "RSDT"
export const SIG_XSDT: u32 = 0x54445358;    // "XSDT"
export const SIG_MADT: u32 = 0x43495041;    // "APIC"

// MADT: the local APIC address and flags, then variable-length entries
// {type u8, length u8, ...}.
export const MADT_LAPIC_ADDRESS: u32 = 36;  // u32
export const MADT_ENTRIES: u32 = 44;
export const MADT_TYPE_LAPIC: u8 = 0;       // {acpiId u8 @2, apicId u8 @3, flags u32 @4}
export const MADT_TYPE_IOAPIC: u8 = 1;      // {id u8 @2, address u32 @4, gsiBase u32 @8}
export const MADT_TYPE_ISO: u8 = 2;         // interrupt source override {bus u8 @2, source u8 @3, gsi u32 @4, flags u16 @8}
export const MADT_TYPE_LAPIC_OVERRIDE: u8 = 5; // {address u64 @4}
export const MADT_TYPE_X2APIC: u8 = 9;      // {x2apicId u32 @4, flags u32 @8}
export const MADT_LAPIC_ENABLED: u32 = 1;
export const MADT_LAPIC_ONLINE_CAPABLE: u32 = 2;
// Interrupt source override flags (MPS INTI flags).
export const MPS_POLARITY_MASK: u32 = 3;
export const MPS_POLARITY_ACTIVE_LOW: u32 = 3;
export const MPS_TRIGGER_SHIFT: u32 = 2;
export const MPS_TRIGGER_MASK: u32 = 3;
export const MPS_TRIGGER_LEVEL: u32 = 3;
