// What one CPU asks of another, by inter-processor interrupt (HV_VECTOR_IPI).
// The asking CPU holds the big lock; the other is in a guest (the IPI is a
// VM exit), halted in its idle loop (the IPI wakes it) or already waiting
// for the lock. Either way it then waits for the lock in boot/smp.asm, which
// serves a VMCLEAR request while it waits, and looks at its run queue once
// it has the lock.
import { HV_VECTOR_IPI, CPU_STATE_ONLINE } from "../arch/layout";
import { rdtsc, cpu_relax } from "../arch/hw";
import { lapicSendFixed } from "../platform/lapic";
import { thisCpuIndex, cpuBlock } from "./percpu";
import { tscFromMicros } from "./tsc";
import { panic } from "../log/log";
import { dec } from "../lib/str";

// A CPU that has not served a VMCLEAR request after this long is wedged.
const ANSWER_TIMEOUT_US: u64 = 1000000;

// CPU `index` picks again at its next chance: after its current VM exit
// (the IPI makes one), or at once if it idles. On this CPU, after the exit
// being handled.
export function cpuKick(index: u32): void {
  const c = cpuBlock(index);
  if (c === null || c.state != CPU_STATE_ONLINE) return;
  c.resched = 1;
  if (index != thisCpuIndex()) lapicSendFixed(c.apicId, HV_VECTOR_IPI);
}

// VMCLEARs `vmcs` on CPU `index`, where it is active (launched or current),
// and waits until that is done: the state it caches goes to memory and it
// is not active anywhere, so another CPU may VMPTRLD it (SDM Vol. 3C 25.11.1).
export function cpuVmclear(index: u32, vmcs: u64): void {
  const c = cpuBlock(index);
  if (c === null) return;
  c.vmclearReq = vmcs;
  lapicSendFixed(c.apicId, HV_VECTOR_IPI);
  const until = rdtsc() + tscFromMicros(ANSWER_TIMEOUT_US);
  while (c.vmclearReq != 0) {
    cpu_relax();
    if (rdtsc() > until) panic("CPU " + dec(index) + " does not answer a VMCLEAR request");
  }
}

// Takes CPU `index` out of the guest it runs (for `domainId`), waiting
// until it has left: from then on it waits for the big lock before it can
// enter again. A CPU running another domain, or none, is left alone.
export function cpuKickOut(index: u32, domainId: u32): void {
  const c = cpuBlock(index);
  if (c === null || index == thisCpuIndex() || c.current != domainId || c.inGuest == 0) return;
  lapicSendFixed(c.apicId, HV_VECTOR_IPI);
  const until = rdtsc() + tscFromMicros(ANSWER_TIMEOUT_US);
  while (c.inGuest != 0 && c.current == domainId) {
    cpu_relax();
    if (rdtsc() > until) panic("CPU " + dec(index) + " does not leave its guest");
  }
}
