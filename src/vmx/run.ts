// The run loop, one per CPU (the boot CPU from kmain, the others from
// apMain): pick a vCPU, enter it, handle the exit, repeat; with nothing to
// run, idle. A failed VM entry stops only the domain at fault.
import { Vcpu, DOMAIN_STOPPED, EXIT_COUNT_SLOTS } from "../sched/domain";
import { schedPick, schedSlice, schedCharge } from "../sched/scheduler";
import { switchTo, switchOut, tlbCatchUp } from "../sched/switch";
import { vmenter, rdtsc, cpu_idle, lock_yield } from "../arch/hw";
import { HV_VECTOR_TIMER } from "../arch/layout";
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
import { reinjectIdtVectoring } from "./event";
import { ACTION_RESUME, ACTION_NEXT, ACTION_YIELD, ACTION_BLOCK, ACTION_STOP } from "./action";
import { domainStop, domainCharge } from "../domain/lifecycle";
import { PerCpu, thisCpu } from "../cpu/percpu";
import { lapicTimerArmTsc, lapicTimerStop } from "../platform/lapic";
import { RFLAGS_TF } from "../arch/cr";
import { PENDING_DBG_BS } from "../arch/vmx-exit";
import { hex } from "../lib/str";

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

// This CPU's run loop; never returns.
export function run(): void {
  const cpu = thisCpu();
  const index = cpu.index;
  while (true) {
    cpu.resched = 0;
    const now = rdtsc();
    const vcpu = schedPick(index, now);
    if (vcpu === null) {
      idle(cpu, schedSlice(index));
      continue;
    }
    tlbCatchUp(cpu);
    switchTo(vcpu);
    const slice = schedSlice(index);
    vmcsWrite(VMX_PREEMPTION_TIMER_VALUE, slice >> timerRate);
    const start = rdtsc();
    const sliceEnd = start + slice;
    // The vCPU keeps the CPU until its slice is used up, it halts or yields,
    // or another CPU asks this one to pick again (cpu.resched, by IPI).
    while (true) {
      if (!timerSaved) {
        const t = rdtsc();
        if (t >= sliceEnd) break;
        vmcsWrite(VMX_PREEMPTION_TIMER_VALUE, (sliceEnd - t) >> timerRate);
      }
      const action = enterOnce(vcpu);
      if (action == ACTION_NEXT || action == ACTION_RESUME) {
        if (cpu.resched == 0) continue;
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
    cpu.busyTicks += end - start;
    if (vcpu.domain.state != DOMAIN_STOPPED) {
      domainCharge(vcpu.domain, end - start);
      schedCharge(vcpu, end - start, end, vcpu.halted);
    }
  }
}

// Nothing to run here for up to `ticks`: the FPU state goes back to its
// vCPU (another CPU may take it), the LAPIC timer is set for the end of the
// wait and the CPU halts without the big lock; an IPI (a vCPU for this CPU)
// or the timer wakes it.
function idle(cpu: PerCpu, ticks: u64): void {
  switchOut();
  const t = rdtsc();
  if (lapicTimerArmTsc(HV_VECTOR_TIMER, ticks)) {
    cpu_idle();
    lapicTimerStop();
  } else {
    // No usable timer: wait out the time, letting the other CPUs run.
    while (rdtsc() - t < ticks && cpu.resched == 0) lock_yield();
  }
  cpu.idleTicks += rdtsc() - t;
}

// One VM entry and the handling of the exit that ends it; the action taken.
export function enterOnce(vcpu: Vcpu): u32 {
  const status = vmenter(vcpu.regs);
  // Stopped by another CPU while in the guest: its VMCS is cleared and its
  // memory gone; nothing of it may be touched.
  if (vcpu.domain.state == DOMAIN_STOPPED) return ACTION_STOP;
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
