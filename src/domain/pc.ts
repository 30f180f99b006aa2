// The PC a DomU is: the chipset's models (src/devices/) made for it and
// wired as on a PC with a PIIX and an I/O APIC (what QEMU's pc machine and
// the MADT describe):
//
//   ISA IRQ n ──┬── 8259A pair input n ── INT ── vCPU 0's LAPIC LINT0 (ExtINT)
//               └── I/O APIC pin n (IRQ 0 on pin 2) ── messages ── LAPICs
//   LAPIC (one per vCPU) ── IPIs ── the domain's APIC bus ── LAPICs
//   LAPIC `intr` line ── the vCPU: woken, its CPU kicked to inject
//
// Devices: PIT (0x40-0x43, 0x61; IRQ 0), RTC/CMOS (0x70-0x71; IRQ 8), PIC
// (0x20, 0xA0, 0x4D0), PCI host bridge (0xCF8-0xCFF, reset at 0xCF9), ACPI
// PM (0x600-0x60B; SCI IRQ 9), fw_cfg (0x510), the 8042's reset (0x60,
// 0x64), port 0x92 (fast reset, A20), I/O APIC (0xFEC00000), a
// local APIC per vCPU (at its IA32_APIC_BASE, 0xFEE00000), and the ACPI
// tables at GUEST_ACPI_GPA. Everything is made in the domain's arena.
import { Domain, Vcpu } from "./domain";
import { vcpuWake, vcpuKick, vcpuStartup } from "./wake";
import { guestCopy } from "./memory";
import { Clock } from "../devices/clock";
import { IrqController, IrqLine } from "../devices/irq";
import { ApicBus, ApicMessage, APIC_DEST_NONE, APIC_DEST_SELF, APIC_DEST_ALL, APIC_DM_LOWEST } from "../devices/apic-bus";
import { Pic8259Pair } from "../devices/pic";
import { IoApic } from "../devices/ioapic";
import { PitDevice, pitRegister } from "../devices/pit";
import { RtcDevice, cmosWritePcLayout } from "../devices/rtc";
import { AcpiPm } from "../devices/acpi-pm";
import { acpiTablesWrite, acpiTablesSize, acpiTablesError } from "../devices/acpi-tables";
import { PciHost } from "../devices/pci-host";
import { FwCfg } from "../devices/fw-cfg";
import { Lapic } from "../devices/lapic";
import { rdtsc } from "../arch/hw";
import { tscHz } from "../cpu/tsc";
import { PIC_MASTER_CMD, PIC_SLAVE_CMD, PIC_ELCR1 } from "../arch/i8259";
import { RTC_INDEX_PORT, RTC_PORTS, RTC_ISA_IRQ } from "../arch/mc146818";
import { IOAPIC_DEFAULT_BASE, LAPIC_PAGE_SIZE } from "../arch/apic";
import { Bus } from "../devices/bus";
import { SPACE_MMIO } from "../devices/device";
import { IOAPIC_MMIO_SIZE } from "../arch/ioapic";
import { DOMAIN_PM1A_EVT_BLK, DOMAIN_PM_PORTS, DOMAIN_SCI_IRQ } from "../arch/acpi";
import { PCI_CONFIG_PORT, PCI_CONFIG_PORTS, KBC_DATA_PORT, KBC_COMMAND_PORT, PORT_A_PORT } from "../arch/platform";
import { I8042 } from "../devices/i8042";
import { Port92 } from "../devices/port92";
import { FW_CFG_PORT_SEL, FW_CFG_PORTS } from "../arch/fw-cfg";
import { GUEST_ACPI_GPA } from "../arch/abi";
import { PC_LOW_RAM_TOP } from "../devices/e820";

// ISA IRQs as the MADT's overrides route them to the I/O APIC.
const PIT_IRQ: u32 = 0;
const IOAPIC_PIN_OF_IRQ0: u32 = 2;
// The guest's MAXPHYADDR as far as the APIC base goes (36: every CPU has
// at least that; the model refuses bases above it).
const GUEST_PHYS_BITS: u32 = 36;

