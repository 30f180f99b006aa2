// A domain's ACPI tables (ACPI 6.0, Chapter 5): what Linux's ACPI core and
// arch/x86/kernel/acpi/boot.c look for, describing the domain's platform:
// its vCPUs' local APICs, one I/O APIC, the 8259s (PCAT_COMPAT), the PM
// registers of src/devices/acpi-pm.ts, the reset register and a DSDT that
// says how to power off. A pure function: it writes into a host buffer the
// bytes the guest will see at guest-physical `gpaBase`, every pointer a
// guest-physical address, every table checksummed.
//
// The layout, from gpaBase (64-byte aligned: the RSDP wants 16, the FACS
// 64), the MADT last because it grows with the vCPUs:
//
//   ┌──────────────────────────────┐ +0x000  RSDP, revision 2 (36 bytes)
//   ├──────────────────────────────┤ +0x040  FACS (64)
//   ├──────────────────────────────┤ +0x080  DSDT: Name (_S5, Package {5, 5, 0, 0})
//   ├──────────────────────────────┤ +0x0C0  FADT, revision 6.0 (276)
//   ├──────────────────────────────┤ +0x1E0  XSDT -> FADT, MADT
//   ├──────────────────────────────┤ +0x220  RSDT -> FADT, MADT
//   ├──────────────────────────────┤ +0x250  MADT: 82 + 8 bytes per vCPU
//   └──────────────────────────────┘ +0x2A2 + 8 x vCPUs (acpiTablesSize)
//
// The RSDT's entries are 32-bit, so the tables must lie below 4 GiB; a
// caller that puts them in 0xE0000-0xFFFFF has the RSDP where the BIOS-area
// search of an OS (5.2.5.1) finds it.
import {
  RSDP_SIGNATURE, RSDP_CHECKSUM, RSDP_OEMID, RSDP_REVISION, RSDP_RSDT, RSDP_LENGTH, RSDP_XSDT,
  RSDP_EXTENDED_CHECKSUM, RSDP_V1_SIZE, RSDP_V2_SIZE, RSDP_REVISION_ACPI2,
  SDT_SIGNATURE, SDT_LENGTH, SDT_REVISION, SDT_CHECKSUM, SDT_OEMID, SDT_OEM_TABLE_ID, SDT_OEM_REVISION,
  SDT_CREATOR_ID, SDT_CREATOR_REVISION, SDT_HEADER_SIZE,
  SIG_RSDT, SIG_XSDT, SIG_MADT, SIG_FADT, SIG_FACS, SIG_DSDT,
  RSDT_REVISION, XSDT_REVISION, FADT_REVISION, FADT_MINOR_REVISION, MADT_REVISION, DSDT_REVISION, FACS_VERSION_ACPI6,
  GAS_SPACE_ID, GAS_BIT_WIDTH, GAS_ACCESS_SIZE, GAS_ADDRESS, GAS_SPACE_SYSTEM_IO,
  GAS_ACCESS_BYTE, GAS_ACCESS_WORD, GAS_ACCESS_DWORD,
  FADT_FIRMWARE_CTRL, FADT_DSDT, FADT_SCI_INT, FADT_PM1A_EVT_BLK, FADT_PM1A_CNT_BLK, FADT_PM_TMR_BLK,
  FADT_PM1_EVT_LEN, FADT_PM1_CNT_LEN, FADT_PM_TMR_LEN, FADT_P_LVL2_LAT, FADT_P_LVL3_LAT, FADT_CENTURY,
  FADT_IAPC_BOOT_ARCH, FADT_FLAGS, FADT_RESET_REG, FADT_RESET_VALUE, FADT_MINOR_VERSION,
  FADT_X_DSDT, FADT_X_PM1A_EVT_BLK, FADT_X_PM1A_CNT_BLK, FADT_X_PM_TMR_BLK, FADT_SIZE,
  P_LVL2_LAT_NONE, P_LVL3_LAT_NONE,
  FADT_WBINVD, FADT_PROC_C1, FADT_SLP_BUTTON, FADT_FIX_RTC, FADT_TMR_VAL_EXT, FADT_RESET_REG_SUP,
  IAPC_LEGACY_DEVICES,
  FACS_SIGNATURE, FACS_LENGTH, FACS_VERSION, FACS_SIZE, FACS_ALIGN,
  MADT_LAPIC_ADDRESS, MADT_FLAGS, MADT_ENTRIES, MADT_PCAT_COMPAT,
  MADT_TYPE_LAPIC, MADT_TYPE_IOAPIC, MADT_TYPE_ISO, MADT_TYPE_LAPIC_NMI, MADT_LAPIC_ENABLED,
  MADT_LAPIC_SIZE, MADT_IOAPIC_SIZE, MADT_ISO_SIZE, MADT_LAPIC_NMI_SIZE, MADT_ALL_PROCESSORS, MADT_BUS_ISA,
  MPS_CONFORMS, MPS_POLARITY_ACTIVE_HIGH, MPS_TRIGGER_SHIFT, MPS_TRIGGER_LEVEL,
  AML_ZERO_OP, AML_NAME_OP, AML_BYTE_PREFIX, AML_PACKAGE_OP,
  DOMAIN_PM1A_EVT_BLK, DOMAIN_PM1_EVT_LEN, DOMAIN_PM1A_CNT_BLK, DOMAIN_PM1_CNT_LEN,
  DOMAIN_PM_TMR_BLK, DOMAIN_PM_TMR_LEN, DOMAIN_PM_TMR_BITS, DOMAIN_SCI_IRQ, DOMAIN_SLP_TYP_S5,
} from "../arch/acpi";
import { APIC_DEFAULT_BASE } from "../arch/msr";
import { IOAPIC_DEFAULT_BASE } from "../arch/apic";
import { RESET_CONTROL_PORT, RESET_CONTROL_SYS_RST, RESET_CONTROL_RST_CPU } from "../arch/platform";
import { CMOS_CENTURY } from "../arch/mc146818";

