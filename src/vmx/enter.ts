// One VM entry and its exit, as far as VT-x goes: the pending event is
// injected, the guest runs, the exit is read (a failed entry first), counted
// and dispatched to its handler (src/vmx/exit.ts), and the instruction is
// completed if the handler says so. The run loop (src/run.ts) does the rest.
import { Vcpu, DOMSTATE_STOPPED, EXIT_COUNT_SLOTS } from "../domain/domain";
import { vmenter } from "../arch/hw";
import { VMX_SUCCEED, VMX_FAIL_VALID } from "../arch/vmx-status";
import {
  VM_EXIT_REASON, VM_INSTRUCTION_ERROR, VM_EXIT_INSTRUCTION_LEN, EXIT_QUALIFICATION, vmInstructionErrorText,
} from "../arch/vmcs";
import { EXIT_REASON_FAILED_VMENTRY, EXIT_REASON_BASIC_MASK, exitReasonName } from "../arch/vmx-exit";
import { vmcsRead32, vmcsReadNat, vmcsDump } from "./vmcs";
import { completeInstruction } from "./regs";
import { dispatchExit } from "./exit";
import { reinjectIdtVectoring, injectPending } from "./event";
import { ACTION_NEXT, ACTION_YIELD, ACTION_BLOCK, ACTION_STOP, actionStop } from "./action";
import { serialConsolePoll } from "../domain/serial-console";
import { guestEptCatchUp } from "../domain/memory";
import { logDue, logHasNewLines, logPump } from "../log/log";
import { hex } from "../lib/str";

// One VM entry and the handling of the exit that ends it; the action taken
// (src/vmx/action.ts). The vCPU's VMCS is current. What a layer above must
// do (ACTION_STOP, ACTION_HYPERCALL) is left to the run loop.
export function enterOnce(vcpu: Vcpu): u32 {
  // One check inline: this is every entry's path.
  if (logDue()) {
    if (logHasNewLines()) serialConsolePoll();
    logPump();
  }
  if (vcpu.state.intrPending || vcpu.irqPending || vcpu.windowExiting) {
    if (!injectPending(vcpu)) return ACTION_BLOCK;   // INIT: wait-for-SIPI
  }
  if (vcpu.domain.eptStale != 0) guestEptCatchUp(vcpu.domain);
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
  unchecked(dom.stats.exitCounts[slot] = dom.stats.exitCounts[slot] + 1);
  if (reason & EXIT_REASON_FAILED_VMENTRY) {
    vmcsDump();
    return actionStop(dom, "VM entry failed: " + exitReasonName(basic) + ", qualification " + hex(vmcsReadNat(EXIT_QUALIFICATION)));
  }
  reinjectIdtVectoring();
  const action = dispatchExit(vcpu, basic);
  if (action == ACTION_NEXT || action == ACTION_YIELD || action == ACTION_BLOCK) skipInstruction();
  return action;
}

// Completes the instruction that exited (its length is in the exit).
export function skipInstruction(): void {
  completeInstruction(vmcsRead32(VM_EXIT_INSTRUCTION_LEN));
}
