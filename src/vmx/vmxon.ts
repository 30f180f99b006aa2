// Entering VMX root operation on this CPU (SDM Vol. 3C 24.7, 24.8).
import { read_cr0, write_cr0, read_cr4, write_cr4, rdmsr, vmxon, cpuid, xgetbv, xsetbv } from "../arch/hw";
import {
  IA32_VMX_CR0_FIXED0, IA32_VMX_CR0_FIXED1, IA32_VMX_CR4_FIXED0, IA32_VMX_CR4_FIXED1, IA32_VMX_BASIC,
} from "../arch/msr";
import { CR4_VMXE, CR4_OSFXSR, CR4_OSXMMEXCPT, CR4_OSXSAVE, XCR0_X87, XCR0_SSE, XCR0_AVX } from "../arch/cr";
import { VMX_SUCCEED } from "../arch/vmx-status";
import { frameAlloc } from "../mm/frames";
import { vmxRevisionId } from "./capabilities";
import { zeroFrame } from "../mm/scrub";
import { guestXcr0Allowed } from "./exit/xsetbv";
import { print, println, printDec, printHex, panic } from "../log/log";

const cpuidOut = memory.data(16);

// The XSAVE features this CPU offers (XCR0 bits guests may enable) and the
// largest XSAVE area they need.
export let hostXcr0Supported: u64 = 0;
export let xsaveAreaSize: u32 = 0;

// CR0 and CR4 as VMX requires them (fixed bits, A.7 and A.8), XSAVE on for
// switching the guests' FPU state, then VMXON with a fresh VMXON region.
export function vmxEnable(): void {
  const cr0 = (read_cr0() | rdmsr(IA32_VMX_CR0_FIXED0)) & rdmsr(IA32_VMX_CR0_FIXED1);
  write_cr0(cr0);

  cpuid(0xd, 0, cpuidOut);
  hostXcr0Supported = <u64>load<u32>(cpuidOut) | (<u64>load<u32>(cpuidOut, 12) << 32);
  xsaveAreaSize = load<u32>(cpuidOut, 8);
  if (hostXcr0Supported == 0 || xsaveAreaSize == 0) panic("this CPU has no XSAVE, needed to keep the guests' FPU state apart");

  let cr4 = read_cr4() | CR4_VMXE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE;
  cr4 = (cr4 | rdmsr(IA32_VMX_CR4_FIXED0)) & rdmsr(IA32_VMX_CR4_FIXED1);
  write_cr4(cr4);
  // Every state component a guest may use, so XSAVE and XRSTOR cover them.
  xsetbv(0, guestXcr0Allowed());

  const region = frameAlloc();
  if (region == 0) panic("no memory for the VMXON region");
  zeroFrame(region);
  store<u32>(<usize>region, vmxRevisionId(rdmsr(IA32_VMX_BASIC)));
  const status = vmxon(region);
  if (status != VMX_SUCCEED) {
    print("hv: VMXON failed with status ");
    printDec(status);
    println("");
    panic("VMXON failed");
  }
  print("hv: VMX root operation entered; XSAVE area ");
  printDec(xsaveAreaSize);
  print(" bytes, XCR0 mask ");
  printHex(hostXcr0Supported, 2);
  println("");
}