// What the tables name as their maker: OEMID "TSHV  ", one OEM Table ID for
// every table (5.2.8: the XSDT's must match the FADT's), creator "TSHV".
const OEM_ID_LOW: u32 = 0x56485354;       // "TSHV"
const OEM_ID_HIGH: u16 = 0x2020;          // "  "
const OEM_TABLE_ID: u64 = 0x2020435056485354; // "TSHVPC  "
const OEM_REVISION: u32 = 1;
const CREATOR_ID: u32 = 0x56485354;       // "TSHV"
const CREATOR_REVISION: u32 = 1;

// Errors (the result is the bytes written, or one of these).
export const ACPI_TABLES_EVCPUS: i32 = -1;    // 0 vCPUs, or more than ACPI_TABLES_VCPUS_MAX
export const ACPI_TABLES_ESPACE: i32 = -2;    // the buffer is smaller than acpiTablesSize
export const ACPI_TABLES_EALIGN: i32 = -3;    // gpaBase is not FACS_ALIGN-aligned
export const ACPI_TABLES_EADDRESS: i32 = -4;  // the tables would not lie wholly below 4 GiB

// xAPIC IDs are 8 bits and 0xFF is the broadcast ID: APIC IDs 0..254.
export const ACPI_TABLES_VCPUS_MAX: u32 = 255;

// Offsets from gpaBase.
export const ACPI_RSDP_OFFSET: u32 = 0x000;
const FACS_AT: u32 = 0x040;
const DSDT_AT: u32 = 0x080;
const FADT_AT: u32 = 0x0c0;
const XSDT_AT: u32 = 0x1e0;
const RSDT_AT: u32 = 0x220;
const MADT_AT: u32 = 0x250;

// The DSDT's AML (20.2): Name (_S5, Package (4) {5, 5, Zero, Zero}), the
// SLP_TYPa and SLP_TYPb values for S5 (7.4.2: the last two are reserved).
// The package's PkgLength counts itself, NumElements and the elements.
const S5_PKG_LENGTH: u8 = 8;
const DSDT_AML_SIZE: u32 = 14;
const DSDT_SIZE: u32 = SDT_HEADER_SIZE + DSDT_AML_SIZE;

const XSDT_SIZE: u32 = SDT_HEADER_SIZE + 2 * 8;
const RSDT_SIZE: u32 = SDT_HEADER_SIZE + 2 * 4;

// ISA IRQ 0 (the PIT) arrives on GSI 2 and the SCI is level, active high,
// as QEMU's tables say (5.2.12.5).
const ISO_PIT_IRQ: u8 = 0;
const ISO_PIT_GSI: u32 = 2;
const ISO_SCI_FLAGS: u16 = <u16>(MPS_POLARITY_ACTIVE_HIGH | (MPS_TRIGGER_LEVEL << MPS_TRIGGER_SHIFT));
const LINT1: u8 = 1;                     // where the NMI comes in on every local APIC (5.2.12.7)

const FOUR_GIB: u64 = 0x100000000;

