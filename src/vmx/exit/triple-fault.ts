// Triple fault (SDM Vol. 3C 28.1): the guest could not deliver a double
// fault. On hardware the machine would reset; here only the domain stops.
import { Vcpu } from "../../domain/domain";
import { actionStop } from "../action";

export function handleTripleFault(vcpu: Vcpu): u32 {
  return actionStop(vcpu.domain, "triple fault");
}
