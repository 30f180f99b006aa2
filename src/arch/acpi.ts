// ACPI tables the hypervisor reads (ACPI 6.x, Chapter 5): the RSDP, the
// root tables and the MADT; what it writes for a domain; the fixed hardware
// registers (Chapter 4). Byte offsets.

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

// ── What the domain table builder writes (src/devices/acpi-tables.ts) ──────
// ACPI 6.0 sections; names as in the spec. Byte offsets.

// RSDP (5.2.5.3): the checksum covers the first 20 bytes, the extended
// checksum all 36.
export const RSDP_CHECKSUM: u32 = 8;        // u8
export const RSDP_OEMID: u32 = 9;           // 6 bytes
export const RSDP_EXTENDED_CHECKSUM: u32 = 32; // u8
export const RSDP_REVISION_ACPI2: u8 = 2;   // ACPI 2.0 and later: XSDT, Length
export const RSDP_ALIGN: u32 = 16;          // 5.2.5.1: found on 16-byte boundaries

// System description table header (5.2.6).
export const SDT_REVISION: u32 = 8;         // u8
export const SDT_CHECKSUM: u32 = 9;         // u8, the whole table sums to 0
export const SDT_OEMID: u32 = 10;           // 6 bytes
export const SDT_OEM_TABLE_ID: u32 = 16;    // 8 bytes
export const SDT_OEM_REVISION: u32 = 24;    // u32
export const SDT_CREATOR_ID: u32 = 28;      // u32
export const SDT_CREATOR_REVISION: u32 = 32; // u32

export const SIG_FADT: u32 = 0x50434146;    // "FACP"
export const SIG_FACS: u32 = 0x53434146;    // "FACS"
export const SIG_DSDT: u32 = 0x54445344;    // "DSDT"

// Table revisions of ACPI 6.0.
export const RSDT_REVISION: u8 = 1;         // 5.2.7
export const XSDT_REVISION: u8 = 1;         // 5.2.8
export const FADT_REVISION: u8 = 6;         // 5.2.9 (Major Version)
export const FADT_MINOR_REVISION: u8 = 0;   // ACPI 6.0
export const MADT_REVISION: u8 = 4;         // 5.2.12
export const DSDT_REVISION: u8 = 2;         // 5.2.11.1: 2 and up, integers are 64-bit
export const FACS_VERSION_ACPI6: u8 = 2;    // 5.2.10

// Generic Address Structure (5.2.3.2).
export const GAS_SPACE_ID: u32 = 0;         // u8
export const GAS_BIT_WIDTH: u32 = 1;        // u8
export const GAS_BIT_OFFSET: u32 = 2;       // u8
export const GAS_ACCESS_SIZE: u32 = 3;      // u8
export const GAS_ADDRESS: u32 = 4;          // u64
export const GAS_SIZE: u32 = 12;
export const GAS_SPACE_SYSTEM_IO: u8 = 1;
export const GAS_ACCESS_BYTE: u8 = 1;
export const GAS_ACCESS_WORD: u8 = 2;
export const GAS_ACCESS_DWORD: u8 = 3;

