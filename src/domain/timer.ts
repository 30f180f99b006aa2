// Guest timers: each vCPU's one-shot timer (HC_TIMER_SET, Xen's
// set_timer_op). The vCPU names a deadline on its own TSC; once the TSC
// passes it, the hypervisor raises EVENT_TIMER for that vCPU, which ends a
// HLT with interrupts enabled. With it a guest sleeps for a time without
// spinning, and without a virtual interrupt controller.
//
// A timer is served by the CPU its vCPU belongs to (the scheduler's
// vcpuCpu): that CPU bounds the VMX-preemption timer of whatever vCPU it
// runs, or its LAPIC timer while idle, by the nearest deadline it serves
// (schedTimerNext, src/sched/scheduler.ts; the run loop, src/run.ts), and raises what is due (timersFire). Any CPU
// may fire any due timer; everything runs under the big lock.
import { Vcpu } from "./domain";
import { eventRaiseVcpu } from "./events";
import { rdtsc } from "../arch/hw";
import { EINVAL, EVENT_TIMER } from "../arch/abi";

export const TIMER_NONE: u64 = 0xffffffffffffffff;

// vCPUs with a timer set (timerDeadline != 0), few: scanned, not sorted.
const armed: Vcpu[] = [];

// True once the host TSC `now` is at or past `deadline` (signed: a deadline
// behind by less than 2^63 ticks has passed).
@inline function due(deadline: u64, now: u64): bool {
  return <i64>(now - deadline) >= 0;
}

// HC_TIMER_SET(deadline) for the calling vCPU: `deadline` on its TSC (host
// TSC + its TSC offset); 0 cancels. A deadline already
// passed fires now. -EINVAL while the domain has no event page (there is
// nothing to deliver the event with).
export function hcTimerSet(vcpu: Vcpu, deadline: u64): i64 {
  if (vcpu.domain.eventPage == 0) return -<i64>EINVAL;
  timerCancel(vcpu);
  if (deadline == 0) return 0;
  let host = deadline - vcpu.tscOffset;
  if (host == 0) host = 1;   // 0 means unset
  if (due(host, rdtsc())) {
    eventRaiseVcpu(vcpu, EVENT_TIMER, true);
    return 0;
  }
  vcpu.timerDeadline = host;
  armed.push(vcpu);
  return 0;
}

export function timerCancel(vcpu: Vcpu): void {
  if (vcpu.timerDeadline == 0) return;
  vcpu.timerDeadline = 0;
  const i = armed.indexOf(vcpu);
  if (i >= 0) {
    unchecked(armed[i] = armed[armed.length - 1]);
    armed.pop();
  }
}

// The vCPU's TSC offset moved by `delta` (it wrote IA32_TSC): its deadline
// stays the same value of its TSC.
export function timerTscMoved(vcpu: Vcpu, delta: u64): void {
  if (vcpu.timerDeadline == 0) return;
  vcpu.timerDeadline -= delta;
  if (vcpu.timerDeadline == 0) vcpu.timerDeadline = 1;
}

@inline export function timersArmed(): bool {
  return armed.length != 0;
}

// Raises EVENT_TIMER for every vCPU whose deadline is at or before `now`.
// No allocation: runs on exit paths.
export function timersFire(now: u64): void {
  let i = 0;
  while (i < armed.length) {
    const v = unchecked(armed[i]);
    if (!due(v.timerDeadline, now)) {
      i++;
      continue;
    }
    v.timerDeadline = 0;
    unchecked(armed[i] = armed[armed.length - 1]);
    armed.pop();
    // Urgent: a sleeper whose time has come takes the CPU if it outranks
    // what runs there, as a woken interrupt handler would.
    eventRaiseVcpu(v, EVENT_TIMER, true);
  }
}

// The armed timers, for the CPU that serves each (schedTimerNext,
// src/sched/scheduler.ts): their count and the vCPU at `i` below it.
export function timersArmedCount(): i32 { return armed.length; }
export function timerArmedAt(i: i32): Vcpu { return unchecked(armed[i]); }