// A vCPU's TSC: the host's plus the vCPU's offset (the LAPIC's timer and
// vCPU 0's devices count on it).
@final
class VcpuClock extends Clock {
  constructor(public vcpu: Vcpu) {
    super();
  }
  now(): u64 { return rdtsc() + this.vcpu.tscOffset; }
  hz(): u64 { return tscHz(); }
}

// ISA IRQ n to PIC input n and to its I/O APIC pin.
@final
class IsaIrqs extends IrqController {
  constructor(public pic: Pic8259Pair, public ioapic: IoApic) {
    super();
  }
  setLevel(irq: u32, level: bool): void {
    this.pic.setIrq(irq, level);
    this.ioapic.setPin(irq == PIT_IRQ ? IOAPIC_PIN_OF_IRQ0 : irq, level);
  }
}

// The PIC's INT to vCPU 0's LINT0.
@final
class PicOutput extends IrqController {
  constructor(public dom: Domain) {
    super();
  }
  setLevel(input: u32, level: bool): void {
    const lapic = unchecked(this.dom.vcpus[0]).lapic;
    if (lapic !== null) lapic.setLint(0, level);
  }
}

// A LAPIC's `intr` (something for its CPU): the vCPU looks at its next
// entry (src/vmx/event.ts); it wakes if it can take it, and its CPU, if it
// runs the vCPU, leaves the guest for it. A vCPU in wait-for-SIPI takes
// INIT and STARTUP here, no CPU running it.
@final
class VcpuIntr extends IrqController {
  constructor(public dom: Domain) {
    super();
  }
  setLevel(vcpu: u32, level: bool): void {
    if (!level || vcpu >= <u32>this.dom.vcpus.length) return;
    const v = unchecked(this.dom.vcpus[<i32>vcpu]);
    const lapic = v.lapic!;
    if (v.state.waitSipi) {
      lapic.takeInit();
      const vector = lapic.takeSipi();
      if (vector >= 0) vcpuStartup(v, <u32>vector);
      return;
    }
    // A STARTUP outside wait-for-SIPI is ignored (SDM Vol. 3A 9.4.2), unless
    // an INIT before it waits for this vCPU to take it.
    if (lapic.pendingSipi() && !lapic.pendingInit()) lapic.takeSipi();
    v.irqPending = true;
    if (v.state.halted && lapic.wants()) vcpuWake(v, true, lapic.pendingNmi() || lapic.pendingInit());
    vcpuKick(v);
  }
}

// Interrupt messages among the domain's APICs: to every LAPIC the message
// is addressed to (lowest priority: the first of them), EOIs of
// level-triggered vectors to the I/O APIC.
@final
class PcApicBus extends ApicBus {
  constructor(public dom: Domain) {
    super();
  }

  send(m: ApicMessage, from: i32): void {
    const vcpus = this.dom.vcpus;
    for (let i = 0; i < vcpus.length; i++) {
      const lapic = unchecked(vcpus[i]).lapic;
      if (lapic === null) continue;
      let to: bool;
      if (m.shorthand == APIC_DEST_NONE) to = lapic.matches(m.dest, m.logical, m.x2apic);
      else if (m.shorthand == APIC_DEST_SELF) to = i == from;
      else if (m.shorthand == APIC_DEST_ALL) to = true;
      else to = i != from;
      if (!to) continue;
      lapic.receive(m);
      if (m.delivery == APIC_DM_LOWEST && m.shorthand == APIC_DEST_NONE) return;
    }
  }

  eoi(vector: u32): void {
    const ioapic = this.dom.ioapic;
    if (ioapic !== null) ioapic.eoi(vector);
  }
}

