// VMCALL: a hypercall. The run loop (src/run.ts) hands it to
// src/hypercall/dispatch.ts, a layer above this one, which decides what the
// caller's mode and privilege level allow.
import { Vcpu } from "../../domain/domain";
import { ACTION_HYPERCALL } from "../action";

export function handleVmcall(vcpu: Vcpu): u32 {
  return ACTION_HYPERCALL;
}
