// External interrupts and NMIs stay with the host (pin-based controls
// "external-interrupt exiting" and "NMI exiting"). The host masks the legacy
// PIC and programs no interrupt source yet, so these exits are rare; each is
// left pending for the host and the guest resumes.
import { Vcpu } from "../../sched/domain";
import { ACTION_RESUME, ACTION_STOP } from "../action";
import { vmcsRead32, vmcsDump } from "../vmcs";
import { VM_EXIT_INTR_INFO } from "../../arch/vmcs";
import { INTR_INFO_VECTOR_MASK, INTR_INFO_TYPE_SHIFT, INTR_INFO_TYPE_MASK, INTR_TYPE_NMI } from "../../arch/vmx-exit";
import { domainStop } from "../../domain/lifecycle";
import { hex } from "../../lib/str";

export function handleExceptionOrNmi(vcpu: Vcpu): u32 {
  const info = vmcsRead32(VM_EXIT_INTR_INFO);
  if (((info >> INTR_INFO_TYPE_SHIFT) & INTR_INFO_TYPE_MASK) == INTR_TYPE_NMI) return ACTION_RESUME;
  // The exception bitmap is empty: no guest exception should exit.
  vmcsDump();
  domainStop(vcpu.domain, "unexpected exception exit: vector " + hex(info & INTR_INFO_VECTOR_MASK, 2) +
    " type " + hex((info >> INTR_INFO_TYPE_SHIFT) & INTR_INFO_TYPE_MASK, 1));
  return ACTION_STOP;
}

export function handleExternalInterrupt(vcpu: Vcpu): u32 {
  return ACTION_RESUME;
}
