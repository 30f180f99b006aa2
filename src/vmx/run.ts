// The run loop: pick a vCPU, enter it, handle the exit, repeat; with
// nothing to run, sleep until an interrupt. A failed VM entry stops only the
// domain at fault.
import { Vcpu, DOMAIN_STOPPED, EXIT_COUNT_SLOTS } from "../sched/domain";
import {
  schedPick, schedSlice, schedCharge, schedAnyRunnable, schedAnyAlive, schedPreemptPending, schedPreemptDone,
} from "../sched/scheduler";
import { switchTo } from "../sched/switch";
import { cpuChargeBusy, cpuChargeIdle, cpuSetCurrent } from "../sched/cpus";
import { vmenter, idle_wait, irq_window, rdtsc } from "../arch/hw";
import { HV_VECTOR_TIMER } from "../arch/layout";
import { lapicTimerOneShot, lapicTimerStop, lapicTimerUsable, lapicTicksFor } from "../platform/lapic";
import { irqDrain } from "../platform/irq";
import { serialConsolePoll } from "../platform/serial-console";
import { VMX_SUCCEED, VMX_FAIL_VALID } from "../arch/vmx-status";
import {
  VM_EXIT_REASON, VM_INSTRUCTION_ERROR, VM_EXIT_INSTRUCTION_LEN, GUEST_RIP, GUEST_INTERRUPTIBILITY_INFO,
  VMX_PREEMPTION_TIMER_VALUE, EXIT_QUALIFICATION, vmInstructionErrorText, GUEST_RFLAGS, GUEST_PENDING_DEBUG_EXCEPTIONS,
} from "../arch/vmcs";
import {
  EXIT_REASON_FAILED_VMENTRY, EXIT_REASON_BASIC_MASK, exitReasonName,
} from "../arch/vmx-exit";
import { GUEST_INTR_STATE_STI, GUEST_INTR_STATE_MOV_SS } from "../arch/vmx-exit";
import { vmcsRead, vmcsRead32, vmcsWrite, vmcsDump } from "./vmcs";
import { dispatchExit } from "./exit";
import { reinjectIdtVectoring, injectPendingEvent } from "./event";
import { ACTION_RESUME, ACTION_NEXT, ACTION_YIELD, ACTION_BLOCK, ACTION_STOP } from "./action";
import { domainStop, domainCharge } from "../domain/lifecycle";
import { println, logHasNewLines } from "../log/log";
import { RFLAGS_TF } from "../arch/cr";
import { PENDING_DBG_BS } from "../arch/vmx-exit";
import { dec, hex } from "../lib/str";

// The VMX-preemption timer counts the slice the scheduler grants, in TSC >>
// rate ticks. It is written once per slice: exits save what is left of it
// (VM-exit control "save VMX-preemption timer value"), so a guest that exits
// often still loses the CPU when its slice is used up. Without that control
// the timer restarts at each entry and is re-armed from the TSC instead.
let timerRate: u32 = 0;
let timerSaved = true;

export function runInit(rate: u32, saveControlAllowed: bool): void {
  timerRate = rate;
  timerSaved = saveControlAllowed;
}

// This CPU's index (the per-CPU table, the scheduler's queues).
const CPU: u32 = 0;
let saidIdle = false;

export function run(): void {
  while (true) {
    // Interrupts that arrived while the host ran with IF=0, and log lines
    // for the console holder, may wake a vCPU before the pick. (A guest
    // running with RFLAGS.IF=0 should still exit for an external interrupt;
    // Bochs 2.7 does not make it, so there this is where they are seen.)
    irq_window();
    irqDrain();
    serialConsolePoll();
    // A preemption asked for by a wake-up is served by this pick.
    schedPreemptDone();
    const now = rdtsc();
    const vcpu = schedPick(now);
    if (vcpu === null) {
      idle(now);
      continue;
    }
    saidIdle = false;
    switchTo(vcpu);
    cpuSetCurrent(CPU, vcpu.domain.id);
    const slice = schedSlice();
    vmcsWrite(VMX_PREEMPTION_TIMER_VALUE, slice >> timerRate);
    const start = rdtsc();
    const sliceEnd = start + slice;
    // The vCPU keeps the CPU until its slice is used up, it halts or yields,
    // or a vCPU woken by a physical interrupt wants it.
    while (true) {
      if (!timerSaved) {
        const t = rdtsc();
        if (t >= sliceEnd) break;
        vmcsWrite(VMX_PREEMPTION_TIMER_VALUE, (sliceEnd - t) >> timerRate);
      }
      const action = enterOnce(vcpu);
      if (action == ACTION_NEXT || action == ACTION_RESUME) {
        if (!schedPreemptPending()) continue;
        schedPreemptDone();
        break;
      }
      if (action == ACTION_BLOCK) {
        vcpu.halted = true;
        // A prompt without a newline still reaches the log.
        vcpu.domain.console.flush();
      }
      break;
    }
    // Run time is charged per slice, not per exit: it includes the exits
    // handled for the vCPU, as the guest's own TSC does.
    const end = rdtsc();
    cpuSetCurrent(CPU, 0);
    cpuChargeBusy(CPU, end - start);
    domainCharge(vcpu.domain, end - start);
    if (vcpu.domain.state != DOMAIN_STOPPED) schedCharge(vcpu, end - start, end, vcpu.halted);
  }
}