// FADT (5.2.9).
export const FADT_FIRMWARE_CTRL: u32 = 36;  // u32, the FACS
export const FADT_DSDT: u32 = 40;           // u32
export const FADT_PREFERRED_PM_PROFILE: u32 = 45; // u8
export const FADT_SCI_INT: u32 = 46;        // u16
export const FADT_SMI_CMD: u32 = 48;        // u32; 0: no SMM, ACPI is always on
export const FADT_ACPI_ENABLE: u32 = 52;    // u8
export const FADT_ACPI_DISABLE: u32 = 53;   // u8
export const FADT_PM1A_EVT_BLK: u32 = 56;   // u32 port
export const FADT_PM1B_EVT_BLK: u32 = 60;
export const FADT_PM1A_CNT_BLK: u32 = 64;
export const FADT_PM1B_CNT_BLK: u32 = 68;
export const FADT_PM2_CNT_BLK: u32 = 72;
export const FADT_PM_TMR_BLK: u32 = 76;
export const FADT_GPE0_BLK: u32 = 80;
export const FADT_GPE1_BLK: u32 = 84;
export const FADT_PM1_EVT_LEN: u32 = 88;    // u8 bytes
export const FADT_PM1_CNT_LEN: u32 = 89;
export const FADT_PM2_CNT_LEN: u32 = 90;
export const FADT_PM_TMR_LEN: u32 = 91;
export const FADT_GPE0_BLK_LEN: u32 = 92;
export const FADT_GPE1_BLK_LEN: u32 = 93;
export const FADT_GPE1_BASE: u32 = 94;
export const FADT_CST_CNT: u32 = 95;
export const FADT_P_LVL2_LAT: u32 = 96;     // u16 us; > 100: no C2
export const FADT_P_LVL3_LAT: u32 = 98;     // u16 us; > 1000: no C3
export const FADT_FLUSH_SIZE: u32 = 100;    // u16
export const FADT_FLUSH_STRIDE: u32 = 102;  // u16
export const FADT_DUTY_OFFSET: u32 = 104;   // u8
export const FADT_DUTY_WIDTH: u32 = 105;    // u8
export const FADT_DAY_ALRM: u32 = 106;      // u8
export const FADT_MON_ALRM: u32 = 107;      // u8
export const FADT_CENTURY: u32 = 108;       // u8
export const FADT_IAPC_BOOT_ARCH: u32 = 109; // u16
export const FADT_FLAGS: u32 = 112;         // u32
export const FADT_RESET_REG: u32 = 116;     // GAS
export const FADT_RESET_VALUE: u32 = 128;   // u8
export const FADT_ARM_BOOT_ARCH: u32 = 129; // u16
export const FADT_MINOR_VERSION: u32 = 131; // u8
export const FADT_X_FIRMWARE_CTRL: u32 = 132; // u64
export const FADT_X_DSDT: u32 = 140;        // u64
export const FADT_X_PM1A_EVT_BLK: u32 = 148; // GAS
export const FADT_X_PM1B_EVT_BLK: u32 = 160;
export const FADT_X_PM1A_CNT_BLK: u32 = 172;
export const FADT_X_PM1B_CNT_BLK: u32 = 184;
export const FADT_X_PM2_CNT_BLK: u32 = 196;
export const FADT_X_PM_TMR_BLK: u32 = 208;
export const FADT_X_GPE0_BLK: u32 = 220;
export const FADT_X_GPE1_BLK: u32 = 232;
export const FADT_SLEEP_CONTROL_REG: u32 = 244; // GAS, hardware-reduced only
export const FADT_SLEEP_STATUS_REG: u32 = 256;
export const FADT_HYPERVISOR_VENDOR_IDENTITY: u32 = 268; // u64
export const FADT_SIZE: u32 = 276;
export const P_LVL2_LAT_NONE: u16 = 101;    // the least latency meaning "no C2"
export const P_LVL3_LAT_NONE: u16 = 1001;   // the least latency meaning "no C3"

// FADT Flags (5.2.9).
export const FADT_WBINVD: u32 = 1 << 0;
export const FADT_WBINVD_FLUSH: u32 = 1 << 1;
export const FADT_PROC_C1: u32 = 1 << 2;
export const FADT_P_LVL2_UP: u32 = 1 << 3;
export const FADT_PWR_BUTTON: u32 = 1 << 4;   // 1: the power button is a control method device (or absent)
export const FADT_SLP_BUTTON: u32 = 1 << 5;   // 1: the sleep button is a control method device (or absent)
export const FADT_FIX_RTC: u32 = 1 << 6;      // 1: no RTC_STS/RTC_EN in the fixed registers
export const FADT_RTC_S4: u32 = 1 << 7;
export const FADT_TMR_VAL_EXT: u32 = 1 << 8;  // 1: PM_TMR is 32 bits, 0: 24
export const FADT_DCK_CAP: u32 = 1 << 9;
export const FADT_RESET_REG_SUP: u32 = 1 << 10;
export const FADT_SEALED_CASE: u32 = 1 << 11;
export const FADT_HEADLESS: u32 = 1 << 12;
export const FADT_CPU_SW_SLP: u32 = 1 << 13;
export const FADT_PCI_EXP_WAK: u32 = 1 << 14;
export const FADT_USE_PLATFORM_CLOCK: u32 = 1 << 15;
export const FADT_S4_RTC_STS_VALID: u32 = 1 << 16;
export const FADT_REMOTE_POWER_ON_CAPABLE: u32 = 1 << 17;
export const FADT_FORCE_APIC_CLUSTER_MODEL: u32 = 1 << 18;
export const FADT_FORCE_APIC_PHYSICAL_DESTINATION_MODE: u32 = 1 << 19;
export const FADT_HW_REDUCED_ACPI: u32 = 1 << 20;
export const FADT_LOW_POWER_S0_IDLE_CAPABLE: u32 = 1 << 21;

// IA-PC Boot Architecture Flags (5.2.9.3).
export const IAPC_LEGACY_DEVICES: u16 = 1 << 0;   // ISA devices the OS cannot enumerate (PIT, RTC, PIC)
export const IAPC_8042: u16 = 1 << 1;
export const IAPC_VGA_NOT_PRESENT: u16 = 1 << 2;
export const IAPC_MSI_NOT_SUPPORTED: u16 = 1 << 3;
export const IAPC_PCIE_ASPM_CONTROLS: u16 = 1 << 4;
export const IAPC_CMOS_RTC_NOT_PRESENT: u16 = 1 << 5;

// FACS (5.2.10): no checksum; 64-byte aligned.
export const FACS_SIGNATURE: u32 = 0;       // u32
export const FACS_LENGTH: u32 = 4;          // u32
export const FACS_HARDWARE_SIGNATURE: u32 = 8;
export const FACS_FIRMWARE_WAKING_VECTOR: u32 = 12;
export const FACS_GLOBAL_LOCK: u32 = 16;
export const FACS_FLAGS: u32 = 20;
export const FACS_X_FIRMWARE_WAKING_VECTOR: u32 = 24; // u64
export const FACS_VERSION: u32 = 32;        // u8
export const FACS_OSPM_FLAGS: u32 = 36;
export const FACS_SIZE: u32 = 64;
export const FACS_ALIGN: u32 = 64;

