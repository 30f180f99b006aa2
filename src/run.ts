// The run loop, one per CPU (the boot CPU from kmain, the others from
// apMain): pick a vCPU, enter it, handle the exit, repeat; with nothing to
// run, sleep until an interrupt. A failed VM entry stops only the domain at
// fault.
import { Vcpu, DOMSTATE_STOPPED } from "./domain/domain";
import {
  schedPick, schedSlice, schedCharge, schedAnyRunnable, schedAnyQueued, schedAnyAlive, schedPreemptPending,
  schedPreemptDone, schedTimerNext,
} from "./sched/scheduler";
import { switchTo, switchOut, tlbCatchUp } from "./vmx/switch";
import { idle_wait, irq_window, rdtsc, lock_yield } from "./arch/hw";
import { HV_VECTOR_TIMER, HV_CPUS_MAX } from "./arch/layout";
import { lapicTimerOneShot, lapicTimerStop, lapicTimerUsable, lapicTicksFor } from "./platform/lapic";
import { irqDrain } from "./domain/host-irq";
import { serialConsolePoll } from "./domain/serial-console";
import { VMX_PREEMPTION_TIMER_VALUE } from "./arch/vmcs";
import { vmcsWrite32 } from "./vmx/vmcs";
import { enterOnce, skipInstruction } from "./vmx/enter";
import {
  ACTION_NEXT, ACTION_YIELD, ACTION_PREEMPT, ACTION_BLOCK, ACTION_STOP, ACTION_HYPERCALL,
} from "./vmx/action";
import { hypercallExit } from "./hypercall/dispatch";
import { timersArmed, timersArmSeq, timersFire, TIMER_NONE } from "./domain/timer";
import { domainStop, domainCharge, domainsReap, cpuQuiescent } from "./lifecycle/stop";
import { domainsRestart } from "./lifecycle/restart";
import { scratchReset } from "./mm/heap";
import { PerCpu, thisCpu } from "./cpu/percpu";
import { serialFifoTicks } from "./cpu/tsc";
import { println, logUnsent, logPump } from "./log/log";
import { framesScrub, framesDirty } from "./mm/frames";

// The VMX-preemption timer counts the slice the scheduler grants, in TSC >>
// rate ticks, bounded by the nearest guest timer (HC_TIMER_SET) the CPU
// serves. It is written once per slice and when a guest timer changes:
// exits save what is left of it (VM-exit control "save VMX-preemption timer
// value"), so a guest that exits often still loses the CPU when its slice is
// used up. Without that control the timer restarts at each entry and is
// re-armed from the TSC instead.
let timerRate: u32 = 0;
let timerSaved = true;
let saidIdle = false;
// Frames the idle loop scrubs before it looks for work again (1 MiB).
const SCRUB_BATCH: u32 = 256;
// Where each CPU's current slice ends (TSC).
const sliceEnds = new StaticArray<u64>(<i32>HV_CPUS_MAX);

export function runInit(rate: u32, saveControlAllowed: bool): void {
  timerRate = rate;
  timerSaved = saveControlAllowed;
}

// This CPU's run loop; never returns.
export function run(): void {
  const cpu = thisCpu();
  const index = cpu.index;
  while (true) {
    // Interrupts that arrived while the host ran with IF=0, and log lines
    // for the console holder, may wake a vCPU before the pick. (A guest
    // running with RFLAGS.IF=0 should still exit for an external interrupt;
    // Bochs 2.7 does not make it, so there this is where they are seen.)
    irq_window();
    // Nothing of the last slice's exits is held any more: their moment's
    // memory goes, and domains stopped long enough ago are reaped.
    domainsRestart();
    domainsReap(index);
    scratchReset();
    irqDrain();
    serialConsolePoll();
    // A preemption asked for by a wake-up or another CPU is served by this pick.
    schedPreemptDone();
    const now = rdtsc();
    if (timersArmed()) timersFire(now);
    const vcpu = schedPick(index, now);
    if (vcpu === null) {
      idle(cpu, now);
      continue;
    }
    saidIdle = false;
    tlbCatchUp(cpu);
    switchTo(vcpu);
    cpu.current = vcpu.domain.id;
    const start = rdtsc();
    const sliceEnd = start + schedSlice(index);
    unchecked(sliceEnds[index] = sliceEnd);
    armSliceTimer(index, start);
    let armed = timersArmSeq();
    // The vCPU keeps the CPU until its slice is used up, it halts or yields,
    // or the CPU is asked to pick again (a vCPU woken by a physical
    // interrupt or its timer wants it, or another CPU sent an IPI).
    while (true) {
      if (!timerSaved) {
        const t = rdtsc();
        if (t >= sliceEnd) break;
        armSliceTimer(index, t);
      }
      const action = step(vcpu);
      if (action <= ACTION_NEXT) {   // ACTION_RESUME or ACTION_NEXT
        if (!schedPreemptPending()) {
          if (timersArmSeq() != armed) {
            armed = timersArmSeq();
            armSliceTimer(index, rdtsc());
          }
          continue;
        }
        schedPreemptDone();
        break;
      }
      if (action == ACTION_PREEMPT && timersArmed()) {
        // A guest timer's deadline, not the slice's end, may have ended it.
        const t = rdtsc();
        timersFire(t);
        if (<i64>(t - sliceEnd) < 0 && !schedPreemptPending()) {
          armSliceTimer(index, t);
          continue;
        }
        break;
      }
      if (action == ACTION_BLOCK) {
        vcpu.state.halted = true;
        // A prompt without a newline still reaches the log.
        vcpu.domain.console.flush();
      }
      break;
    }
    // Run time is charged per slice, not per exit: it includes the exits
    // handled for the vCPU, as the guest's own TSC does.
    const end = rdtsc();
    cpu.current = 0;
    cpu.busyTicks += end - start;
    if (vcpu.domain.state != DOMSTATE_STOPPED) {
      domainCharge(vcpu.domain, end - start);
      schedCharge(vcpu, end - start, end, vcpu.state.halted);
    }
  }
}

