// Switching this CPU from one vCPU to another: the VMCS, and the state VMX
// leaves to software — x87/SSE/AVX registers and XCR0 (XSAVE/XRSTOR of every
// component, whatever XCR0 the guest chose, since SSE state is live even when
// its XCR0 bit is clear) and the SYSCALL/SWAPGS MSRs.
import { Vcpu } from "./domain";
import { vmptrld, xsave, xrstor, xsetbv, wrmsr } from "../arch/hw";
import { VMX_SUCCEED } from "../arch/vmx-status";
import { IA32_STAR, IA32_LSTAR, IA32_CSTAR, IA32_FMASK, IA32_KERNEL_GS_BASE } from "../arch/msr";
import { guestXcr0Allowed } from "../vmx/exit/xsetbv";
import { panic } from "../log/log";

let stateOwner: Vcpu | null = null; // whose FPU state and MSRs are in the CPU
let loaded: Vcpu | null = null;     // whose VMCS is current

export function switchTo(next: Vcpu): void {
  if (stateOwner !== next) {
    const all = guestXcr0Allowed();
    xsetbv(0, all);
    if (stateOwner !== null) xsave(stateOwner!.xsaveArea, all);
    xrstor(next.xsaveArea, all);
    xsetbv(0, next.xcr0);
    wrmsr(IA32_STAR, next.star);
    wrmsr(IA32_LSTAR, next.lstar);
    wrmsr(IA32_CSTAR, next.cstar);
    wrmsr(IA32_FMASK, next.sfmask);
    wrmsr(IA32_KERNEL_GS_BASE, next.kernelGsBase);
    stateOwner = next;
  }
  if (loaded !== next) {
    if (vmptrld(next.vmcs) != VMX_SUCCEED) panic("VMPTRLD failed");
    loaded = next;
  }
}

// Another VMCS was made current (a new vCPU being set up).
export function vmcsReleased(): void {
  loaded = null;
}

// The vCPU is gone: nothing of it is live any more.
export function forgetVcpu(v: Vcpu): void {
  if (stateOwner === v) stateOwner = null;
  if (loaded === v) loaded = null;
}
