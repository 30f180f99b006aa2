// Test-only exports for the 8259A pair (src/devices/pic.ts,
// tests/unit/pic.test.ts): a rig with the pair on a port bus at its three
// PC ranges, an IrqLine per ISA IRQ into its inputs, and a probe on its
// output line. The generic device exports (devSave, devReset, devRestore,
// devKind in src/exports.ts) take picDevice(rig).
import { Pic8259, Pic8259Pair, PIC_BLOCK_SIZE, PIC_CHIP_SIZE } from "./devices/pic";
import { Bus } from "./devices/bus";
import { Access, SPACE_PORT } from "./devices/device";
import { IrqController, IrqLine } from "./devices/irq";
import {
  PIC_MASTER_CMD, PIC_SLAVE_CMD, PIC_PORTS, PIC_ELCR1, PIC_ELCR_PORTS, PIC_ISA_IRQS,
} from "./arch/i8259";

export const PIC_STATE_SIZE: u32 = PIC_BLOCK_SIZE;
export const PIC_STATE_CHIP: u32 = PIC_CHIP_SIZE;

// The output line's controller: its level and how many changes it saw.
@final
class OutputProbe extends IrqController {
  level: bool = false;
  changes: u32 = 0;

  setLevel(input: u32, level: bool): void {
    this.level = level;
    this.changes++;
  }
}

@final
class PicRig {
  probe: OutputProbe;
  bus: Bus = new Bus(SPACE_PORT);
  access: Access = new Access();
  pic: Pic8259Pair;
  lines: StaticArray<IrqLine> = new StaticArray<IrqLine>(PIC_ISA_IRQS);

  constructor() {
    const probe = new OutputProbe();
    this.probe = probe;
    this.pic = new Pic8259Pair(new IrqLine(probe, 0));
    this.bus.register(PIC_MASTER_CMD, PIC_PORTS, this.pic);
    this.bus.register(PIC_SLAVE_CMD, PIC_PORTS, this.pic);
    this.bus.register(PIC_ELCR1, PIC_ELCR_PORTS, this.pic);
    for (let i: u32 = 0; i < PIC_ISA_IRQS; i++) unchecked(this.lines[i] = new IrqLine(this.pic.inputs, i));
  }
}

export function picRig(): PicRig { return new PicRig(); }
export function picDevice(r: PicRig): Pic8259Pair { return r.pic; }
// Port accesses through the bus, as a guest's IN and OUT.
export function picIn(r: PicRig, port: u32, width: u32): u32 { return <u32>r.bus.read(r.access, port, width); }
export function picOut(r: PicRig, port: u32, width: u32, value: u32): u32 {
  return r.bus.write(r.access, port, width, value);
}
// ISA IRQ `irq` driven through its IrqLine, as a device does.
export function picIrq(r: PicRig, irq: u32, level: bool): void {
  if (irq < PIC_ISA_IRQS) unchecked(r.lines[irq]).set(level);
}
// Any input number straight to the controller, wired or not.
export function picInput(r: PicRig, input: u32, level: bool): void { r.pic.inputs.setLevel(input, level); }
export function picAck(r: PicRig): i32 { return r.pic.acknowledge(); }
export function picHasInterrupt(r: PicRig): bool { return r.pic.hasInterrupt(); }
export function picOutput(r: PicRig): bool { return r.probe.level; }
export function picOutputChanges(r: PicRig): u32 { return r.probe.changes; }
// The state block's layout as src/devices/pic.ts draws it.
export function picLayoutCheck(): u32 {
  let bad: u32 = 0;
  if (offsetof<Pic8259>() != PIC_CHIP_SIZE) bad |= 1;
  if (offsetof<Pic8259>("lines") != 3 || offsetof<Pic8259>("icw3") != 7) bad |= 2;
  if (offsetof<Pic8259>("icw4") != 8 || offsetof<Pic8259>("reserved") != 15) bad |= 4;
  return bad;
}