// The VMX-preemption timer of the current VMCS: what is left of CPU
// `index`'s slice at `now`, or less if a guest timer it serves is due
// sooner. Rounded up, so that the exit comes at or after the deadline.
function armSliceTimer(index: u32, now: u64): void {
  let end = unchecked(sliceEnds[index]);
  if (timersArmed()) {
    const t = schedTimerNext(index);
    if (t != TIMER_NONE && <i64>(t - end) < 0) end = t;
  }
  const left = <i64>(end - now) > 0 ? end - now : 0;
  vmcsWrite32(VMX_PREEMPTION_TIMER_VALUE, <u32>((left + (<u64>1 << timerRate) - 1) >> timerRate));
}

// One VM entry and its exit, with what the exit handler left to this layer:
// a hypercall, stopping the domain, re-arming the slice timer. The action
// the loop acts on; never ACTION_HYPERCALL.
@inline export function step(vcpu: Vcpu): u32 {
  const action = enterOnce(vcpu);
  return action <= ACTION_NEXT ? action : afterExit(vcpu, action);
}

function afterExit(vcpu: Vcpu, action: u32): u32 {
  const dom = vcpu.domain;
  if (action == ACTION_HYPERCALL) {
    action = hypercallExit(vcpu);
    if (dom.state == DOMSTATE_STOPPED) return ACTION_STOP;
    if (action == ACTION_NEXT || action == ACTION_YIELD) skipInstruction();
  }
  if (action == ACTION_STOP && dom.state != DOMSTATE_STOPPED) domainStop(dom, dom.stopReason, dom.stopCause);
  return action;
}

// Nothing to run here: the FPU state goes back to its vCPU (another CPU may
// take it) and the CPU sleeps without the big lock until an interrupt: COM1
// input for Domain 0, an IPI (a vCPU for this CPU), or the LAPIC timer,
// armed for the slice's length when some vCPU waits on a run queue (a capped
// domain waiting for its next period, work this CPU may steal), or sooner
// for a guest timer this CPU serves.
function idle(cpu: PerCpu, now: u64): void {
  if (irqDrain() != 0) return;
  switchOut();
  // Frames freed unscrubbed (a revert's) are zeroed while nothing runs, a
  // batch at a time: the loop comes back here for the rest.
  if (framesDirty() != 0) {
    framesScrub(SCRUB_BATCH);
    if (framesDirty() != 0) return;
  }
  if (!schedAnyRunnable() && !saidIdle && !schedAnyAlive()) {
    println("hv: no runnable vCPU left; idle");
    saidIdle = true;
  }
  let wake = schedAnyQueued() ? now + schedSlice(cpu.index) : TIMER_NONE;
  const next = schedTimerNext(cpu.index);
  if (next != TIMER_NONE && (wake == TIMER_NONE || <i64>(next - wake) < 0)) wake = next;
  // Log bytes still to go out: the UART takes a FIFO's worth, and wakes
  // the CPU when it has sent them.
  if (logUnsent()) {
    logPump();
    const sent = now + serialFifoTicks();
    if (wake == TIMER_NONE || <i64>(sent - wake) < 0) wake = sent;
  }
  if (wake != TIMER_NONE && !lapicTimerUsable()) {
    // No calibrated timer to wake the CPU: wait out the time on the TSC,
    // letting the other CPUs have the lock.
    let t = rdtsc();
    while (<i64>(wake - t) > 0 && cpu.resched == 0) {
      lock_yield();
      t = rdtsc();
    }
    cpu.idleTicks += t - now;
    return;
  }
  const t0 = rdtsc();
  cpuQuiescent(cpu.index);
  if (wake != TIMER_NONE) lapicTimerOneShot(HV_VECTOR_TIMER, lapicTicksFor(<i64>(wake - t0) > 0 ? wake - t0 : 1));
  cpu.idleSince = t0;
  idle_wait();
  cpu.idleSince = 0;
  cpu.idleTicks += rdtsc() - t0;
  if (wake != TIMER_NONE) lapicTimerStop();
  irqDrain();
}
