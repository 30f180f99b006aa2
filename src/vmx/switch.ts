// Switching this CPU from one vCPU to another: the VMCS, and the state VMX
// leaves to software — x87/SSE/AVX registers and XCR0 (XSAVE/XRSTOR of every
// component, whatever XCR0 the guest chose, since SSE state is live even when
// its XCR0 bit is clear) and the SYSCALL/SWAPGS/RDTSCP MSRs (the vCPU's copies are
// authoritative: src/vmx/exit/msr.ts keeps them, so they are only loaded;
// but SWAPGS exchanges KERNEL_GS_BASE without an exit, so that one is read
// back when the vCPU leaves the CPU).
//
// Which vCPU's state is in this CPU is per-CPU data (src/cpu/percpu.ts):
// xsaveOwner (FPU state and MSRs) and vmcsOwner (the current VMCS). A CPU
// lets go of the big lock only while it runs its xsaveOwner or idles after
// switchOut, so a vCPU's FPU state is in its XSAVE area whenever another
// CPU could pick it.
import { Vcpu } from "../domain/domain";
import { vmptrld, vmclear, invvpid, invept, xsave, xrstor, xsetbv, wrmsr, rdmsr } from "../arch/hw";
import { VCPU_LAUNCHED, VCPU_HOST_RSP } from "../arch/layout";
import { INVVPID_SINGLE_CONTEXT, INVVPID_ALL_CONTEXT, INVEPT_ALL_CONTEXT } from "../arch/vmx";
import { vmcsWriteNat } from "./vmcs";
import { HOST_GS_BASE, HOST_TR_BASE, HOST_GDTR_BASE } from "../arch/vmcs";
import { cpuVmclear } from "../cpu/ipi";
import { VMX_SUCCEED } from "../arch/vmx-status";
import { IA32_STAR, IA32_LSTAR, IA32_CSTAR, IA32_FMASK, IA32_KERNEL_GS_BASE, IA32_TSC_AUX } from "../arch/msr";
import { guestXcr0Allowed } from "./vmxon";
import { guestHasRdtscp } from "./capabilities";
import { PerCpu, thisCpu, cpuBlock, cpusFound } from "../cpu/percpu";
import { panic } from "../log/log";
import { specEnterDomain } from "../cpu/mitigations";

export function switchTo(next: Vcpu): void {
  const cpu = thisCpu();
  const here = <i32>cpu.index;
  if (cpu.xsaveOwner != changetype<usize>(next)) {
    const all = guestXcr0Allowed();
    xsetbv(0, all);
    const prev = cpu.xsaveOwner;
    if (prev != 0) saveLive(changetype<Vcpu>(prev), all);
    xrstor(next.xsaveArea, all);
    xsetbv(0, next.state.xcr0);
    wrmsr(IA32_STAR, next.state.star);
    wrmsr(IA32_LSTAR, next.state.lstar);
    wrmsr(IA32_CSTAR, next.state.cstar);
    wrmsr(IA32_FMASK, next.state.sfmask);
    wrmsr(IA32_KERNEL_GS_BASE, next.state.kernelGsBase);
    if (guestHasRdtscp()) wrmsr(IA32_TSC_AUX, next.state.tscAux);
    cpu.xsaveOwner = changetype<usize>(next);
  }
  // Migration: a VMCS active on another CPU is cleared there first (SDM
  // Vol. 3C 25.11.1), then it is loaded here and launched afresh.
  if (next.vmcsCpu != here && next.vmcsCpu >= 0) vmcsEvict(next);
  if (cpu.vmcsOwner != changetype<usize>(next)) {
    if (vmptrld(next.vmcs) != VMX_SUCCEED) panic("VMPTRLD failed");
    cpu.vmcsOwner = changetype<usize>(next);
    cpu.vmcs = next.vmcs;
  }
  if (next.vmcsCpu != here) {
    next.vmcsCpu = here;
    if (next.hostCpu != here) {
      vmcsHostPerCpu();
      next.hostCpu = here;
      // Its linear translations cached here may predate what it did on the
      // other CPU (KVM flushes a vCPU's VPID when it arrives, too).
      if (next.vpid != 0) invvpid(INVVPID_SINGLE_CONTEXT, next.vpid, 0);
    }
  }
  next.stats.ranOn |= <u64>1 << <u64>here;
  specEnterDomain(next.domain.id);
}

