// The machine's CPUs and interrupt controllers, from ACPI: RSDP -> XSDT (or
// RSDT) -> MADT. The RSDP comes from the boot loader (multiboot2 tag) or,
// under multiboot1, from the BIOS areas the spec names (the first KiB of the
// EBDA, 0xE0000-0xFFFFF). Every table is bounded and checksummed; a bad one
// is an error string, and the caller falls back to one CPU and the default
// I/O APIC.
import {
  RSDP_SIGNATURE, RSDP_V1_SIZE, RSDP_V2_SIZE, RSDP_REVISION, RSDP_RSDT, RSDP_LENGTH, RSDP_XSDT,
  SDT_SIGNATURE, SDT_LENGTH, SDT_HEADER_SIZE, SIG_RSDT, SIG_XSDT, SIG_MADT,
  MADT_LAPIC_ADDRESS, MADT_ENTRIES, MADT_TYPE_LAPIC, MADT_TYPE_IOAPIC, MADT_TYPE_ISO,
  MADT_TYPE_LAPIC_OVERRIDE, MADT_TYPE_X2APIC, MADT_LAPIC_ENABLED,
  MPS_POLARITY_MASK, MPS_POLARITY_ACTIVE_LOW, MPS_TRIGGER_SHIFT, MPS_TRIGGER_MASK, MPS_TRIGGER_LEVEL,
} from "../arch/acpi";
import { APIC_DEFAULT_BASE } from "../arch/msr";
import { IOAPIC_DEFAULT_BASE } from "../arch/apic";
import { HV_MAPPED_BYTES } from "../arch/layout";
import { hex, dec } from "../lib/str";
import { println } from "../log/log";

export const ACPI_CPUS_MAX: u32 = 64;
const IOAPICS_MAX: u32 = 8;
const ISA_IRQS: u32 = 16;
const TABLE_MAX: u32 = 1 << 20;       // no MADT or root table is near this
const EBDA_SEGMENT_PTR: usize = 0x40e;
const BIOS_AREA: usize = 0xe0000;
const BIOS_AREA_END: usize = 0x100000;

// ISA IRQ routing flags (acpiIsaIrqFlags).
export const IRQ_ACTIVE_LOW: u32 = 1;
export const IRQ_LEVEL: u32 = 2;

let lapicBase: u64 = APIC_DEFAULT_BASE;
const cpuApicIds = new StaticArray<u32>(ACPI_CPUS_MAX);
let cpuCount: u32 = 0;
let cpusDropped: u32 = 0;
const ioapicBases = new StaticArray<u64>(IOAPICS_MAX);
const ioapicGsiBases = new StaticArray<u32>(IOAPICS_MAX);
let ioapicCount: u32 = 0;
const isaGsi = new StaticArray<u32>(ISA_IRQS);
const isaFlags = new StaticArray<u32>(ISA_IRQS);

function checksumOk(p: usize, len: u32): bool {
  let sum: u32 = 0;
  for (let i: u32 = 0; i < len; i++) sum += load<u8>(p + i);
  return (sum & 0xff) == 0;
}

// A table at physical `pa` we can read whole: mapped, sane length, checksum.
function tableOk(pa: u64, sig: u32): bool {
  if (pa == 0 || pa + SDT_HEADER_SIZE > HV_MAPPED_BYTES) return false;
  const p = <usize>pa;
  const len = load<u32>(p + SDT_LENGTH);
  if (load<u32>(p + SDT_SIGNATURE) != sig || len < SDT_HEADER_SIZE || len > TABLE_MAX) return false;
  if (pa + len > HV_MAPPED_BYTES) return false;
  return checksumOk(p, len);
}

function rsdpAt(p: usize): bool {
  return load<u64>(p) == RSDP_SIGNATURE && checksumOk(p, RSDP_V1_SIZE);
}

