// Event injection on VM entry (SDM Vol. 3C 27.6), re-injection of an event
// whose delivery a VM exit interrupted (28.2.4, IDT-vectoring info), and the
// delivery of a domain's event vector (src/domain/events.ts) as an external
// interrupt once the guest can take one. Runs with the vCPU's VMCS current.
import { Vcpu } from "../domain/domain";
import { vmcsRead32, vmcsReadNat, vmcsWrite32 } from "./vmcs";
import { rdtsc } from "../arch/hw";
import {
  VM_ENTRY_INTR_INFO_FIELD, VM_ENTRY_EXCEPTION_ERROR_CODE, VM_ENTRY_INSTRUCTION_LEN,
  IDT_VECTORING_INFO_FIELD, IDT_VECTORING_ERROR_CODE, VM_EXIT_INSTRUCTION_LEN,
  GUEST_RFLAGS, GUEST_INTERRUPTIBILITY_INFO, CPU_BASED_VM_EXEC_CONTROL,
} from "../arch/vmcs";
import {
  INTR_INFO_VALID, INTR_INFO_DELIVER_CODE, INTR_TYPE_HARD_EXCEPTION, INTR_INFO_TYPE_SHIFT,
  INTR_INFO_TYPE_MASK, INTR_TYPE_SOFT_INTR, INTR_TYPE_PRIV_SW_EXCEPTION, INTR_TYPE_SOFT_EXCEPTION,
  INTR_TYPE_EXT_INTR, GUEST_INTR_STATE_STI, GUEST_INTR_STATE_MOV_SS,
} from "../arch/vmx-exit";
import { PROC_INTERRUPT_WINDOW_EXITING } from "../arch/vmx";
import { RFLAGS_IF } from "../arch/cr";

// A fault with or without an error code, delivered at the current RIP.
export function injectException(vector: u32, hasErrorCode: bool = false, errorCode: u32 = 0): void {
  let info = INTR_INFO_VALID | (INTR_TYPE_HARD_EXCEPTION << INTR_INFO_TYPE_SHIFT) | vector;
  if (hasErrorCode) {
    info |= INTR_INFO_DELIVER_CODE;
    vmcsWrite32(VM_ENTRY_EXCEPTION_ERROR_CODE, errorCode);
  }
  vmcsWrite32(VM_ENTRY_INTR_INFO_FIELD, info);
}

// If the exit interrupted the delivery of an event, delivers it again on the
// next entry, as if the exit had not happened. Called before the handler,
// so a handler that injects its own event overrides it (the original is
// then re-raised by the guest re-executing the instruction).
export function reinjectIdtVectoring(): void {
  const info = vmcsRead32(IDT_VECTORING_INFO_FIELD);
  if ((info & INTR_INFO_VALID) == 0) return;
  vmcsWrite32(VM_ENTRY_INTR_INFO_FIELD, info & ~(<u32>0x1000)); // bit 12 is reserved on entry
  if (info & INTR_INFO_DELIVER_CODE) {
    vmcsWrite32(VM_ENTRY_EXCEPTION_ERROR_CODE, vmcsRead32(IDT_VECTORING_ERROR_CODE));
  }
  const type = (info >> INTR_INFO_TYPE_SHIFT) & INTR_INFO_TYPE_MASK;
  if (type == INTR_TYPE_SOFT_INTR || type == INTR_TYPE_PRIV_SW_EXCEPTION || type == INTR_TYPE_SOFT_EXCEPTION) {
    vmcsWrite32(VM_ENTRY_INSTRUCTION_LEN, vmcsRead32(VM_EXIT_INSTRUCTION_LEN));
  }
}

// Before a VM entry: the vCPU's pending event vector becomes an external
// interrupt if the guest can take one now (27.6.2 requires RFLAGS.IF = 1 and
// no blocking by STI or MOV SS for it) and no other event is being injected
// (an IDT-vectoring re-injection or a fault injected by the handler goes
// first). Otherwise interrupt-window exiting makes the CPU exit as soon as
// the guest can take it (26.7.5), and the entry after that exit injects it.
export function injectPendingEvent(vcpu: Vcpu): void {
  if (!vcpu.state.intrPending) {
    if (vcpu.windowExiting) setInterruptWindowExiting(vcpu, false);
    return;
  }
  const dom = vcpu.domain;
  if (dom.eventPageHost == 0) {
    vcpu.state.intrPending = false;
    return;
  }
  if ((vmcsRead32(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID) == 0 &&
    (vmcsReadNat(GUEST_RFLAGS) & RFLAGS_IF) != 0 &&
    (vmcsRead32(GUEST_INTERRUPTIBILITY_INFO) & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS)) == 0) {
    vmcsWrite32(VM_ENTRY_INTR_INFO_FIELD, INTR_INFO_VALID | (INTR_TYPE_EXT_INTR << INTR_INFO_TYPE_SHIFT) | dom.guest.eventVector);
    vcpu.state.intrPending = false;
    if (vcpu.stats.raisedAt != 0) {
      const t = rdtsc() - vcpu.stats.raisedAt;
      vcpu.stats.raisedAt = 0;
      if (dom.stats.irqEvents == 0 || t < dom.stats.irqLatencyMin) dom.stats.irqLatencyMin = t;
      if (t > dom.stats.irqLatencyMax) dom.stats.irqLatencyMax = t;
      dom.stats.irqLatencySum += t;
      dom.stats.irqEvents++;
    }
    if (vcpu.windowExiting) setInterruptWindowExiting(vcpu, false);
    return;
  }
  if (!vcpu.windowExiting) setInterruptWindowExiting(vcpu, true);
}

function setInterruptWindowExiting(vcpu: Vcpu, on: bool): void {
  const c = vmcsRead32(CPU_BASED_VM_EXEC_CONTROL);
  vmcsWrite32(CPU_BASED_VM_EXEC_CONTROL, on ? c | PROC_INTERRUPT_WINDOW_EXITING : c & ~PROC_INTERRUPT_WINDOW_EXITING);
  vcpu.windowExiting = on;
}
