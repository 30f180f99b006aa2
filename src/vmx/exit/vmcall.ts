// VMCALL: a hypercall (src/hypercall/). The caller's mode decides the
// argument width, its privilege level whether it may call at all.
import { Vcpu } from "../../sched/domain";
import { hypercall } from "../../hypercall/dispatch";
import { vmcsRead32 } from "../vmcs";
import {
  GUEST_CS_ACCESS_RIGHTS, GUEST_SS_ACCESS_RIGHTS, SEGMENT_AR_L, SEGMENT_AR_DPL_SHIFT, SEGMENT_AR_DPL_MASK,
} from "../../arch/vmcs";

export function handleVmcall(vcpu: Vcpu): u32 {
  // CPL is SS.DPL (SDM Vol. 3C 25.4.1: the VMCS keeps it there).
  const cpl = (vmcsRead32(GUEST_SS_ACCESS_RIGHTS) & SEGMENT_AR_DPL_MASK) >> SEGMENT_AR_DPL_SHIFT;
  return hypercall(vcpu, (vmcsRead32(GUEST_CS_ACCESS_RIGHTS) & SEGMENT_AR_L) != 0, cpl);
}