function madtSize(vcpus: u32): u32 {
  return MADT_ENTRIES + vcpus * MADT_LAPIC_SIZE + MADT_IOAPIC_SIZE + 2 * MADT_ISO_SIZE + MADT_LAPIC_NMI_SIZE;
}

// The bytes acpiTablesWrite writes for `vcpus` vCPUs.
export function acpiTablesSize(vcpus: u32): u32 {
  return MADT_AT + madtSize(vcpus);
}

// Writes the tables for a guest with `vcpus` vCPUs (APIC IDs 0..vcpus-1)
// that will see them at guest-physical `gpaBase`, into the `len` bytes at
// `dst`. Returns the bytes written (acpiTablesSize; the RSDP is at
// gpaBase + ACPI_RSDP_OFFSET) or an ACPI_TABLES_E* error, having written
// nothing.
export function acpiTablesWrite(dst: usize, gpaBase: u64, vcpus: u32, len: u32): i32 {
  if (vcpus == 0 || vcpus > ACPI_TABLES_VCPUS_MAX) return ACPI_TABLES_EVCPUS;
  const size = acpiTablesSize(vcpus);
  if (len < size) return ACPI_TABLES_ESPACE;
  if ((gpaBase & <u64>(FACS_ALIGN - 1)) != 0) return ACPI_TABLES_EALIGN;
  if (gpaBase >= FOUR_GIB || <u64>size > FOUR_GIB - gpaBase) return ACPI_TABLES_EADDRESS;
  memory.fill(dst, 0, size);

  writeFacs(dst + FACS_AT);
  writeDsdt(dst + DSDT_AT);
  writeFadt(dst + FADT_AT, gpaBase);
  const madtLen = writeMadt(dst + MADT_AT, vcpus);

  const x = dst + XSDT_AT;
  header(x, SIG_XSDT, XSDT_SIZE, XSDT_REVISION);
  store<u64>(x + SDT_HEADER_SIZE, gpaBase + FADT_AT);
  store<u64>(x + SDT_HEADER_SIZE + 8, gpaBase + MADT_AT);
  checksum(x, XSDT_SIZE, SDT_CHECKSUM);

  const r = dst + RSDT_AT;
  header(r, SIG_RSDT, RSDT_SIZE, RSDT_REVISION);
  store<u32>(r + SDT_HEADER_SIZE, <u32>(gpaBase + FADT_AT));
  store<u32>(r + SDT_HEADER_SIZE + 4, <u32>(gpaBase + MADT_AT));
  checksum(r, RSDT_SIZE, SDT_CHECKSUM);

  writeRsdp(dst + ACPI_RSDP_OFFSET, gpaBase);
  return <i32>(MADT_AT + madtLen);
}

// What an ACPI_TABLES_E* result means ("" for a byte count).
export function acpiTablesError(code: i32): string {
  switch (code) {
    case ACPI_TABLES_EVCPUS: return "ACPI tables: 1 to 255 vCPUs";
    case ACPI_TABLES_ESPACE: return "ACPI tables: the buffer is too small";
    case ACPI_TABLES_EALIGN: return "ACPI tables: the base is not 64-byte aligned";
    case ACPI_TABLES_EADDRESS: return "ACPI tables: they must lie below 4 GiB";
    default: return "";
  }
}

// 5.2.5.3. Its OEMID names the maker as the tables' headers do.
function writeRsdp(p: usize, base: u64): void {
  store<u64>(p, RSDP_SIGNATURE);
  oemId(p + RSDP_OEMID);
  store<u8>(p + RSDP_REVISION, RSDP_REVISION_ACPI2);
  store<u32>(p + RSDP_RSDT, <u32>(base + RSDT_AT));
  store<u32>(p + RSDP_LENGTH, RSDP_V2_SIZE);
  store<u64>(p + RSDP_XSDT, base + XSDT_AT);
  checksum(p, RSDP_V1_SIZE, RSDP_CHECKSUM);
  checksum(p, RSDP_V2_SIZE, RSDP_EXTENDED_CHECKSUM);
}

// 5.2.10: no firmware, so no waking vector, global lock owner or flags.
function writeFacs(p: usize): void {
  store<u32>(p + FACS_SIGNATURE, SIG_FACS);
  store<u32>(p + FACS_LENGTH, FACS_SIZE);
  store<u8>(p + FACS_VERSION, FACS_VERSION_ACPI6);
}

