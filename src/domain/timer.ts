// The timers of a domain: its vCPUs' one-shot timers (HC_TIMER_SET, Xen's
// set_timer_op) and its device models' (src/devices/timer.ts), each with a
// deadline on its vCPU's own TSC, on the domain's queue. The HC_TIMER_SET
// timer raises EVENT_TIMER for its vCPU, which ends a HLT with interrupts
// enabled: with it a guest sleeps for a time without spinning.
//
// A timer is served by the CPU its vCPU belongs to (the scheduler's
// vcpuCpu): that CPU bounds the VMX-preemption timer of whatever vCPU it
// runs, or its LAPIC timer while idle, by the nearest deadline it serves
// (schedTimerNext, src/sched/scheduler.ts; the run loop, src/run.ts), and
// raises what is due (timersFire). Any CPU may fire any due timer;
// everything runs under the big lock.
import { Domain, Vcpu, domains } from "./domain";
import { eventRaiseVcpu } from "./events";
import { Timer, TimerClient, timersArmedAnywhere } from "../devices/timer";
import { rdtsc } from "../arch/hw";
import { EINVAL, EVENT_TIMER } from "../arch/abi";

export const TIMER_NONE: u64 = 0xffffffffffffffff;

// True once a TSC reading `now` is at or past `deadline` (signed: a deadline
// behind by less than 2^63 ticks has passed).
@inline function due(deadline: u64, now: u64): bool {
  return <i64>(now - deadline) >= 0;
}

@inline export function timersArmed(): bool {
  return timersArmedAnywhere();
}

export { timersArmSeq } from "../devices/timer";

// The vCPU a timer of `dom` belongs to.
@inline function vcpuOf(dom: Domain, t: Timer): Vcpu {
  return unchecked(dom.vcpus[<i32>t.vcpu]);
}

// The host TSC at which `t`, a timer of `dom`, is due.
export function timerHostDeadline(dom: Domain, t: Timer): u64 {
  return t.deadline - vcpuOf(dom, t).tscOffset;
}

// The HC_TIMER_SET timers of a domain's vCPUs: EVENT_TIMER for the vCPU.
class VcpuTimerEvent extends TimerClient {
  constructor(public dom: Domain) {
    super();
  }

  expired(t: Timer): void {
    const v = vcpuOf(this.dom, t);
    v.state.timerDeadline = 0;
    // Urgent: a sleeper whose time has come takes the CPU if it outranks
    // what runs there, as a woken interrupt handler would.
    eventRaiseVcpu(v, EVENT_TIMER, true);
  }
}

// The client of `dom`'s vCPU timers. Creation time.
export function vcpuTimerClient(dom: Domain): TimerClient {
  return new VcpuTimerEvent(dom);
}

// HC_TIMER_SET(deadline) for the calling vCPU: `deadline` on its TSC (host
// TSC + its TSC offset); 0 cancels. A deadline already passed fires now.
// -EINVAL while the domain has no event page (there is nothing to deliver
// the event with).
export function hcTimerSet(vcpu: Vcpu, deadline: u64): i64 {
  if (vcpu.domain.guest.eventVector == 0) return -<i64>EINVAL;
  timerCancel(vcpu);
  if (deadline == 0) return 0;
  if (due(deadline, rdtsc() + vcpu.tscOffset)) {
    eventRaiseVcpu(vcpu, EVENT_TIMER, true);
    return 0;
  }
  vcpu.state.timerDeadline = deadline;
  vcpu.timer.arm(deadline);
  return 0;
}

export function timerCancel(vcpu: Vcpu): void {
  vcpu.state.timerDeadline = 0;
  vcpu.timer.cancel();
}

// Every timer of `dom` off (it stopped).
export function timersStop(dom: Domain): void {
  for (let i = 0; i < dom.vcpus.length; i++) unchecked(dom.vcpus[i]).state.timerDeadline = 0;
  while (dom.timers.head !== null) dom.timers.head!.cancel();
}

// Fires every timer due at host TSC `now`. No allocation: runs on exit paths.
export function timersFire(now: u64): void {
  for (let i = 0; i < domains.length; i++) {
    const dom = unchecked(domains[i]);
    let t = dom.timers.head;
    while (t !== null) {
      const next = t.next;
      if (due(t.deadline, now + vcpuOf(dom, t).tscOffset)) {
        t.cancel();
        t.client.expired(t);
      }
      t = next;
    }
  }
}