// MADT (5.2.12): flags and the entries the builder writes besides those above.
export const MADT_FLAGS: u32 = 40;          // u32
export const MADT_PCAT_COMPAT: u32 = 1;     // dual 8259s as well (Table 5-45)
export const MADT_TYPE_LAPIC_NMI: u8 = 4;   // {acpiId u8 @2, flags u16 @3, lint u8 @5}
export const MADT_LAPIC_SIZE: u32 = 8;      // 5.2.12.2
export const MADT_IOAPIC_SIZE: u32 = 12;    // 5.2.12.3
export const MADT_ISO_SIZE: u32 = 10;       // 5.2.12.5
export const MADT_LAPIC_NMI_SIZE: u32 = 6;  // 5.2.12.7
export const MADT_ALL_PROCESSORS: u8 = 0xff; // a Local APIC NMI's ACPI Processor UID for every processor
export const MADT_BUS_ISA: u8 = 0;
// MPS INTI flags (5.2.12.5) the builder writes: 0 conforms to the bus
// (ISA: edge, active high).
export const MPS_CONFORMS: u32 = 0;
export const MPS_POLARITY_ACTIVE_HIGH: u32 = 1;
export const MPS_TRIGGER_EDGE: u32 = 1;

// AML (20.2) the builder's DSDT uses.
export const AML_ZERO_OP: u8 = 0x00;
export const AML_NAME_OP: u8 = 0x08;
export const AML_BYTE_PREFIX: u8 = 0x0a;
export const AML_PACKAGE_OP: u8 = 0x12;

// ── The fixed hardware registers (4.8.3) ──────────────────────────────────
// PM1 Status (4.8.3.1.1). Write 1 to clear.
export const PM1_TMR_STS: u16 = 1 << 0;
export const PM1_BM_STS: u16 = 1 << 4;
export const PM1_GBL_STS: u16 = 1 << 5;
export const PM1_PWRBTN_STS: u16 = 1 << 8;
export const PM1_SLPBTN_STS: u16 = 1 << 9;
export const PM1_RTC_STS: u16 = 1 << 10;
export const PM1_PCIEXP_WAKE_STS: u16 = 1 << 14;
export const PM1_WAK_STS: u16 = 1 << 15;
// PM1 Enable (4.8.3.1.2): each at its status bit's position.
export const PM1_TMR_EN: u16 = 1 << 0;
export const PM1_GBL_EN: u16 = 1 << 5;
export const PM1_PWRBTN_EN: u16 = 1 << 8;
export const PM1_SLPBTN_EN: u16 = 1 << 9;
export const PM1_RTC_EN: u16 = 1 << 10;
export const PM1_PCIEXP_WAKE_DIS: u16 = 1 << 14;
// PM1 Control (4.8.3.2.1).
export const PM1_SCI_EN: u16 = 1 << 0;
export const PM1_BM_RLD: u16 = 1 << 1;
export const PM1_GBL_RLS: u16 = 1 << 2;     // write-only
export const PM1_SLP_TYP_SHIFT: u32 = 10;   // bits 12:10
export const PM1_SLP_TYP_MASK: u32 = 7;
export const PM1_SLP_EN: u16 = 1 << 13;     // write-only
// Power Management Timer (4.8.3.3): 3.579545 MHz, 24 or 32 bits
// (TMR_VAL_EXT); TMR_STS on every change of its top bit.
export const PM_TMR_FREQUENCY: u64 = 3579545;

// ── A domain's ACPI hardware (our platform's choices, as QEMU's and bhyve's
// are theirs): what the FADT says and src/devices/acpi-pm.ts decodes ──────
export const DOMAIN_PM1A_EVT_BLK: u16 = 0x600; // PM1a_STS 0x600, PM1a_EN 0x602
export const DOMAIN_PM1_EVT_LEN: u8 = 4;
export const DOMAIN_PM1A_CNT_BLK: u16 = 0x604;
export const DOMAIN_PM1_CNT_LEN: u8 = 2;
export const DOMAIN_PM_TMR_BLK: u16 = 0x608;
export const DOMAIN_PM_TMR_LEN: u8 = 4;
export const DOMAIN_PM_PORTS: u32 = 12;     // 0x600-0x60B, the three blocks and the gap at 0x606
export const DOMAIN_PM_TMR_BITS: u32 = 32;  // TMR_VAL_EXT set
export const DOMAIN_SCI_IRQ: u8 = 9;        // ISA IRQ 9 = GSI 9, level, active high
// The SLP_TYP of \_S5: 5 as in bhyve's and ACRN's tables (QEMU's PIIX4 uses 0).
export const DOMAIN_SLP_TYP_S5: u32 = 5;