function writeDsdt(p: usize): void {
  header(p, SIG_DSDT, DSDT_SIZE, DSDT_REVISION);
  const a = p + SDT_HEADER_SIZE;
  store<u8>(a, AML_NAME_OP);
  store<u32>(a + 1, 0x5f35535f);          // "_S5_"
  store<u8>(a + 5, AML_PACKAGE_OP);
  store<u8>(a + 6, S5_PKG_LENGTH);
  store<u8>(a + 7, 4);                    // NumElements
  store<u8>(a + 8, AML_BYTE_PREFIX);
  store<u8>(a + 9, <u8>DOMAIN_SLP_TYP_S5); // SLP_TYPa
  store<u8>(a + 10, AML_BYTE_PREFIX);
  store<u8>(a + 11, <u8>DOMAIN_SLP_TYP_S5); // SLP_TYPb (there is no PM1b block)
  store<u8>(a + 12, AML_ZERO_OP);
  store<u8>(a + 13, AML_ZERO_OP);
  checksum(p, DSDT_SIZE, SDT_CHECKSUM);
}

// 5.2.9. SMI_CMD 0: no SMM, the PM registers are the OS's from the start
// (SCI_EN reads 1). No PM1b, PM2 or GPE blocks, no C2/C3 (the latencies
// say so); C1 is HLT.
// Fixed-feature power button (PWR_BUTTON clear: acpi-pm.ts has PWRBTN_STS),
// no sleep button, no RTC wake status in PM1 (FIX_RTC). FIRMWARE_CTRL
// alone points at the FACS: 5.2.9 wants X_FIRMWARE_CTRL zero when it is
// set. DSDT and X_DSDT both point at the DSDT.
function writeFadt(p: usize, base: u64): void {
  header(p, SIG_FADT, FADT_SIZE, FADT_REVISION);
  store<u32>(p + FADT_FIRMWARE_CTRL, <u32>(base + FACS_AT));
  store<u32>(p + FADT_DSDT, <u32>(base + DSDT_AT));
  store<u16>(p + FADT_SCI_INT, DOMAIN_SCI_IRQ);
  store<u32>(p + FADT_PM1A_EVT_BLK, DOMAIN_PM1A_EVT_BLK);
  store<u32>(p + FADT_PM1A_CNT_BLK, DOMAIN_PM1A_CNT_BLK);
  store<u32>(p + FADT_PM_TMR_BLK, DOMAIN_PM_TMR_BLK);
  store<u8>(p + FADT_PM1_EVT_LEN, DOMAIN_PM1_EVT_LEN);
  store<u8>(p + FADT_PM1_CNT_LEN, DOMAIN_PM1_CNT_LEN);
  store<u8>(p + FADT_PM_TMR_LEN, DOMAIN_PM_TMR_LEN);
  store<u16>(p + FADT_P_LVL2_LAT, P_LVL2_LAT_NONE);
  store<u16>(p + FADT_P_LVL3_LAT, P_LVL3_LAT_NONE);
  // The RTC's century byte (src/devices/rtc.ts); no day or month alarm.
  store<u8>(p + FADT_CENTURY, CMOS_CENTURY);
  // 5.2.9.3: ISA devices the OS cannot find alone (Linux then keeps the
  // PIT, RTC and PICs), and no 8042 (IAPC_8042 clear): the domain's decodes
  // little more than its reset, no keyboard or mouse is behind it, and an OS
  // told there is one polls it for seconds of timeouts (Linux's AUX probe).
  store<u16>(p + FADT_IAPC_BOOT_ARCH, IAPC_LEGACY_DEVICES);
  const tmrExt = DOMAIN_PM_TMR_BITS == 32 ? FADT_TMR_VAL_EXT : 0;
  store<u32>(p + FADT_FLAGS, FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON | FADT_FIX_RTC | tmrExt | FADT_RESET_REG_SUP);
  // The PIIX4 reset control register: a full reset (4.8.3.6).
  gas(p + FADT_RESET_REG, 8, GAS_ACCESS_BYTE, RESET_CONTROL_PORT);
  store<u8>(p + FADT_RESET_VALUE, RESET_CONTROL_SYS_RST | RESET_CONTROL_RST_CPU);
  store<u8>(p + FADT_MINOR_VERSION, FADT_MINOR_REVISION);
  store<u64>(p + FADT_X_DSDT, base + DSDT_AT);
  // The status and enable halves of the event block are words each.
  gas(p + FADT_X_PM1A_EVT_BLK, <u32>DOMAIN_PM1_EVT_LEN << 3, GAS_ACCESS_WORD, DOMAIN_PM1A_EVT_BLK);
  gas(p + FADT_X_PM1A_CNT_BLK, <u32>DOMAIN_PM1_CNT_LEN << 3, GAS_ACCESS_WORD, DOMAIN_PM1A_CNT_BLK);
  gas(p + FADT_X_PM_TMR_BLK, <u32>DOMAIN_PM_TMR_LEN << 3, GAS_ACCESS_DWORD, DOMAIN_PM_TMR_BLK);
  checksum(p, FADT_SIZE, SDT_CHECKSUM);
}