function scanRsdp(from: usize, to: usize): usize {
  for (let p = from; p + RSDP_V1_SIZE <= to; p += 16) if (rsdpAt(p)) return p;
  return 0;
}

// The RSDP the firmware left in the BIOS areas, or 0.
export function acpiFindRsdp(): u64 {
  const ebda = <usize>load<u16>(EBDA_SEGMENT_PTR) << 4;
  if (ebda >= 0x80000 && ebda < 0xa0000) {
    const p = scanRsdp(ebda, ebda + 1024);
    if (p != 0) return p;
  }
  return scanRsdp(BIOS_AREA, BIOS_AREA_END);
}

// Reads the MADT through the RSDP at `rsdp` (0: search the BIOS areas).
// Returns "" or what was wrong; on error the defaults stay: the boot CPU
// alone, the I/O APIC at its usual address, ISA IRQ n = GSI n.
export function acpiInit(rsdp: u64, bootApicId: u32): string {
  for (let i: u32 = 0; i < ISA_IRQS; i++) {
    unchecked(isaGsi[i] = i);
    unchecked(isaFlags[i] = 0);
  }
  cpuCount = 1;
  unchecked(cpuApicIds[0] = bootApicId);
  ioapicCount = 1;
  unchecked(ioapicBases[0] = IOAPIC_DEFAULT_BASE);
  unchecked(ioapicGsiBases[0] = 0);

  if (rsdp == 0) rsdp = acpiFindRsdp();
  if (rsdp == 0) return "no ACPI RSDP";
  const r = <usize>rsdp;
  if (!rsdpAt(r)) return "bad RSDP at " + hex(rsdp);
  let madt: u64 = 0;
  const rev = load<u8>(r + RSDP_REVISION);
  const xsdt = rev >= 2 && checksumOk(r, RSDP_V2_SIZE) && load<u32>(r + RSDP_LENGTH) >= RSDP_V2_SIZE
    ? load<u64>(r + RSDP_XSDT) : 0;
  if (xsdt != 0 && tableOk(xsdt, SIG_XSDT)) {
    madt = findTable(xsdt, 8, SIG_MADT);
  } else {
    const rsdt = <u64>load<u32>(r + RSDP_RSDT);
    if (!tableOk(rsdt, SIG_RSDT)) return "no valid XSDT or RSDT";
    madt = findTable(rsdt, 4, SIG_MADT);
  }
  if (madt == 0) return "no valid MADT";
  return parseMadt(<usize>madt, bootApicId);
}

function findTable(root: u64, entrySize: u32, sig: u32): u64 {
  const p = <usize>root;
  const n = (load<u32>(p + SDT_LENGTH) - SDT_HEADER_SIZE) / entrySize;
  for (let i: u32 = 0; i < n; i++) {
    const e = p + SDT_HEADER_SIZE + i * entrySize;
    const pa = entrySize == 8 ? load<u64>(e) : <u64>load<u32>(e);
    if (tableOk(pa, sig)) return pa;
  }
  return 0;
}

