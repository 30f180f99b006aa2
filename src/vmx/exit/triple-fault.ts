// Triple fault (SDM Vol. 3C 28.1): the guest could not deliver a double
// fault. On hardware the machine would reset; here only the domain stops.
import { Vcpu } from "../../sched/domain";
import { ACTION_STOP } from "../action";
import { domainStop } from "../../domain/lifecycle";

export function handleTripleFault(vcpu: Vcpu): u32 {
  domainStop(vcpu.domain, "triple fault");
  return ACTION_STOP;
}
