// Switching this CPU from one vCPU to another: the VMCS, and the state VMX
// leaves to software — x87/SSE/AVX registers and XCR0 (XSAVE/XRSTOR of every
// component, whatever XCR0 the guest chose, since SSE state is live even when
// its XCR0 bit is clear) and the SYSCALL/SWAPGS MSRs (the vCPU's copies are
// authoritative: src/vmx/exit/msr.ts keeps them, so they are only loaded).
//
// Which vCPU's state is in this CPU is per-CPU data (src/cpu/percpu.ts):
// xsaveOwner (FPU state and MSRs) and vmcsOwner (the current VMCS). A CPU
// lets go of the big lock only while it runs its xsaveOwner or idles after
// switchOut, so a vCPU's FPU state is in its XSAVE area whenever another
// CPU could pick it.
import { Vcpu } from "./domain";
import { vmptrld, xsave, xrstor, xsetbv, wrmsr } from "../arch/hw";
import { VMX_SUCCEED } from "../arch/vmx-status";
import { IA32_STAR, IA32_LSTAR, IA32_CSTAR, IA32_FMASK, IA32_KERNEL_GS_BASE } from "../arch/msr";
import { guestXcr0Allowed } from "../vmx/exit/xsetbv";
import { PerCpu, thisCpu, cpuBlock, cpusFound } from "../cpu/percpu";
import { panic } from "../log/log";

export function switchTo(next: Vcpu): void {
  const cpu = thisCpu();
  if (cpu.xsaveOwner !== next) {
    const all = guestXcr0Allowed();
    xsetbv(0, all);
    const prev = cpu.xsaveOwner;
    if (prev !== null) xsave(prev.xsaveArea, all);
    xrstor(next.xsaveArea, all);
    xsetbv(0, next.xcr0);
    wrmsr(IA32_STAR, next.star);
    wrmsr(IA32_LSTAR, next.lstar);
    wrmsr(IA32_CSTAR, next.cstar);
    wrmsr(IA32_FMASK, next.sfmask);
    wrmsr(IA32_KERNEL_GS_BASE, next.kernelGsBase);
    cpu.xsaveOwner = next;
  }
  if (cpu.vmcsOwner !== next) {
    if (vmptrld(next.vmcs) != VMX_SUCCEED) panic("VMPTRLD failed");
    cpu.vmcsOwner = next;
    cpu.vmcs = next.vmcs;
  }
}

// This CPU is about to idle: the FPU state it holds goes back to its vCPU's
// XSAVE area, where any CPU can load it.
export function switchOut(): void {
  const cpu = thisCpu();
  const prev = cpu.xsaveOwner;
  if (prev === null) return;
  const all = guestXcr0Allowed();
  xsetbv(0, all);
  xsave(prev.xsaveArea, all);
  cpu.xsaveOwner = null;
}

// Another VMCS was made current (a new vCPU being set up).
export function vmcsReleased(vmcs: u64): void {
  const cpu = thisCpu();
  cpu.vmcsOwner = null;
  cpu.vmcs = vmcs;
}

// The vCPU is gone: nothing of it is live on any CPU any more.
export function forgetVcpu(v: Vcpu): void {
  forgetOn(thisCpu(), v);
  for (let i: u32 = 0; i < cpusFound(); i++) {
    const c = cpuBlock(i);
    if (c !== null) forgetOn(c, v);
  }
}

function forgetOn(c: PerCpu, v: Vcpu): void {
  if (c.xsaveOwner === v) c.xsaveOwner = null;
  if (c.vmcsOwner === v) {
    c.vmcsOwner = null;
    c.vmcs = 0;
  }
}
