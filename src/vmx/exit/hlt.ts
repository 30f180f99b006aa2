// HLT: the vCPU blocks until an event is pending for it. Nothing is spent
// spinning; the scheduler skips blocked vCPUs.
import { Vcpu } from "../../sched/domain";
import { ACTION_BLOCK } from "../action";

export function handleHlt(vcpu: Vcpu): u32 {
  return ACTION_BLOCK;
}
