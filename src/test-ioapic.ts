// Test-only exports for the guest's I/O APIC (src/devices/ioapic.ts,
// tests/unit/ioapic-model.test.ts): a rig with the model on an MMIO bus at
// 0xFEC00000, an IrqLine per input, and an ApicBus that records what it is
// sent (a fixed log: recording allocates nothing) and passes its EOI
// broadcast back to the model, as the domain's bus will. The generic device
// exports (devRead, devWrite, devSave, devReset, devRestore, devKind in
// src/exports.ts) take vioapicDevice(rig).
import { IoApic, IoApicState, IOAPIC_BLOCK_SIZE, IOAPIC_KIND, IOAPIC_TABLE } from "./devices/ioapic";
import { ApicBus, ApicMessage } from "./devices/apic-bus";
import { Bus } from "./devices/bus";
import { Access, SPACE_MMIO } from "./devices/device";
import { IrqLine } from "./devices/irq";
import { IOAPIC_DEFAULT_BASE } from "./arch/apic";
import { IOAPIC_MMIO_SIZE, IOAPIC_PINS } from "./arch/ioapic";

export const VIOAPIC_STATE_SIZE: u32 = IOAPIC_BLOCK_SIZE;
export const VIOAPIC_KIND: u32 = IOAPIC_KIND;
export const VIOAPIC_BASE: u64 = IOAPIC_DEFAULT_BASE;
export const VIOAPIC_LOG_MAX: u32 = 512;
const RECORD: u32 = 16;

// Each message as 16 bytes: vector, delivery, flags (bit 0 logical, 1
// x2apic, 2 level, 3 trigger), shorthand, dest u32, from i32.
@final
class RecordingBus extends ApicBus {
  ioapic: IoApic | null = null;
  log: usize = heap.alloc(<usize>(VIOAPIC_LOG_MAX * RECORD));
  count: u32 = 0;
  eois: u32 = 0;

  send(m: ApicMessage, from: i32): void {
    if (this.count < VIOAPIC_LOG_MAX) {
      const r = this.log + <usize>(this.count * RECORD);
      store<u8>(r, <u8>m.vector);
      store<u8>(r, <u8>m.delivery, 1);
      store<u8>(r, (m.logical ? 1 : 0) | (m.x2apic ? 2 : 0) | (m.level ? 4 : 0) | (m.trigger ? 8 : 0), 2);
      store<u8>(r, <u8>m.shorthand, 3);
      store<u32>(r, m.dest, 4);
      store<i32>(r, from, 8);
    }
    this.count++;
  }

  eoi(vector: u32): void {
    this.eois++;
    if (this.ioapic !== null) this.ioapic!.eoi(vector);
  }
}

@final
class IoapicRig {
  bus: RecordingBus;
  mmio: Bus = new Bus(SPACE_MMIO);
  access: Access = new Access();
  ioapic: IoApic;
  lines: StaticArray<IrqLine> = new StaticArray<IrqLine>(IOAPIC_PINS);

  constructor(id: u32) {
    const bus = new RecordingBus();
    const io = new IoApic(bus, id);
    bus.ioapic = io;
    this.bus = bus;
    this.ioapic = io;
    this.mmio.register(IOAPIC_DEFAULT_BASE, IOAPIC_MMIO_SIZE, io);
    for (let i: u32 = 0; i < IOAPIC_PINS; i++) unchecked(this.lines[i] = new IrqLine(io.inputs, i));
  }
}

export function vioapicRig(id: u32): IoapicRig { return new IoapicRig(id); }
export function vioapicDevice(r: IoapicRig): IoApic { return r.ioapic; }
// Guest accesses through the MMIO bus, as the EPT-violation path makes them.
export function vioapicMmioRead(r: IoapicRig, gpa: u64, width: u32): u64 { return r.mmio.read(r.access, gpa, width); }
export function vioapicMmioWrite(r: IoapicRig, gpa: u64, width: u32, value: u64): u32 {
  return r.mmio.write(r.access, gpa, width, value);
}
// GSI `gsi` driven through its IrqLine, as a device does.
export function vioapicGsi(r: IoapicRig, gsi: u32, level: bool): void {
  if (gsi < IOAPIC_PINS) unchecked(r.lines[gsi]).set(level);
}
// Any input number straight to the controller, wired or not.
export function vioapicInput(r: IoapicRig, input: u32, level: bool): void { r.ioapic.inputs.setLevel(input, level); }
// The model's EOI entry (what an ApicBus consumer calls), and the EOI
// broadcast through the ApicBus.
export function vioapicEoi(r: IoapicRig, vector: u32): void { r.ioapic.eoi(vector); }
export function vioapicBusEoi(r: IoapicRig, vector: u32): void { r.bus.eoi(vector); }
// Messages sent so far (counted past the log's end), and message `i`
// packed: vector | delivery << 8 | flags << 16 | shorthand << 24 | dest << 32.
export function vioapicSent(r: IoapicRig): u32 { return r.bus.count; }
export function vioapicMessage(r: IoapicRig, i: u32): u64 {
  if (i >= r.bus.count || i >= VIOAPIC_LOG_MAX) return 0;
  const rec = r.bus.log + <usize>(i * RECORD);
  return <u64>load<u32>(rec) | (<u64>load<u32>(rec, 4) << 32);
}
export function vioapicMessageFrom(r: IoapicRig, i: u32): i32 {
  return i < r.bus.count && i < VIOAPIC_LOG_MAX ? load<i32>(r.bus.log + <usize>(i * RECORD), 8) : 0;
}
// The state block's layout as src/devices/ioapic.ts draws it.
export function vioapicLayoutCheck(): u32 {
  let bad: u32 = 0;
  if (offsetof<IoApicState>() != IOAPIC_TABLE) bad |= 1;
  if (offsetof<IoApicState>("id") != 4 || offsetof<IoApicState>("pins") != 8 || offsetof<IoApicState>("reserved") != 12) bad |= 2;
  if (IOAPIC_BLOCK_SIZE != 208) bad |= 4;
  return bad;
}
