// The scheduler as the run loop sees it: the policy (src/sched/policy.ts,
// the credit scheduler today) decides which vCPU runs and for how long; this
// file maps its vCPU ids to vCPUs and keeps it told of what the hypervisor
// learns (a vCPU halted or woken, a domain paused, stopped or resumed). One
// CPU for now.
import { Vcpu, Domain, DOMAIN_STOPPED } from "./domain";
import { SchedPolicy, policyCreate, POLICY_CREDIT } from "./policy";
import { panic } from "../log/log";

// TSC ticks: 2 Mi per slice, three slices to an accounting period (in Bochs,
// where the TSC counts instructions, a slice is about 2 million of them).
export const SLICE_TSC: u64 = 1 << 21;
const PERIOD_TSC: u64 = 3 * SLICE_TSC;
const MAX_VCPUS: u32 = 1024;
const CPU: u32 = 0;

let policy: SchedPolicy | null = null;
const vcpusById: Vcpu[] = [];
// A vCPU woke for a physical interrupt: the one running now should give the
// CPU back at its next exit (the credit policy's wake boost decides who runs).
let preempt = false;

function p(): SchedPolicy {
  if (policy === null) {
    policy = policyCreate(POLICY_CREDIT, 1, MAX_VCPUS, PERIOD_TSC, SLICE_TSC);
    if (policy === null) panic("no scheduler policy");
  }
  return policy!;
}

// A new vCPU, runnable; its domain's weight and cap (% of one CPU, 0 = none).
export function schedAdd(v: Vcpu, weight: u32, cap: u32): bool {
  if (<u32>vcpusById.length >= MAX_VCPUS) return false;
  v.schedId = vcpusById.length;
  vcpusById.push(v);
  if (!p().add(v.schedId, v.domain.id, 1)) return false;
  p().setDomainParams(v.domain.id, weight, cap);
  return true;
}

// The vCPU to run next, or null if none can run now (`idleFor` then says
// whether something will become runnable without an event: a capped domain
// waiting for the next period).
export function schedPick(now: u64): Vcpu | null {
  while (true) {
    const id = p().pick(CPU, now);
    if (id < 0) return null;
    const v = unchecked(vcpusById[id]);
    if (v.domain.state == DOMAIN_STOPPED) {
      p().remove(id);
      continue;
    }
    if (v.domain.paused) {
      // Parked until the domain is unpaused (schedDomainUnpaused).
      v.pausedOut = true;
      p().block(id);
      p().charge(id, 0, now);
      continue;
    }
    return v;
  }
}

export function schedSlice(): u64 {
  return p().slice(CPU);
}

// The vCPU left the CPU after `ran` ticks; `halted`: it blocks until an event.
export function schedCharge(v: Vcpu, ran: u64, now: u64, halted: bool): void {
  if (halted) p().block(v.schedId);
  p().charge(v.schedId, ran, now);
}

// A halted vCPU has an event: back on a run queue. `urgent`: it should not
// wait for the running vCPU's slice to end.
export function schedWake(v: Vcpu, now: u64, urgent: bool): void {
  if (v.schedId < 0) return;
  p().wake(v.schedId, now);
  if (urgent) preempt = true;
}

// Should the running vCPU give up the CPU now? (Checked after every exit.)
@inline export function schedPreemptPending(): bool {
  return preempt;
}

// The running vCPU is giving up the CPU: the request is served.
export function schedPreemptDone(): void {
  preempt = false;
}

// Runnable vCPUs queued on `cpu`.
export function schedQueueLength(cpu: u32): u32 {
  return p().queueLength(cpu);
}

// True while some vCPU could run without an event (one waiting out its
// domain's cap); false when every vCPU is halted, paused or gone.
export function schedAnyRunnable(): bool {
  for (let i = 0; i < vcpusById.length; i++) {
    const v = unchecked(vcpusById[i]);
    if (v.domain.state != DOMAIN_STOPPED && !v.halted && !v.domain.paused) return true;
  }
  return false;
}

// False once nothing can ever run again: every vCPU stopped, or halted with
// interrupts disabled (no event can wake it), or paused with no running
// domain left to unpause it.
export function schedAnyAlive(): bool {
  for (let i = 0; i < vcpusById.length; i++) {
    const v = unchecked(vcpusById[i]);
    if (v.domain.state == DOMAIN_STOPPED || v.domain.paused) continue;
    if (!v.halted || v.haltIf) return true;
  }
  return false;
}

export function schedDomainUnpaused(d: Domain, now: u64): void {
  for (let i = 0; i < d.vcpus.length; i++) {
    const v = unchecked(d.vcpus[i]);
    if (v.pausedOut && !v.halted) {
      v.pausedOut = false;
      p().wake(v.schedId, now);
    }
  }
}

export function schedRemove(v: Vcpu): void {
  if (v.schedId >= 0) p().remove(v.schedId);
}
