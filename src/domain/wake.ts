// Waking a halted vCPU. The scheduler (src/sched/) does it, a layer above
// this one: it registers itself here at start-up, so that what this layer
// raises (an event, an expired timer, a device's interrupt) can end a HLT
// without importing the scheduler.
import { Vcpu } from "./domain";

export abstract class VcpuWaker {
  // `v` has something to take and is runnable again. `urgent`: it takes
  // its CPU from whatever runs there now if it outranks that.
  abstract wake(v: Vcpu, urgent: bool): void;
  // `v` has an interrupt to take: if a CPU runs it now, that CPU leaves the
  // guest to inject it.
  abstract kick(v: Vcpu): void;
}

let waker: VcpuWaker | null = null;

export function vcpuWakerSet(w: VcpuWaker): void {
  waker = w;
}

// Ends the HLT of `v` if it halted with interrupts enabled (only then may
// an event end it, as on hardware: `cli; hlt` stays halted).
export function vcpuWake(v: Vcpu, urgent: bool): void {
  if (!v.state.halted || !v.state.haltIf) return;
  v.state.halted = false;
  if (waker !== null) waker!.wake(v, urgent);
}

export function vcpuKick(v: Vcpu): void {
  if (waker !== null) waker!.kick(v);
}
