// HLT: the vCPU blocks until an event or an interrupt is pending for it. Nothing is spent
// spinning; the scheduler skips blocked vCPUs. RFLAGS.IF at the HLT decides
// whether an event can end it (src/domain/events.ts): `cli; hlt` stays
// halted, as on hardware.
import { Vcpu } from "../../domain/domain";
import { ACTION_NEXT, ACTION_BLOCK } from "../action";
import { vmcsReadNat } from "../vmcs";
import { GUEST_RFLAGS } from "../../arch/vmcs";
import { RFLAGS_IF } from "../../arch/cr";

export function handleHlt(vcpu: Vcpu): u32 {
  vcpu.state.haltIf = (vmcsReadNat(GUEST_RFLAGS) & RFLAGS_IF) != 0;
  // An event already waiting ends the HLT at once, as a pending interrupt
  // would on hardware: the entry after it injects the vector.
  if (vcpu.state.intrPending && vcpu.state.haltIf) return ACTION_NEXT;
  // So does what the LAPIC has: an interrupt it would deliver (with
  // RFLAGS.IF = 1), an NMI or INIT (regardless).
  const lapic = vcpu.lapic;
  if (lapic !== null && lapic.wants() && (vcpu.state.haltIf || lapic.pendingNmi() || lapic.pendingInit())) {
    vcpu.irqPending = true;
    return ACTION_NEXT;
  }
  return ACTION_BLOCK;
}
