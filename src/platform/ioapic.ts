// The machine's I/O APICs (82093AA datasheet; SDM Vol. 3A 11.1): every
// input masked at boot, then routed one at a time to the host vector
// HV_VECTOR_IRQ_BASE + GSI on the boot CPU as its owner asks. The legacy
// PICs stay masked (src/platform/pic.ts): the I/O APIC is the only path.
// Registers are reached through the direct map (IOREGSEL / IOWIN).
import {
  IOAPIC_REGSEL, IOAPIC_WINDOW, IOAPIC_REG_VERSION, IOAPIC_REG_REDIR,
  IOAPIC_VERSION_MAX_REDIR_SHIFT, IOAPIC_VERSION_MAX_REDIR_MASK,
  IOAPIC_REDIR_VECTOR_MASK, IOAPIC_REDIR_FIXED, IOAPIC_REDIR_DEST_PHYSICAL, IOAPIC_REDIR_ACTIVE_LOW,
  IOAPIC_REDIR_LEVEL, IOAPIC_REDIR_MASKED, IOAPIC_REDIR_DEST_SHIFT,
} from "../arch/apic";
import { HV_VECTOR_IRQ_BASE, HV_VECTOR_IRQ_COUNT, HV_MAPPED_BYTES } from "../arch/layout";
import {
  acpiIoapicCount, acpiIoapicBase, acpiIoapicGsiBase, acpiIsaIrqGsi, acpiIsaIrqFlags, IRQ_ACTIVE_LOW, IRQ_LEVEL,
} from "./acpi";

const IOAPICS_MAX: u32 = 8;
const REGISTER_SPAN: u64 = 0x20;

const bases = new StaticArray<usize>(IOAPICS_MAX);
const gsiBases = new StaticArray<u32>(IOAPICS_MAX);
const inputs = new StaticArray<u32>(IOAPICS_MAX);
let units: u32 = 0;

function read(base: usize, reg: u32): u32 {
  store<u32>(base + IOAPIC_REGSEL, reg);
  return load<u32>(base + IOAPIC_WINDOW);
}

function write(base: usize, reg: u32, value: u32): void {
  store<u32>(base + IOAPIC_REGSEL, reg);
  store<u32>(base + IOAPIC_WINDOW, value);
}

// Masks every input of every I/O APIC the ACPI MADT lists (acpiInit first).
// Returns the number of inputs found.
export function ioapicInit(): u32 {
  units = 0;
  let total: u32 = 0;
  const n = acpiIoapicCount();
  for (let i: u32 = 0; i < n && units < IOAPICS_MAX; i++) {
    const pa = acpiIoapicBase(i);
    if (pa == 0 || pa + REGISTER_SPAN > HV_MAPPED_BYTES) continue;
    const base = <usize>pa;
    const count = ((read(base, IOAPIC_REG_VERSION) >> IOAPIC_VERSION_MAX_REDIR_SHIFT) & IOAPIC_VERSION_MAX_REDIR_MASK) + 1;
    for (let k: u32 = 0; k < count; k++) {
      write(base, IOAPIC_REG_REDIR + 2 * k, IOAPIC_REDIR_MASKED);
      write(base, IOAPIC_REG_REDIR + 2 * k + 1, 0);
    }
    unchecked(bases[units] = base);
    unchecked(gsiBases[units] = acpiIoapicGsiBase(i));
    unchecked(inputs[units] = count);
    units++;
    total += count;
  }
  return total;
}

// The I/O APIC holding `gsi` (its index), or -1.
function unitOf(gsi: u32): i32 {
  for (let i: u32 = 0; i < units; i++) {
    if (gsi - unchecked(gsiBases[i]) < unchecked(inputs[i])) return <i32>i;  // unsigned: below base fails too
  }
  return -1;
}

// The host vector of `gsi`, or -1 when it has none.
export function ioapicVector(gsi: u32): i32 {
  return gsi < HV_VECTOR_IRQ_COUNT ? <i32>(HV_VECTOR_IRQ_BASE + gsi) : -1;
}

// Programs ISA IRQ `irq` (its GSI, polarity and trigger from the MADT's
// interrupt source overrides) as a fixed interrupt to HV_VECTOR_IRQ_BASE +
// GSI on the CPU with APIC id `dest`, masked. Returns the GSI, or -1 if no
// I/O APIC has it or it has no host vector.
export function ioapicRouteIsa(irq: u32, dest: u32): i32 {
  const gsi = acpiIsaIrqGsi(irq);
  const vector = ioapicVector(gsi);
  const u = unitOf(gsi);
  if (vector < 0 || u < 0) return -1;
  const flags = acpiIsaIrqFlags(irq);
  let low = (<u32>vector & IOAPIC_REDIR_VECTOR_MASK) | IOAPIC_REDIR_FIXED | IOAPIC_REDIR_DEST_PHYSICAL | IOAPIC_REDIR_MASKED;
  if (flags & IRQ_ACTIVE_LOW) low |= IOAPIC_REDIR_ACTIVE_LOW;
  if (flags & IRQ_LEVEL) low |= IOAPIC_REDIR_LEVEL;
  const base = unchecked(bases[u]);
  const entry = IOAPIC_REG_REDIR + 2 * (gsi - unchecked(gsiBases[u]));
  // Masked while the destination changes, so no half-written entry fires.
  write(base, entry, IOAPIC_REDIR_MASKED);
  write(base, entry + 1, dest << IOAPIC_REDIR_DEST_SHIFT);
  write(base, entry, low);
  return <i32>gsi;
}

function setMask(gsi: u32, masked: bool): bool {
  const u = unitOf(gsi);
  if (u < 0) return false;
  const base = unchecked(bases[u]);
  const entry = IOAPIC_REG_REDIR + 2 * (gsi - unchecked(gsiBases[u]));
  const low = read(base, entry);
  write(base, entry, masked ? low | IOAPIC_REDIR_MASKED : low & ~IOAPIC_REDIR_MASKED);
  return true;
}

export function ioapicUnmask(gsi: u32): bool { return setMask(gsi, false); }
export function ioapicMask(gsi: u32): bool { return setMask(gsi, true); }

// I/O APICs programmed by ioapicInit.
export function ioapicUnits(): u32 { return units; }