// Makes the domain's PC, in its arena, its vCPUs made: a LAPIC in each
// vCPU, the chipset on its buses. `startTime`: the RTC's wall clock
// (seconds since 1970). Returns the controller its ISA devices' lines go to.
export function pcCreate(dom: Domain, startTime: i64): IrqController {
  const bus = new PcApicBus(dom);
  const vcpu0 = unchecked(dom.vcpus[0]);
  const clock0 = new VcpuClock(vcpu0);
  const intr = new VcpuIntr(dom);
  for (let i = 0; i < dom.vcpus.length; i++) {
    const v = unchecked(dom.vcpus[i]);
    const lapic = dom.device(new Lapic(<u32>i, bus, i == 0 ? clock0 : new VcpuClock(v), dom.timers, new IrqLine(intr, <u32>i), GUEST_PHYS_BITS));
    v.lapic = lapic;
    const mmio = new Bus(SPACE_MMIO);
    mmio.register(lapic.mmioBase(), LAPIC_PAGE_SIZE, lapic);
    v.mmio = mmio;
    // The application processors wait for their STARTUP, as after RESET.
    if (i != 0) v.state.waitSipi = true;
  }
  const pic = dom.device(new Pic8259Pair(new IrqLine(new PicOutput(dom), 0)));
  const ioapic = dom.device(new IoApic(bus, 0));
  dom.pic = pic;
  dom.ioapic = ioapic;
  const isa = new IsaIrqs(pic, ioapic);
  const pit = dom.device(new PitDevice(new IrqLine(isa, PIT_IRQ), dom.timers, 0, clock0));
  const rtc = dom.device(new RtcDevice(clock0, dom.timers, new IrqLine(isa, RTC_ISA_IRQ), startTime));
  cmosWritePcLayout(rtc, dom.guest.memBytes, 0);

  // The chipset, a line each: the bus range and the model.
  const ports = dom.ports;
  pitRegister(ports, pit);
  ports.register(PIC_MASTER_CMD, 2, pic);
  ports.register(PIC_SLAVE_CMD, 2, pic);
  ports.register(PIC_ELCR1, 2, pic);
  ports.register(RTC_INDEX_PORT, RTC_PORTS, rtc);
  ports.register(PCI_CONFIG_PORT, PCI_CONFIG_PORTS, dom.device(new PciHost()));
  ports.register(DOMAIN_PM1A_EVT_BLK, DOMAIN_PM_PORTS, dom.device(new AcpiPm(clock0, new IrqLine(isa, DOMAIN_SCI_IRQ), dom.timers)));
  ports.register(FW_CFG_PORT_SEL, FW_CFG_PORTS, dom.device(new FwCfg(dom.guest.memBytes, <u32>dom.vcpus.length, PC_LOW_RAM_TOP)));
  const kbc = dom.device(new I8042());
  ports.register(KBC_DATA_PORT, 1, kbc);
  ports.register(KBC_COMMAND_PORT, 1, kbc);
  ports.register(PORT_A_PORT, 1, dom.device(new Port92()));
  dom.mmio.register(IOAPIC_DEFAULT_BASE, IOAPIC_MMIO_SIZE, ioapic);
  return isa;
}

// The wall clock: the host RTC's seconds since 1970 at host TSC `at` (kmain
// reads it once); a new domain's RTC starts at the time it is made.
let wallSeconds: i64 = 0;
let wallTsc: u64 = 0;

export function pcWallClockSet(seconds: i64, at: u64): void {
  wallSeconds = seconds;
  wallTsc = at;
}

export function pcWallClockNow(): i64 {
  return wallSeconds + <i64>((rdtsc() - wallTsc) / tscHz());
}

// Scratch for the tables on their way into guest memory.
const TABLES_MAX: u32 = 0x1000;
const tables = memory.data(<i32>TABLES_MAX, 16);

// Writes the domain's ACPI tables at GUEST_ACPI_GPA; "" or why not.
export function pcWriteAcpiTables(dom: Domain): string {
  const n = <u32>dom.vcpus.length;
  if (acpiTablesSize(n) > TABLES_MAX) return "too many vCPUs for the ACPI tables";
  const len = acpiTablesWrite(tables, GUEST_ACPI_GPA, n, TABLES_MAX);
  if (len < 0) return acpiTablesError(len);
  return guestCopy(dom, GUEST_ACPI_GPA, tables, <u64>len, true) ? "" : "no guest memory at the ACPI tables' place";
}
