// VMCALL: a hypercall (src/hypercall/).
import { Vcpu } from "../../sched/domain";
import { hypercall } from "../../hypercall/dispatch";
import { vmcsRead32 } from "../vmcs";
import { GUEST_CS_ACCESS_RIGHTS, SEGMENT_AR_L } from "../../arch/vmcs";

export function handleVmcall(vcpu: Vcpu): u32 {
  return hypercall(vcpu, (vmcsRead32(GUEST_CS_ACCESS_RIGHTS) & SEGMENT_AR_L) != 0);
}
