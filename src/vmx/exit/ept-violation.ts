// EPT violations and misconfigurations (SDM Vol. 3C 29.3.3). A domain's EPT
// maps exactly its RAM, so an access elsewhere is either a device's MMIO
// (none is emulated yet) or a guest touching memory it does not own: the
// domain stops, with the address, the access and the RIP in the log.
import { Vcpu } from "../../domain/domain";
import { actionStop } from "../action";
import { vmcsRead64, vmcsReadNat, vmcsDump } from "../vmcs";
import { EXIT_QUALIFICATION, GUEST_PHYSICAL_ADDRESS, GUEST_RIP } from "../../arch/vmcs";
import { EPT_VIOLATION_DATA_READ, EPT_VIOLATION_DATA_WRITE, EPT_VIOLATION_INSTRUCTION_FETCH } from "../../arch/vmx-exit";
import { hex } from "../../lib/str";

export function handleEptViolation(vcpu: Vcpu): u32 {
  const q = vmcsReadNat(EXIT_QUALIFICATION);
  const access = (q & EPT_VIOLATION_INSTRUCTION_FETCH) != 0 ? "fetch" : (q & EPT_VIOLATION_DATA_WRITE) != 0 ? "write" : (q & EPT_VIOLATION_DATA_READ) != 0 ? "read" : "access";
  return actionStop(vcpu.domain, "EPT violation at " + hex(vmcsRead64(GUEST_PHYSICAL_ADDRESS)) + " (" + access +
    ") rip " + hex(vmcsReadNat(GUEST_RIP)));
}

// A malformed EPT entry is a hypervisor bug, but it is confined to the
// domain whose tables hold it.
export function handleEptMisconfig(vcpu: Vcpu): u32 {
  vmcsDump();
  return actionStop(vcpu.domain, "EPT misconfiguration at " + hex(vmcsRead64(GUEST_PHYSICAL_ADDRESS)));
}