function parseMadt(p: usize, bootApicId: u32): string {
  const end = p + load<u32>(p + SDT_LENGTH);
  lapicBase = <u64>load<u32>(p + MADT_LAPIC_ADDRESS);
  // The boot CPU first, whatever its place in the table.
  let cpus: u32 = 1;
  let ioapics: u32 = 0;
  for (let e = p + MADT_ENTRIES; e + 2 <= end;) {
    const type = load<u8>(e);
    const len = <usize>load<u8>(e + 1);
    if (len < 2 || e + len > end) return "MADT entry at offset " + hex(e - p) + " overruns the table";
    if ((type == MADT_TYPE_LAPIC && len >= 8) || (type == MADT_TYPE_X2APIC && len >= 16)) {
      const id = type == MADT_TYPE_LAPIC ? <u32>load<u8>(e + 3) : load<u32>(e + 4);
      const flags = load<u32>(e + (type == MADT_TYPE_LAPIC ? 4 : 8));
      if ((flags & MADT_LAPIC_ENABLED) != 0 && id != bootApicId) {
        if (cpus < ACPI_CPUS_MAX) unchecked(cpuApicIds[cpus++] = id);
        else cpusDropped++;
      }
    } else if (type == MADT_TYPE_IOAPIC && len >= 12 && ioapics < IOAPICS_MAX) {
      unchecked(ioapicBases[ioapics] = <u64>load<u32>(e + 4));
      unchecked(ioapicGsiBases[ioapics] = load<u32>(e + 8));
      ioapics++;
    } else if (type == MADT_TYPE_ISO && len >= 10 && load<u8>(e + 2) == 0) {
      const irq = <u32>load<u8>(e + 3);
      const mps = <u32>load<u16>(e + 8);
      if (irq < ISA_IRQS) {
        unchecked(isaGsi[irq] = load<u32>(e + 4));
        let f: u32 = 0;
        if ((mps & MPS_POLARITY_MASK) == MPS_POLARITY_ACTIVE_LOW) f |= IRQ_ACTIVE_LOW;
        if (((mps >> MPS_TRIGGER_SHIFT) & MPS_TRIGGER_MASK) == MPS_TRIGGER_LEVEL) f |= IRQ_LEVEL;
        unchecked(isaFlags[irq] = f);
      }
    } else if (type == MADT_TYPE_LAPIC_OVERRIDE && len >= 12) {
      lapicBase = load<u64>(e + 4);
    }
    e += len;
  }
  cpuCount = cpus;
  if (ioapics != 0) ioapicCount = ioapics;
  return "";
}

// CPUs: index 0 is the boot CPU, then the enabled ones in MADT order.
export function acpiCpuCount(): u32 { return cpuCount; }
export function acpiCpuApicId(i: u32): u32 { return i < cpuCount ? unchecked(cpuApicIds[i]) : 0xffffffff; }
// Enabled CPUs beyond ACPI_CPUS_MAX, left out.
export function acpiCpusDropped(): u32 { return cpusDropped; }
export function acpiLapicBase(): u64 { return lapicBase; }

export function acpiIoapicCount(): u32 { return ioapicCount; }
export function acpiIoapicBase(i: u32): u64 { return unchecked(ioapicBases[i < ioapicCount ? i : 0]); }
export function acpiIoapicGsiBase(i: u32): u32 { return unchecked(ioapicGsiBases[i < ioapicCount ? i : 0]); }

// The global system interrupt an ISA IRQ arrives on, and its IRQ_* flags
// (ISA default: edge, active high).
export function acpiIsaIrqGsi(irq: u32): u32 { return irq < ISA_IRQS ? unchecked(isaGsi[irq]) : irq; }
export function acpiIsaIrqFlags(irq: u32): u32 { return irq < ISA_IRQS ? unchecked(isaFlags[irq]) : 0; }

// One line for the boot log: acpiInit's outcome and what it found.
export function acpiPrint(error: string): void {
  if (error.length != 0) {
    println("hv: ACPI: " + error + "; assuming one CPU and the I/O APIC at " + hex(IOAPIC_DEFAULT_BASE));
    return;
  }
  let ids = "";
  for (let i: u32 = 0; i < cpuCount; i++) ids += (i == 0 ? "" : ",") + dec(unchecked(cpuApicIds[i]));
  let line = "hv: ACPI: " + dec(cpuCount) + " CPU" + (cpuCount == 1 ? "" : "s") + " (APIC ids " + ids + ")";
  if (cpusDropped != 0) line += ", " + dec(cpusDropped) + " more left out";
  line += ", LAPIC " + hex(lapicBase) + ", I/O APIC";
  for (let i: u32 = 0; i < ioapicCount; i++) {
    line += " " + hex(unchecked(ioapicBases[i])) + " (GSI " + dec(unchecked(ioapicGsiBases[i])) + ")";
  }
  println(line);
}
