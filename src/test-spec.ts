// Test-only (build/hv-test.wasm, tests/unit/mitigations.test.ts): the
// mitigation choice for a CPU the test describes, and the boot CPU's
// choice on the simulated CPU.
import { SpecCpu, specChoose, specReport, specHostCtrl, specBoot } from "./cpu/mitigations";
import { thisCpu } from "./cpu/percpu";

function cpuOf(intel: bool, ebx7: u32, edx7: u32, caps: u64): SpecCpu {
  const c = new SpecCpu();
  c.intel = intel;
  c.ebx7 = ebx7;
  c.edx7 = edx7;
  c.caps = caps;
  return c;
}

// SPEC_* for such a CPU, and the host's IA32_SPEC_CTRL in bits 32 and up.
export function specChooseFor(intel: bool, ebx7: u32, edx7: u32, caps: u64, off: bool): u64 {
  const c = cpuOf(intel, ebx7, edx7, caps);
  return <u64>specChoose(c, off) | (specHostCtrl(c, off) << 32);
}

// Its boot log lines, one per line.
export function specReportFor(intel: bool, ebx7: u32, edx7: u32, caps: u64, off: bool): string {
  const c = cpuOf(intel, ebx7, edx7, caps);
  return specReport(c, specChoose(c, off), off).join("\n");
}

// The boot CPU's choice on the simulated CPU (its CPUID and MSRs); the lines.
export function specBootTest(off: bool): string { return specBoot(off).join("\n"); }
export function specThisCpu(): u32 { return thisCpu().spec; }
export function specL1dDirty(): u32 { return thisCpu().l1dDirty; }
export function specL1dClean(): void { thisCpu().l1dDirty = 0; }
