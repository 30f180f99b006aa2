// What an exit handler asks the run loop (src/run.ts) to do next. Advancing
// RIP is the handler's decision, made by returning ACTION_NEXT (or YIELD,
// BLOCK, REARM, which also complete the instruction); it uses
// VM_EXIT_INSTRUCTION_LEN. A handler that needs something of a layer above
// it (stopping the domain, a hypercall) returns the action for it.
import { Domain } from "../domain/domain";
import { Bus } from "../devices/bus";
import { DEV_OK, DEV_STOP, DEV_RESET } from "../devices/device";
import { dec } from "../lib/str";
import { DOMSTOP_CRASH, DOMSTOP_EXIT, DOMSTOP_REBOOT, DOMSTOP_POWEROFF } from "../arch/abi";

export const ACTION_RESUME: u32 = 0;    // re-enter at the same RIP (fault injected, or retried)
export const ACTION_NEXT: u32 = 1;      // the instruction is done: skip it and re-enter
export const ACTION_YIELD: u32 = 2;     // skip it and let another vCPU run
export const ACTION_PREEMPT: u32 = 3;   // time slice over: another vCPU may run
export const ACTION_BLOCK: u32 = 4;     // skip it (HLT) and wait for an event
export const ACTION_STOP: u32 = 5;      // stop the domain (Domain.stopReason says why)
export const ACTION_HYPERCALL: u32 = 6; // VMCALL: the run loop hands it to src/hypercall/

// The domain must stop, for `reason`: the run loop stops it (domainStop,
// src/lifecycle/stop.ts) once the handler has returned.
// `cause` (DOMSTOP_*) is what its policy acts on: a crash unless said.
export function actionStop(dom: Domain, reason: string, cause: u32 = DOMSTOP_CRASH): u32 {
  dom.stopReason = reason;
  dom.stopCause = cause;
  return ACTION_STOP;
}

// What a device's write asked (src/devices/device.ts) as the action: go on,
// or stop the domain with the exit code (isa-debug-exit), or because the
// guest reset or powered off its machine.
export function actionForDevice(dom: Domain, result: u32, bus: Bus): u32 {
  if (result == DEV_OK) return ACTION_NEXT;
  if (result == DEV_STOP) {
    dom.exitCode = <i32><u32>bus.stopCode;
    return actionStop(dom, "exit code " + dec(<u32>bus.stopCode), DOMSTOP_EXIT);
  }
  if (result == DEV_RESET) return actionStop(dom, "the guest reset its machine", DOMSTOP_REBOOT);
  return actionStop(dom, "the guest powered its machine off", DOMSTOP_POWEROFF);
}
