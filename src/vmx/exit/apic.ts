// The exits of APIC virtualization (SDM Vol. 3C 30.4-30.5, 29.2.1 Table
// 29-6): each goes to the vCPU's LAPIC model (src/devices/lapic.ts).
// - APIC write (56), trap-like: the CPU stored the guest's write in the
//   virtual-APIC page at the offset in the qualification; the model does
//   what the write does (ICR sends, LVT and timer registers take effect).
// - Virtualized EOI (45), trap-like: the CPU cleared the vector's ISR bit;
//   the model finishes a level-triggered EOI (the I/O APIC's remote IRR).
// - APIC access (44), fault-like: an access the CPU does not virtualize
//   (the timer's current count, a misaligned or odd-width access): decoded
//   and done as MMIO on the vCPU's bus. One during event delivery or an
//   instruction fetch from the page stops the domain.
import { Vcpu } from "../../domain/domain";
import { ACTION_RESUME, actionStop } from "../action";
import { vmcsReadNat } from "../vmcs";
import { mmio } from "./ept-violation";
import { EXIT_QUALIFICATION } from "../../arch/vmcs";
import { hex, dec } from "../../lib/str";

const APIC_ACCESS_OFFSET_MASK: u64 = 0xfff;
const APIC_ACCESS_TYPE_SHIFT: u64 = 12;
const APIC_ACCESS_TYPE_MASK: u64 = 0xf;
const APIC_ACCESS_LINEAR_READ: u32 = 0;
const APIC_ACCESS_LINEAR_WRITE: u32 = 1;

export function handleApicWrite(vcpu: Vcpu): u32 {
  const lapic = vcpu.lapic;
  if (lapic === null) return actionStop(vcpu.domain, "APIC write exit without a LAPIC");
  lapic.apicWrite(<u32>(vmcsReadNat(EXIT_QUALIFICATION) & APIC_ACCESS_OFFSET_MASK));
  return ACTION_RESUME;
}

export function handleVirtualizedEoi(vcpu: Vcpu): u32 {
  const lapic = vcpu.lapic;
  if (lapic === null) return actionStop(vcpu.domain, "virtualized EOI exit without a LAPIC");
  lapic.eoiVirtualized(<u32>(vmcsReadNat(EXIT_QUALIFICATION) & 0xff));
  return ACTION_RESUME;
}

export function handleApicAccess(vcpu: Vcpu): u32 {
  const lapic = vcpu.lapic;
  const own = vcpu.mmio;
  const q = vmcsReadNat(EXIT_QUALIFICATION);
  const type = <u32>((q >> APIC_ACCESS_TYPE_SHIFT) & APIC_ACCESS_TYPE_MASK);
  const offset = q & APIC_ACCESS_OFFSET_MASK;
  if (lapic === null || own === null || (type != APIC_ACCESS_LINEAR_READ && type != APIC_ACCESS_LINEAR_WRITE)) {
    return actionStop(vcpu.domain, "APIC access of type " + dec(type) + " at offset " + hex(offset, 3) + " not emulated");
  }
  return mmio(vcpu, own, lapic.mmioBase() + offset, type == APIC_ACCESS_LINEAR_WRITE);
}
