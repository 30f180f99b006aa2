// Event injection on VM entry (SDM Vol. 3C 27.6) and re-injection of an
// event whose delivery a VM exit interrupted (28.2.4, IDT-vectoring info).
import { vmcsRead32, vmcsWrite } from "./vmcs";
import {
  VM_ENTRY_INTR_INFO_FIELD, VM_ENTRY_EXCEPTION_ERROR_CODE, VM_ENTRY_INSTRUCTION_LEN,
  IDT_VECTORING_INFO_FIELD, IDT_VECTORING_ERROR_CODE, VM_EXIT_INSTRUCTION_LEN,
} from "../arch/vmcs";
import {
  INTR_INFO_VALID, INTR_INFO_DELIVER_CODE, INTR_TYPE_HARD_EXCEPTION, INTR_INFO_TYPE_SHIFT,
  INTR_INFO_TYPE_MASK, INTR_TYPE_SOFT_INTR, INTR_TYPE_PRIV_SW_EXCEPTION, INTR_TYPE_SOFT_EXCEPTION,
} from "../arch/vmx-exit";

// A fault with or without an error code, delivered at the current RIP.
export function injectException(vector: u32, hasErrorCode: bool = false, errorCode: u32 = 0): void {
  let info = INTR_INFO_VALID | (INTR_TYPE_HARD_EXCEPTION << INTR_INFO_TYPE_SHIFT) | vector;
  if (hasErrorCode) {
    info |= INTR_INFO_DELIVER_CODE;
    vmcsWrite(VM_ENTRY_EXCEPTION_ERROR_CODE, errorCode);
  }
  vmcsWrite(VM_ENTRY_INTR_INFO_FIELD, info);
}

// If the exit interrupted the delivery of an event, delivers it again on the
// next entry, as if the exit had not happened. Called before the handler,
// so a handler that injects its own event overrides it (the original is
// then re-raised by the guest re-executing the instruction).
export function reinjectIdtVectoring(): void {
  const info = vmcsRead32(IDT_VECTORING_INFO_FIELD);
  if ((info & INTR_INFO_VALID) == 0) return;
  vmcsWrite(VM_ENTRY_INTR_INFO_FIELD, info & ~(<u32>0x1000)); // bit 12 is reserved on entry
  if (info & INTR_INFO_DELIVER_CODE) {
    vmcsWrite(VM_ENTRY_EXCEPTION_ERROR_CODE, vmcsRead32(IDT_VECTORING_ERROR_CODE));
  }
  const type = (info >> INTR_INFO_TYPE_SHIFT) & INTR_INFO_TYPE_MASK;
  if (type == INTR_TYPE_SOFT_INTR || type == INTR_TYPE_PRIV_SW_EXCEPTION || type == INTR_TYPE_SOFT_EXCEPTION) {
    vmcsWrite(VM_ENTRY_INSTRUCTION_LEN, vmcsRead32(VM_EXIT_INSTRUCTION_LEN));
  }
}
