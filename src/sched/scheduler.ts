// The scheduler as the run loops see it: the policy (src/sched/policy.ts,
// the credit scheduler today) decides which vCPU runs on which CPU and for
// how long; this file maps its vCPU ids to vCPUs, keeps it told of what the
// hypervisor learns (a vCPU halted or woke, a domain paused, stopped or
// resumed, a vCPU pinned) and makes other CPUs look again when that
// concerns them (src/cpu/ipi.ts). Everything runs under the big lock.
import { Vcpu, Domain, domains, DOMSTATE_STOPPED } from "../domain/domain";
import { SchedPolicy, POLICY_CREDIT, VCPU_RUNNABLE, VCPU_BLOCKED } from "./policy";
import { CreditPolicy } from "./credit";
import { thisCpu, cpusFound, cpusOnlineMask } from "../cpu/percpu";
import { cpuKick } from "../cpu/ipi";
import { panic } from "../log/log";
import { permanentBegin } from "../mm/heap";
import { regionUse } from "../mm/region";
import { VcpuWaker, vcpuWakerSet } from "../domain/wake";
import { TIMER_NONE, timersArmed, timerHostDeadline } from "../domain/timer";
import { rdtsc } from "../arch/hw";

// TSC ticks: 2 Mi per slice, three slices to an accounting period (in Bochs,
// where the TSC counts instructions, a slice is about 2 million of them).
export const SLICE_TSC: u64 = 1 << 21;
const PERIOD_TSC: u64 = 3 * SLICE_TSC;
const MAX_VCPUS: u32 = 1024;

let policy: SchedPolicy | null = null;
// vCPUs by scheduler id; an id is used again once its vCPU is removed.
const vcpusById = new StaticArray<Vcpu | null>(<i32>MAX_VCPUS);
let idsUsed: i32 = 0;   // ids below this have been handed out

// Made at the first vCPU, when the CPUs are known (src/cpu/smp.ts ran), on
// the permanent heap: it is the host's, whoever starts that vCPU.
function p(): SchedPolicy {
  if (policy === null) {
    const n = cpusFound();
    const prev = permanentBegin();
    policy = policyCreate(POLICY_CREDIT, n > 0 ? n : 1, MAX_VCPUS, PERIOD_TSC, SLICE_TSC);
    regionUse(prev);
    if (policy === null) panic("no scheduler policy");
    policy!.setOnline(schedOnlineMask());
  }
  return policy!;
}

// A free scheduler id, or -1.
function freeId(): i32 {
  for (let i = 0; i < idsUsed; i++) if (unchecked(vcpusById[i]) === null) return i;
  return idsUsed < <i32>MAX_VCPUS ? idsUsed : -1;
}

export function schedPolicy(): SchedPolicy { return p(); }

// A vCPU onto the scheduler, runnable, with its domain's weight and cap (%
// of one CPU, 0 = none); an idle CPU that may run it is kicked.
export function schedAdd(v: Vcpu): bool {
  const id = freeId();
  if (id < 0) return false;
  if (!p().add(id, v.domain.id, v.affinity)) return false;
  v.schedId = id;
  v.state.started = true;
  unchecked(vcpusById[id] = v);
  if (id == idsUsed) idsUsed++;
  p().setDomainParams(v.domain.id, v.domain.weight, v.domain.cap);
  kickIfIdle(p().vcpuCpu(id));
  return true;
}

