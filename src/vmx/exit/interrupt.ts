// External interrupts and NMIs stay with the host (pin-based controls
// "external-interrupt exiting" and "NMI exiting"). An external interrupt
// goes to the host's dispatch (src/platform/irq.ts), which EOIs it and
// hands it to its owner as an event; an IPI from another CPU may have set
// this CPU's resched flag, which the run loop looks at; the guest resumes.
import { Vcpu } from "../../domain/domain";
import { ACTION_RESUME, actionStop } from "../action";
import { vmcsRead32, vmcsDump } from "../vmcs";
import { VM_EXIT_INTR_INFO } from "../../arch/vmcs";
import {
  INTR_INFO_VALID, INTR_INFO_VECTOR_MASK, INTR_INFO_TYPE_SHIFT, INTR_INFO_TYPE_MASK, INTR_TYPE_NMI,
} from "../../arch/vmx-exit";
import { irq_window } from "../../arch/hw";
import { irqDispatch, irqDrain } from "../../domain/host-irq";
import { hex } from "../../lib/str";

export function handleExceptionOrNmi(vcpu: Vcpu): u32 {
  const info = vmcsRead32(VM_EXIT_INTR_INFO);
  if (((info >> INTR_INFO_TYPE_SHIFT) & INTR_INFO_TYPE_MASK) == INTR_TYPE_NMI) return ACTION_RESUME;
  // The exception bitmap is empty: no guest exception should exit.
  vmcsDump();
  return actionStop(vcpu.domain, "unexpected exception exit: vector " + hex(info & INTR_INFO_VECTOR_MASK, 2) +
    " type " + hex((info >> INTR_INFO_TYPE_SHIFT) & INTR_INFO_TYPE_MASK, 1));
}

// With "acknowledge interrupt on exit" the CPU took the vector from the
// LAPIC and reports it (28.2.2); without, it is still pending there and a
// brief STI lets the host IDT record it. Either way the LAPIC's ISR holds it
// until irqDispatch's EOI.
export function handleExternalInterrupt(vcpu: Vcpu): u32 {
  const info = vmcsRead32(VM_EXIT_INTR_INFO);
  if (info & INTR_INFO_VALID) irqDispatch(info & INTR_INFO_VECTOR_MASK);
  else irq_window();
  irqDrain();
  return ACTION_RESUME;
}
