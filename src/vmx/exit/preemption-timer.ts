// The VMX-preemption timer ran out: the vCPU's time slice is over.
import { Vcpu } from "../../domain/domain";
import { ACTION_PREEMPT } from "../action";

export function handlePreemptionTimer(vcpu: Vcpu): u32 {
  return ACTION_PREEMPT;
}
