// External interrupts and NMIs stay with the host (pin-based controls
// "external-interrupt exiting" and "NMI exiting"). The host masks the legacy
// PIC; its own interrupts are the LAPIC timer and IPIs from other CPUs, taken
// here (the run loop then looks at the resched flag an IPI may have set) and
// the guest resumes.
import { Vcpu } from "../../sched/domain";
import { ACTION_RESUME, ACTION_STOP } from "../action";
import { vmcsRead32, vmcsDump } from "../vmcs";
import { VM_EXIT_INTR_INFO } from "../../arch/vmcs";
import { INTR_INFO_VECTOR_MASK, INTR_INFO_TYPE_SHIFT, INTR_INFO_TYPE_MASK, INTR_TYPE_NMI } from "../../arch/vmx-exit";
import { domainStop } from "../../domain/lifecycle";
import { hex } from "../../lib/str";
import { cpu_take_interrupts } from "../../arch/hw";

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
  cpu_take_interrupts();
  return ACTION_RESUME;
}