// The vCPU for CPU `cpu` to run next, or null if none can run there now.
export function schedPick(cpu: u32, now: u64): Vcpu | null {
  while (true) {
    const id = p().pick(cpu, now);
    if (id < 0) return null;
    const v = unchecked(vcpusById[id])!;
    if (v.domain.state == DOMSTATE_STOPPED) {
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
    // Work still queued here that an idle CPU could take.
    kickIdleFor(cpu);
    return v;
  }
}

// How long CPU `cpu` runs what it picked, or idles if it picked nothing.
export function schedSlice(cpu: u32): u64 {
  return p().slice(cpu);
}

// The vCPU left its CPU after `ran` ticks; `halted`: it blocks until an event.
export function schedCharge(v: Vcpu, ran: u64, now: u64, halted: bool): void {
  if (halted) p().block(v.schedId);
  p().charge(v.schedId, ran, now);
}

// A halted vCPU has an event: back on a run queue. The policy names a CPU
// that should pick again: an idle one is kicked (IPI) always; one running
// something the woken vCPU outranks only if `urgent` (a physical interrupt
// is behind the event), so that it does not wait out that slice.
export function schedWake(v: Vcpu, now: u64, urgent: bool): void {
  v.state.halted = false;
  if (v.schedId < 0 || v.pausedOut) return;   // a paused one runs once unpaused
  const cpu = p().wake(v.schedId, now);
  if (cpu >= 0 && (urgent || p().running(<u32>cpu) < 0)) cpuKick(<u32>cpu);
}

// Should the vCPU running on this CPU give it up now? (Checked after every
// exit: another CPU, or a wake-up here, set this CPU's resched flag.)
@inline export function schedPreemptPending(): bool {
  return thisCpu().resched != 0;
}

// This CPU picks again: the request is served.
export function schedPreemptDone(): void {
  thisCpu().resched = 0;
}

// Runnable vCPUs queued on `cpu`.
export function schedQueueLength(cpu: u32): u32 {
  return p().queueLength(cpu);
}

// True while some vCPU could run without an event (one waiting out its
// domain's cap); false when every vCPU is halted, paused or gone.
export function schedAnyRunnable(): bool {
  for (let i = 0; i < idsUsed; i++) {
    const v = unchecked(vcpusById[i]);
    if (v === null) continue;
    if (v.domain.state != DOMSTATE_STOPPED && !v.state.halted && !v.domain.paused) return true;
  }
  return false;
}

// True while some vCPU waits on a run queue (for a CPU, or parked until its
// capped domain's next period): an idle CPU must then wake by itself, as no
// event may come. Running vCPUs need no such wake: work they leave queued
// kicks an idle CPU (schedPick).
export function schedAnyQueued(): bool {
  if (policy === null) return false;
  const n = p().cpuCount();
  for (let c: u32 = 0; c < n; c++) if (p().queueLength(c) != 0) return true;
  return false;
}

// False once nothing can ever run again: every vCPU stopped, or halted with
// interrupts disabled (no event can wake it), or paused with no running
// domain left to unpause it.
export function schedAnyAlive(): bool {
  for (let i = 0; i < idsUsed; i++) {
    const v = unchecked(vcpusById[i]);
    if (v === null) continue;
    if (v.domain.state == DOMSTATE_STOPPED || v.domain.paused) continue;
    if (!v.state.halted || v.state.haltIf) return true;
  }
  return false;
}

export function schedDomainUnpaused(d: Domain, now: u64): void {
  for (let i = 0; i < d.vcpus.length; i++) {
    const v = unchecked(d.vcpus[i]);
    if (!v.pausedOut) continue;
    // A parked vCPU runs again; one that is halted now (its state was put
    // back while paused) stays blocked until an event wakes it.
    v.pausedOut = false;
    if (v.state.halted) continue;
    const cpu = p().wake(v.schedId, now);
    if (cpu >= 0) cpuKick(<u32>cpu);
  }
}

// `v`'s state was put back while its domain is paused (src/state/): one
// not halted now runs once the domain is unpaused, even if it was blocked
// in HLT before; one in wait-for-SIPI stays off the scheduler, one out of
// it that never ran joins. False if the scheduler is full.
export function schedRestored(v: Vcpu): bool {
  if (v.state.waitSipi) return true;
  // A vCPU the record has not started waits for its HC_VCPU_START (a fork's).
  if (v.schedId < 0) return v.state.started ? schedAdd(v) : true;
  if (!v.state.halted && p().vcpuState(<u32>v.schedId) == VCPU_BLOCKED) v.pausedOut = true;
  return true;
}

// The domain's vCPUs running on other CPUs leave them now (a pause or a
// stop must not wait for their slices to end).
export function schedKickDomain(d: Domain): void {
  if (policy === null) return;
  for (let i = 0; i < d.vcpus.length; i++) {
    const v = unchecked(d.vcpus[i]);
    if (v.schedId < 0) continue;
    const cpu = p().vcpuCpu(v.schedId);
    if (cpu >= 0 && p().running(<u32>cpu) == v.schedId) cpuKick(<u32>cpu);
  }
}

// The vCPU leaves the scheduler for good (its domain stopped): its id is
// free for another.
export function schedRemove(v: Vcpu): void {
  if (v.schedId < 0) return;
  p().remove(v.schedId);
  unchecked(vcpusById[v.schedId] = null);
  v.schedId = -1;
}

// Pins the vCPU to the CPUs in `mask` (bit i = CPU i). False if no online
// CPU is in it. A running vCPU leaves a CPU now outside its mask at once.
export function schedSetAffinity(v: Vcpu, mask: u64): bool {
  if ((mask & schedOnlineMask()) == 0) return false;
  if (v.schedId >= 0 && !p().setAffinity(v.schedId, mask)) return false;
  v.affinity = mask;
  if (v.schedId < 0) return true;
  const cpu = p().vcpuCpu(v.schedId);
  if (cpu >= 0 && ((mask >> <u64>cpu) & 1) == 0 && p().running(<u32>cpu) == v.schedId) cpuKick(<u32>cpu);
  else kickIfIdle(cpu);   // moved to another CPU's queue
  return true;
}

// The CPUs vCPUs may run on (bit n = CPU n); CPU 0 alone before the other
// CPUs were started.
export function schedOnlineMask(): u64 {
  const m = cpusOnlineMask();
  return m != 0 ? m : 1;
}

// The domain's weight and cap changed (HC_SCHED_SET).
export function schedDomainParams(d: Domain): void {
  if (policy !== null) p().setDomainParams(d.id, d.weight, d.cap);
}

// A vCPU was queued on `cpu`: a CPU asleep there must look (no timer may
// be armed to wake it).
function kickIfIdle(cpu: i32): void {
  if (cpu >= 0 && p().running(<u32>cpu) < 0) cpuKick(<u32>cpu);
}

function kickIdleFor(cpu: u32): void {
  const idle = p().idleFor(cpu);
  if (idle >= 0) cpuKick(<u32>idle);
}

// The nearest deadline (host TSC) among the timers CPU `cpu` serves: those
// of the vCPU running there and of the halted vCPUs that last ran there (a
// deadline may wake them); TIMER_NONE if none. A vCPU waiting on a run queue
// has nothing to gain from its timer before it runs: its timers fire when
// it is picked (what came due meanwhile coalesces, as it would in the
// guest), so a guest's timer at its shortest period does not cut into the
// slices of the neighbours it waits behind.
export function schedTimerNext(cpu: u32): u64 {
  let next = TIMER_NONE;
  if (!timersArmed()) return next;
  const q = p();
  for (let i = 0; i < domains.length; i++) {
    const dom = unchecked(domains[i]);
    let t = dom.timers.head;
    while (t !== null) {
      const v = unchecked(dom.vcpus[<i32>t.vcpu]);
      if (v.schedId >= 0 && q.vcpuCpu(<u32>v.schedId) == <i32>cpu && q.vcpuState(<u32>v.schedId) != VCPU_RUNNABLE) {
        const at = timerHostDeadline(dom, t);
        if (next == TIMER_NONE || <i64>(at - next) < 0) next = at;
      }
      t = t.next;
    }
  }
  return next;
}

// Events and timers in the domain layer wake vCPUs through this.
class SchedWaker extends VcpuWaker {
  wake(v: Vcpu, urgent: bool): void {
    schedWake(v, rdtsc(), urgent);
  }
  kick(v: Vcpu): void {
    // Its VMCS current here: this CPU runs it (it is in its exit), no other can.
    if (v.schedId < 0 || policy === null || thisCpu().vmcsOwner == changetype<usize>(v)) return;
    const cpu = p().vcpuCpu(<u32>v.schedId);
    if (cpu >= 0 && p().running(<u32>cpu) == v.schedId && <u32>cpu != thisCpu().index) cpuKick(<u32>cpu);
  }
}
vcpuWakerSet(new SchedWaker());

// The policy for `id` on `cpus` CPUs (at most 64: masks are u64), with
// vCPU ids below `maxVcpus`. `period` and `slice` are in TSC ticks.
export function policyCreate(id: u32, cpus: u32, maxVcpus: u32, period: u64, slice: u64): SchedPolicy | null {
  if (cpus == 0 || cpus > 64 || period == 0 || slice == 0) return null;
  if (id == POLICY_CREDIT) return new CreditPolicy(cpus, maxVcpus, period, slice);
  return null;
}
