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
// an event end it, as on hardware: `cli; hlt` stays halted) or `unmasked`
// (an NMI or INIT, which end it regardless). Wait-for-SIPI ends only by a
// STARTUP (vcpuStartup).
export function vcpuWake(v: Vcpu, urgent: bool, unmasked: bool = false): void {
  if (!v.state.halted || !(v.state.haltIf || unmasked) || v.state.waitSipi) return;
  v.state.halted = false;
  if (waker !== null) waker!.wake(v, urgent);
}

export function vcpuKick(v: Vcpu): void {
  if (waker !== null) waker!.kick(v);
}

// Starting a vCPU at a STARTUP's vector: the domain builder's business (a
// layer above), registered at start-up like the waker.
export abstract class VcpuStarter {
  // `v`, in wait-for-SIPI, took a STARTUP with `vector`: it enters real
  // mode at `vector` << 12 (SDM Vol. 3A 9.4.3).
  abstract startup(v: Vcpu, vector: u32): void;
}

let starter: VcpuStarter | null = null;

export function vcpuStarterSet(s: VcpuStarter): void {
  starter = s;
}

export function vcpuStartup(v: Vcpu, vector: u32): void {
  if (starter !== null) starter!.startup(v, vector);
}