// Nothing to run: sleep until an interrupt (COM1 input for Domain 0, the
// LAPIC timer when a capped domain waits for its next period).
function idle(now: u64): void {
  if (irqDrain() != 0) return;
  const waitsForPeriod = schedAnyRunnable();
  if (!waitsForPeriod && !saidIdle && !schedAnyAlive()) {
    println("hv: no runnable vCPU left; idle");
    saidIdle = true;
  }
  if (waitsForPeriod && !lapicTimerUsable()) {
    // No calibrated timer to wake the CPU: wait out the period on the TSC.
    const until = now + schedSlice();
    let t = rdtsc();
    while (t < until) t = rdtsc();
    cpuChargeIdle(CPU, t - now);
    return;
  }
  if (waitsForPeriod) lapicTimerOneShot(HV_VECTOR_TIMER, lapicTicksFor(schedSlice()));
  const t0 = rdtsc();
  idle_wait();
  cpuChargeIdle(CPU, rdtsc() - t0);
  if (waitsForPeriod) lapicTimerStop();
  irqDrain();
}

// One VM entry and the handling of the exit that ends it; the action taken.
// The vCPU's VMCS is current.
export function enterOnce(vcpu: Vcpu): u32 {
  // Both checks inline: this is every entry's path.
  if (logHasNewLines()) serialConsolePoll();
  if (vcpu.intrPending || vcpu.windowExiting) injectPendingEvent(vcpu);
  const status = vmenter(vcpu.regs);
  if (status != VMX_SUCCEED) {
    const why = status == VMX_FAIL_VALID ? vmInstructionErrorText(vmcsRead32(VM_INSTRUCTION_ERROR)) : "no current VMCS";
    vmcsDump();
    domainStop(vcpu.domain, "VM entry failed: " + why);
    return ACTION_STOP;
  }
  const reason = vmcsRead32(VM_EXIT_REASON);
  const basic = reason & EXIT_REASON_BASIC_MASK;
  const dom = vcpu.domain;
  const slot = basic < EXIT_COUNT_SLOTS ? basic : EXIT_COUNT_SLOTS - 1;
  unchecked(dom.exitCounts[slot] = dom.exitCounts[slot] + 1);
  if (reason & EXIT_REASON_FAILED_VMENTRY) {
    vmcsDump();
    domainStop(dom, "VM entry failed: " + exitReasonName(basic) + ", qualification " + hex(vmcsRead(EXIT_QUALIFICATION)));
    return ACTION_STOP;
  }
  reinjectIdtVectoring();
  const action = dispatchExit(vcpu, basic);
  if (dom.state == DOMAIN_STOPPED) return ACTION_STOP;
  if (action == ACTION_NEXT || action == ACTION_YIELD || action == ACTION_BLOCK) skipInstruction();
  return action;
}

// Completes the instruction that exited: RIP past it, the one-instruction
// interrupt shadow of STI / MOV SS ends (Vol. 3C 27.6.1), and a guest
// single-stepping with RFLAGS.TF gets its #DB after the instruction, as
// pending debug exception BS (25.4.2).
function skipInstruction(): void {
  vmcsWrite(GUEST_RIP, vmcsRead(GUEST_RIP) + vmcsRead(VM_EXIT_INSTRUCTION_LEN));
  if (vmcsRead(GUEST_RFLAGS) & RFLAGS_TF) {
    vmcsWrite(GUEST_PENDING_DEBUG_EXCEPTIONS, vmcsRead(GUEST_PENDING_DEBUG_EXCEPTIONS) | PENDING_DBG_BS);
  }
  const intr = vmcsRead32(GUEST_INTERRUPTIBILITY_INFO);
  if (intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS)) {
    vmcsWrite(GUEST_INTERRUPTIBILITY_INFO, intr & ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
  }
}
