// One VM entry and its exit, as far as VT-x goes: the pending event is
// injected, the guest runs, the exit is read (a failed entry first), counted
// and dispatched to its handler (src/vmx/exit.ts), and the instruction is
// completed if the handler says so. The run loop (src/run.ts) does the rest.
import { Vcpu, DOMSTATE_STOPPED, EXIT_COUNT_SLOTS } from "../domain/domain";
import { vmenter } from "../arch/hw";
import { VMX_SUCCEED, VMX_FAIL_VALID } from "../arch/vmx-status";
import {
  VM_EXIT_REASON, VM_INSTRUCTION_ERROR, VM_EXIT_INSTRUCTION_LEN, GUEST_RIP, GUEST_INTERRUPTIBILITY_INFO,
  EXIT_QUALIFICATION, vmInstructionErrorText, GUEST_RFLAGS, GUEST_PENDING_DEBUG_EXCEPTIONS,
} from "../arch/vmcs";
import {
  EXIT_REASON_FAILED_VMENTRY, EXIT_REASON_BASIC_MASK, exitReasonName, GUEST_INTR_STATE_STI,
  GUEST_INTR_STATE_MOV_SS, PENDING_DBG_BS,
} from "../arch/vmx-exit";
import { RFLAGS_TF } from "../arch/cr";
import { vmcsRead32, vmcsReadNat, vmcsWrite32, vmcsWriteNat, vmcsDump } from "./vmcs";
import { dispatchExit } from "./exit";
import { reinjectIdtVectoring, injectPendingEvent } from "./event";
import { ACTION_NEXT, ACTION_YIELD, ACTION_BLOCK, ACTION_STOP, actionStop } from "./action";
import { serialConsolePoll } from "../domain/serial-console";
import { logHasNewLines } from "../log/log";
import { hex } from "../lib/str";

// One VM entry and the handling of the exit that ends it; the action taken
// (src/vmx/action.ts). The vCPU's VMCS is current. What a layer above must
// do (ACTION_STOP, ACTION_HYPERCALL) is left to the run loop.
export function enterOnce(vcpu: Vcpu): u32 {
  // Both checks inline: this is every entry's path.
  if (logHasNewLines()) serialConsolePoll();
  if (vcpu.intrPending || vcpu.windowExiting) injectPendingEvent(vcpu);
  const status = vmenter(vcpu.regs);
  // Stopped by another CPU while in the guest: its VMCS is cleared and its
  // memory gone; nothing of it may be touched.
  if (vcpu.domain.state == DOMSTATE_STOPPED) return ACTION_STOP;
  if (status != VMX_SUCCEED) {
    const why = status == VMX_FAIL_VALID ? vmInstructionErrorText(vmcsRead32(VM_INSTRUCTION_ERROR)) : "no current VMCS";
    vmcsDump();
    return actionStop(vcpu.domain, "VM entry failed: " + why);
  }
  const reason = vmcsRead32(VM_EXIT_REASON);
  const basic = reason & EXIT_REASON_BASIC_MASK;
  const dom = vcpu.domain;
  const slot = basic < EXIT_COUNT_SLOTS ? basic : EXIT_COUNT_SLOTS - 1;
  unchecked(dom.exitCounts[slot] = dom.exitCounts[slot] + 1);
  if (reason & EXIT_REASON_FAILED_VMENTRY) {
    vmcsDump();
    return actionStop(dom, "VM entry failed: " + exitReasonName(basic) + ", qualification " + hex(vmcsReadNat(EXIT_QUALIFICATION)));
  }
  reinjectIdtVectoring();
  const action = dispatchExit(vcpu, basic);
  if (action == ACTION_NEXT || action == ACTION_YIELD || action == ACTION_BLOCK) skipInstruction();
  return action;
}

// Completes the instruction that exited: RIP past it, the one-instruction
// interrupt shadow of STI / MOV SS ends (Vol. 3C 27.6.1), and a guest
// single-stepping with RFLAGS.TF gets its #DB after the instruction, as
// pending debug exception BS (25.4.2).
export function skipInstruction(): void {
  vmcsWriteNat(GUEST_RIP, vmcsReadNat(GUEST_RIP) + vmcsRead32(VM_EXIT_INSTRUCTION_LEN));
  if (vmcsReadNat(GUEST_RFLAGS) & RFLAGS_TF) {
    vmcsWriteNat(GUEST_PENDING_DEBUG_EXCEPTIONS, vmcsReadNat(GUEST_PENDING_DEBUG_EXCEPTIONS) | PENDING_DBG_BS);
  }
  const intr = vmcsRead32(GUEST_INTERRUPTIBILITY_INFO);
  if (intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS)) {
    vmcsWrite32(GUEST_INTERRUPTIBILITY_INFO, intr & ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
  }
}