// 5.2.12: the local APICs at their default address, one per vCPU (ACPI
// Processor UID = APIC ID = index), the I/O APIC, the ISA overrides and
// the NMI on LINT1 of every processor. Returns the table's length.
function writeMadt(p: usize, vcpus: u32): u32 {
  const len = madtSize(vcpus);
  header(p, SIG_MADT, len, MADT_REVISION);
  store<u32>(p + MADT_LAPIC_ADDRESS, <u32>APIC_DEFAULT_BASE);
  store<u32>(p + MADT_FLAGS, MADT_PCAT_COMPAT);
  let e = p + MADT_ENTRIES;
  for (let i: u32 = 0; i < vcpus; i++) {
    store<u8>(e, MADT_TYPE_LAPIC);
    store<u8>(e + 1, <u8>MADT_LAPIC_SIZE);
    store<u8>(e + 2, <u8>i);
    store<u8>(e + 3, <u8>i);
    store<u32>(e + 4, MADT_LAPIC_ENABLED);
    e += MADT_LAPIC_SIZE;
  }
  store<u8>(e, MADT_TYPE_IOAPIC);
  store<u8>(e + 1, <u8>MADT_IOAPIC_SIZE);
  store<u8>(e + 2, 0);                    // I/O APIC ID
  store<u32>(e + 4, <u32>IOAPIC_DEFAULT_BASE);
  store<u32>(e + 8, 0);                   // its first GSI
  e += MADT_IOAPIC_SIZE;
  e = iso(e, ISO_PIT_IRQ, ISO_PIT_GSI, <u16>MPS_CONFORMS);
  e = iso(e, DOMAIN_SCI_IRQ, DOMAIN_SCI_IRQ, ISO_SCI_FLAGS);
  store<u8>(e, MADT_TYPE_LAPIC_NMI);
  store<u8>(e + 1, <u8>MADT_LAPIC_NMI_SIZE);
  store<u8>(e + 2, MADT_ALL_PROCESSORS);
  store<u16>(e + 3, <u16>MPS_CONFORMS);
  store<u8>(e + 5, LINT1);
  checksum(p, len, SDT_CHECKSUM);
  return len;
}

function iso(e: usize, irq: u8, gsi: u32, flags: u16): usize {
  store<u8>(e, MADT_TYPE_ISO);
  store<u8>(e + 1, <u8>MADT_ISO_SIZE);
  store<u8>(e + 2, MADT_BUS_ISA);
  store<u8>(e + 3, irq);
  store<u32>(e + 4, gsi);
  store<u16>(e + 8, flags);
  return e + MADT_ISO_SIZE;
}

// A system I/O register of `bits` bits at `port` (5.2.3.2).
function gas(p: usize, bits: u32, access: u8, port: u64): void {
  store<u8>(p + GAS_SPACE_ID, GAS_SPACE_SYSTEM_IO);
  store<u8>(p + GAS_BIT_WIDTH, <u8>bits);
  store<u8>(p + GAS_ACCESS_SIZE, access);
  store<u64>(p + GAS_ADDRESS, port);
}

// 5.2.6; the checksum comes last.
function header(p: usize, sig: u32, len: u32, revision: u8): void {
  store<u32>(p + SDT_SIGNATURE, sig);
  store<u32>(p + SDT_LENGTH, len);
  store<u8>(p + SDT_REVISION, revision);
  oemId(p + SDT_OEMID);
  store<u64>(p + SDT_OEM_TABLE_ID, OEM_TABLE_ID);
  store<u32>(p + SDT_OEM_REVISION, OEM_REVISION);
  store<u32>(p + SDT_CREATOR_ID, CREATOR_ID);
  store<u32>(p + SDT_CREATOR_REVISION, CREATOR_REVISION);
}

function oemId(p: usize): void {
  store<u32>(p, OEM_ID_LOW);
  store<u16>(p + 4, OEM_ID_HIGH);
}

// Sets the byte at `p + at` so that the `len` bytes at `p` sum to 0.
function checksum(p: usize, len: u32, at: u32): void {
  store<u8>(p + at, 0);
  let sum: u32 = 0;
  for (let i: u32 = 0; i < len; i++) sum += load<u8>(p + i);
  store<u8>(p + at, <u8>(0x100 - (sum & 0xff)));
}