// Makes the vCPU's VMCS clear (not active on any CPU): VMCLEAR where it is
// active, here or by request on its CPU (src/cpu/ipi.ts). Its next entry is
// a VMLAUNCH; the host RSP is written again. The vCPU must not be in a guest.
export function vmcsEvict(v: Vcpu): void {
  const at = v.vmcsCpu;
  if (at < 0 || v.vmcs == 0) return;
  const cpu = thisCpu();
  if (at == <i32>cpu.index) {
    vmclear(v.vmcs);
    if (cpu.vmcs == v.vmcs) cpu.vmcs = 0;
  } else {
    cpuVmclear(<u32>at, v.vmcs);
  }
  const c = at == <i32>cpu.index ? cpu : cpuBlock(<u32>at);
  if (c !== null && c.vmcsOwner == changetype<usize>(v)) {
    c.vmcsOwner = 0;
    c.vmcs = 0;
  }
  v.vmcsCpu = -1;
  store<u64>(v.regs + VCPU_LAUNCHED, 0);
  store<u64>(v.regs + VCPU_HOST_RSP, 0);
}

// This CPU is about to idle: the FPU state it holds goes back to its vCPU's
// XSAVE area, where any CPU can load it.
export function switchOut(): void {
  const cpu = thisCpu();
  const prev = cpu.xsaveOwner;
  if (prev == 0) return;
  const all = guestXcr0Allowed();
  xsetbv(0, all);
  saveLive(changetype<Vcpu>(prev), all);
  cpu.xsaveOwner = 0;
}

// What of `v` only the CPU holds, back into `v` (XCR0 is `all`).
function saveLive(v: Vcpu, all: u64): void {
  xsave(v.xsaveArea, all);
  v.state.kernelGsBase = rdmsr(IA32_KERNEL_GS_BASE);
}

// A new VMCS for `v` was made current and launch-clear here (vmcsInit),
// with this CPU's host state.
export function vmcsMadeHere(v: Vcpu): void {
  const cpu = thisCpu();
  cpu.vmcsOwner = 0;   // switchTo loads it again for the run
  cpu.vmcs = v.vmcs;
  v.vmcsCpu = <i32>cpu.index;
  v.hostCpu = <i32>cpu.index;
  store<u64>(v.regs + VCPU_LAUNCHED, 0);
  store<u64>(v.regs + VCPU_HOST_RSP, 0);
}

// The vCPU is gone: nothing of it is live on any CPU any more (its VMCS
// was evicted first).
export function forgetVcpu(v: Vcpu): void {
  forgetOn(thisCpu(), v);
  for (let i: u32 = 0; i < cpusFound(); i++) {
    const c = cpuBlock(i);
    if (c !== null) forgetOn(c, v);
  }
}

function forgetOn(c: PerCpu, v: Vcpu): void {
  if (c.xsaveOwner == changetype<usize>(v)) c.xsaveOwner = 0;
  if (c.vmcsOwner == changetype<usize>(v)) {
    c.vmcsOwner = 0;
    c.vmcs = 0;
  }
}

// TLB generations: a domain's EPT and VPIDs going away bumps the count
// (tlbFlushEverywhere); each CPU flushes every EPT- and VPID-tagged
// translation before its next VM entry once it sees a newer count, so none
// survives into a domain that reuses the EPT root frame or a VPID.
let tlbGen: u32 = 0;

export function tlbFlushEverywhere(): void {
  tlbGen++;
}

export function tlbCatchUp(cpu: PerCpu): void {
  if (cpu.tlbGen == tlbGen) return;
  invept(INVEPT_ALL_CONTEXT, 0);
  invvpid(INVVPID_ALL_CONTEXT, 0, 0);
  cpu.tlbGen = tlbGen;
}

// The host state that differs between CPUs, for the current VMCS: GS base
// (the per-CPU block, which boot/vmx.asm and smp.asm reach through GS), and
// each CPU's own GDT and TSS.
export function vmcsHostPerCpu(): void {
  const cpu = thisCpu();
  vmcsWriteNat(HOST_GS_BASE, cpu.self);
  vmcsWriteNat(HOST_TR_BASE, cpu.tss);
  vmcsWriteNat(HOST_GDTR_BASE, cpu.gdt);
}
