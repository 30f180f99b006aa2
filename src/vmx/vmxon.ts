// Entering VMX root operation on a CPU (SDM Vol. 3C 24.7, 24.8). The boot
// CPU does it in kmain (vmxEnable), every other CPU in apMain
// (vmxCpuEnable), each with its own VMXON region in its per-CPU block.
import { read_cr0, write_cr0, read_cr4, write_cr4, rdmsr, vmxon, cpuid, xsetbv } from "../arch/hw";
import {
  IA32_VMX_CR0_FIXED0, IA32_VMX_CR0_FIXED1, IA32_VMX_CR4_FIXED0, IA32_VMX_CR4_FIXED1, IA32_VMX_BASIC,
} from "../arch/msr";
import { CR4_VMXE, CR4_OSFXSR, CR4_OSXMMEXCPT, CR4_OSXSAVE, XCR0_X87, XCR0_SSE, XCR0_AVX } from "../arch/cr";
import { VMX_SUCCEED } from "../arch/vmx-status";
import { frameAlloc } from "../mm/frames";
import { vmxRevisionId } from "./capabilities";
import { zeroFrame } from "../mm/scrub";
import { thisCpu } from "../cpu/percpu";
import { CPU_STATE_ONLINE } from "../arch/layout";
import { print, println, printDec, printHex, panic } from "../log/log";
import { dec } from "../lib/str";

const cpuidOut = memory.data(16);

// The XSAVE features the boot CPU offers (XCR0 bits guests may enable) and
// the largest XSAVE area they need; every other CPU must offer the same, as
// a vCPU's state moves between CPUs.
export let hostXcr0Supported: u64 = 0;
export let xsaveAreaSize: u32 = 0;

// The components guests may enable: those the CPU has among the ones the
// vCPU switch saves (CPUID leaf 0xD, src/vmx/exit/cpuid.ts, says the same).
export function guestXcr0Allowed(): u64 {
  return hostXcr0Supported & (XCR0_X87 | XCR0_SSE | XCR0_AVX);
}

// The boot CPU: learns the XSAVE features, then enters VMX root like any CPU.
export function vmxEnable(): void {
  cpuid(0xd, 0, cpuidOut);
  hostXcr0Supported = <u64>load<u32>(cpuidOut) | (<u64>load<u32>(cpuidOut, 12) << 32);
  xsaveAreaSize = load<u32>(cpuidOut, 8);
  if (hostXcr0Supported == 0 || xsaveAreaSize == 0) panic("this CPU has no XSAVE, needed to keep the guests' FPU state apart");
  const error = vmxCpuEnable();
  if (error.length != 0) panic(error);
  thisCpu().state = CPU_STATE_ONLINE;
  print("hv: VMX root operation entered; XSAVE area ");
  printDec(xsaveAreaSize);
  print(" bytes, XCR0 mask ");
  printHex(hostXcr0Supported, 2);
  println("");
}

// This CPU: CR0 and CR4 as VMX requires them (fixed bits, A.7 and A.8),
// XSAVE on for switching the guests' FPU state, then VMXON with a fresh
// VMXON region. Returns "" or what went wrong (the CPU is then left out).
export function vmxCpuEnable(): string {
  cpuid(0xd, 0, cpuidOut);
  const xcr0 = <u64>load<u32>(cpuidOut) | (<u64>load<u32>(cpuidOut, 12) << 32);
  if (xcr0 != hostXcr0Supported || load<u32>(cpuidOut, 8) != xsaveAreaSize) {
    return "XSAVE features differ from the boot CPU's";
  }
  write_cr0((read_cr0() | rdmsr(IA32_VMX_CR0_FIXED0)) & rdmsr(IA32_VMX_CR0_FIXED1));
  let cr4 = read_cr4() | CR4_VMXE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE;
  cr4 = (cr4 | rdmsr(IA32_VMX_CR4_FIXED0)) & rdmsr(IA32_VMX_CR4_FIXED1);
  write_cr4(cr4);
  // Every state component a guest may use, so XSAVE and XRSTOR cover them.
  xsetbv(0, guestXcr0Allowed());

  const cpu = thisCpu();
  if (cpu.vmxon == 0) {
    const region = frameAlloc();
    if (region == 0) return "no memory for the VMXON region";
    zeroFrame(region);
    store<u32>(<usize>region, vmxRevisionId(rdmsr(IA32_VMX_BASIC)));
    cpu.vmxon = region;
  }
  const status = vmxon(cpu.vmxon);
  if (status != VMX_SUCCEED) return "VMXON failed with status " + dec(status);
  return "";
}
