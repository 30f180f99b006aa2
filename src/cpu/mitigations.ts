// Speculative-execution mitigations, chosen per CPU from CPUID.(7,0) and
// IA32_ARCH_CAPABILITIES the way Linux 6.1 chooses them for a KVM host
// (arch/x86/kernel/cpu/bugs.c, kvm/vmx/vmenter.S): a CPU that does not say
// it is unaffected is taken as affected. boot/vmx.asm and boot/spec.asm do
// what PERCPU_SPEC says; this file decides and says why in the boot log.
//
// - Spectre v2 (branch target injection): without enhanced IBRS the C's
//   indirect branches go through a retpoline (clang -mretpoline-external-
//   thunk, boot/spec.asm), and every VM exit refills the return-stack
//   buffer before the first RET, so no guest-trained entry is followed.
//   With enhanced IBRS the host runs with IA32_SPEC_CTRL.IBRS set, and the
//   refill stays unless the CPU has PBRSB_NO.
// - IBPB when a CPU enters a vCPU of another domain than the one it
//   entered last, so one domain's branch training does not steer another's.
// - MDS, TAA, MMIO stale data: VERW just before VM entry (MD_CLEAR).
// - L1TF: L1D flushed before VM entry whenever it may hold data that is
//   not the next guest's (PERCPU_L1D_DIRTY: another domain ran here, a
//   management hypercall copied between domains, the log took a line),
//   as KVM's default `cond` mode does; through IA32_FLUSH_CMD, else by
//   reading a 64 KiB buffer of zeros.
// - The guest's IA32_SPEC_CTRL (IBRS, STIBP, SSBD) is live while it runs
//   and the host's otherwise, whenever the CPU has the MSR (not a host
//   mitigation: `mitigations=off` keeps it).
// Not done: SMT (an L1TF-affected CPU's sibling threads share its L1D;
// the hypervisor does not schedule siblings together or turn them off).
import { cpuid, rdmsr, wrmsr } from "../arch/hw";
import {
  CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX, CPUID_LEAF_VENDOR, CPUID_LEAF_EXTENDED_FEATURES, CPUID_7_EBX_RTM,
  CPUID_7_EDX_MD_CLEAR, CPUID_7_EDX_SPEC_CTRL, CPUID_7_EDX_L1D_FLUSH, CPUID_7_EDX_ARCH_CAPABILITIES,
  CPUID_7_EDX_STIBP, CPUID_7_EDX_SSBD,
} from "../arch/cpuid";
import {
  IA32_ARCH_CAPABILITIES, IA32_SPEC_CTRL, IA32_PRED_CMD, PRED_CMD_IBPB, SPEC_CTRL_IBRS, SPEC_CTRL_STIBP,
  SPEC_CTRL_SSBD, ARCH_CAP_RDCL_NO,
  ARCH_CAP_IBRS_ALL, ARCH_CAP_SKIP_L1DFL_VMENTRY, ARCH_CAP_MDS_NO, ARCH_CAP_TAA_NO, ARCH_CAP_SBDR_SSDP_NO,
  ARCH_CAP_FBSDP_NO, ARCH_CAP_PSDP_NO, ARCH_CAP_PBRSB_NO,
} from "../arch/msr";
import {
  SPEC_RSB_FILL, SPEC_VERW, SPEC_L1D_FLUSH, SPEC_L1D_FLUSH_CMD, SPEC_IBPB, SPEC_CTRL, SPEC_RETPOLINE,
} from "../arch/layout";
import { thisCpu } from "./percpu";

// What a CPU says of itself.
@final
export class SpecCpu {
  intel: bool = false;
  ebx7: u32 = 0;         // CPUID.(7,0):EBX
  edx7: u32 = 0;         // CPUID.(7,0):EDX
  caps: u64 = 0;         // IA32_ARCH_CAPABILITIES, 0 without it
}

const MMIO_NO: u64 = ARCH_CAP_SBDR_SSDP_NO | ARCH_CAP_FBSDP_NO | ARCH_CAP_PSDP_NO;

// This CPU's answers.
export function specCpuRead(): SpecCpu {
  const c = new SpecCpu();
  const out = memory.data(16);
  cpuid(CPUID_LEAF_VENDOR, 0, out);
  // "GenuineIntel": EBX "Genu", EDX "ineI", ECX "ntel".
  c.intel = load<u32>(out, CPUID_EBX) == 0x756e6547 && load<u32>(out, CPUID_EDX) == 0x49656e69 &&
    load<u32>(out, CPUID_ECX) == 0x6c65746e;
  if (load<u32>(out, CPUID_EAX) >= CPUID_LEAF_EXTENDED_FEATURES) {
    cpuid(CPUID_LEAF_EXTENDED_FEATURES, 0, out);
    c.ebx7 = load<u32>(out, CPUID_EBX);
    c.edx7 = load<u32>(out, CPUID_EDX);
  }
  if ((c.edx7 & CPUID_7_EDX_ARCH_CAPABILITIES) != 0) c.caps = rdmsr(IA32_ARCH_CAPABILITIES);
  return c;
}

// The SPEC_* a CPU needs; `off`: the command line's mitigations=off.
export function specChoose(c: SpecCpu, off: bool): u32 {
  const hasSpecCtrl = (c.edx7 & CPUID_7_EDX_SPEC_CTRL) != 0;
  let s: u32 = hasSpecCtrl ? SPEC_CTRL : 0;
  if (off || !c.intel) return s;
  if (!specEibrs(c)) s |= SPEC_RETPOLINE | SPEC_RSB_FILL;
  else if ((c.caps & ARCH_CAP_PBRSB_NO) == 0) s |= SPEC_RSB_FILL;
  if (hasSpecCtrl) s |= SPEC_IBPB;
  if (specMds(c) || specTaa(c) || specMmio(c)) s |= SPEC_VERW;
  if ((c.caps & (ARCH_CAP_RDCL_NO | ARCH_CAP_SKIP_L1DFL_VMENTRY)) == 0) {
    s |= SPEC_L1D_FLUSH;
    if ((c.edx7 & CPUID_7_EDX_L1D_FLUSH) != 0) s |= SPEC_L1D_FLUSH_CMD;
  }
  return s;
}

// Enhanced IBRS: IBRS_ALL, and the IA32_SPEC_CTRL to set it in.
function specEibrs(c: SpecCpu): bool {
  return (c.edx7 & CPUID_7_EDX_SPEC_CTRL) != 0 && (c.caps & ARCH_CAP_IBRS_ALL) != 0;
}

function specMds(c: SpecCpu): bool { return (c.caps & ARCH_CAP_MDS_NO) == 0; }
function specTaa(c: SpecCpu): bool { return (c.ebx7 & CPUID_7_EBX_RTM) != 0 && (c.caps & ARCH_CAP_TAA_NO) == 0; }
// Only a CPU with the MSR can say; one without is taken as MDS-affected already.
function specMmio(c: SpecCpu): bool {
  return (c.edx7 & CPUID_7_EDX_ARCH_CAPABILITIES) != 0 && (c.caps & MMIO_NO) != MMIO_NO;
}

// The host's IA32_SPEC_CTRL: IBRS on with enhanced IBRS (it then costs
// nothing), unless mitigations are off; else 0.
export function specHostCtrl(c: SpecCpu, off: bool): u64 {
  return !off && c.intel && specEibrs(c) ? SPEC_CTRL_IBRS : 0;
}

let off = false;
let bootSpec: u32 = 0;
let bootEdx7: u32 = 0;

// The boot CPU: chooses its mitigations (`mitigations=off`: none), puts
// them in force and returns the boot log's lines.
export function specBoot(mitigationsOff: bool): string[] {
  off = mitigationsOff;
  const c = specCpuRead();
  bootSpec = specInit(c);
  bootEdx7 = c.edx7;
  return specReport(c, bootSpec, off);
}

// Another CPU, as it joins: "" if it needs what the boot CPU needs, else
// what it does instead.
export function specAp(): string {
  const c = specCpuRead();
  const s = specInit(c);
  if (s == bootSpec) return "";
  const r = specReport(c, s, off);
  return r.length > 0 ? "its own " + r.join(";").replaceAll("  ", " ") : "";
}

// Puts this CPU's mitigations in force; its SPEC_*.
function specInit(c: SpecCpu): u32 {
  const s = specChoose(c, off);
  const host = specHostCtrl(c, off);
  const cpu = thisCpu();
  if ((s & SPEC_CTRL) != 0) wrmsr(IA32_SPEC_CTRL, host);
  cpu.hostSpecCtrl = <u32>host;
  cpu.specDomain = 0;
  cpu.l1dDirty = 1;      // the hypervisor's own boot work
  cpu.spec = s;
  return s;
}

// The speculation controls guests see (CPUID.7.EDX, src/vmx/exit/cpuid.ts)
// and the MSRs behind them (src/vmx/exit/msr.ts): the host's.
export function specGuestHas(bit: u32): bool { return (bootEdx7 & bit) != 0; }

// The IA32_SPEC_CTRL bits a guest may set; 0: it has no such MSR.
export function specGuestCtrlMask(): u64 {
  if (!specGuestHas(CPUID_7_EDX_SPEC_CTRL)) return 0;
  return SPEC_CTRL_IBRS | (specGuestHas(CPUID_7_EDX_STIBP) ? SPEC_CTRL_STIBP : 0) |
    (specGuestHas(CPUID_7_EDX_SSBD) ? SPEC_CTRL_SSBD : 0);
}

// This CPU is about to enter a vCPU of domain `id`.
@inline export function specEnterDomain(id: u32): void {
  const cpu = thisCpu();
  if (cpu.specDomain == id) return;
  cpu.specDomain = id;
  cpu.l1dDirty = 1;
  if ((cpu.spec & SPEC_IBPB) != 0) wrmsr(IA32_PRED_CMD, PRED_CMD_IBPB);
}

// The boot log's lines: each mitigation in force and why, and what is
// left out and why.
export function specReport(c: SpecCpu, s: u32, isOff: bool): string[] {
  const lines = new Array<string>();
  const hasSpecCtrl = (c.edx7 & CPUID_7_EDX_SPEC_CTRL) != 0;
  const ctrl = hasSpecCtrl ? "; guests' IA32_SPEC_CTRL switched on entry and exit" : "";
  if (isOff) {
    lines.push("mitigations: off (mitigations=off)" + ctrl);
    return lines;
  }
  if (!c.intel) {
    lines.push("mitigations: none (not an Intel CPU)" + ctrl);
    return lines;
  }
  lines.push("mitigations (mitigations=off turns them off)" + ctrl + ":");
  if ((s & SPEC_RETPOLINE) != 0) {
    lines.push("  Spectre v2 (no enhanced IBRS): retpoline, return-stack refill on VM exit");
  } else {
    lines.push("  Spectre v2: enhanced IBRS" + ((s & SPEC_RSB_FILL) != 0 ? ", return-stack refill on VM exit (no PBRSB_NO)" : ""));
  }
  lines.push((s & SPEC_IBPB) != 0 ? "  IBPB when a CPU enters another domain" : "  no IBPB: the CPU has none (CPUID.7.EDX[26])");
  if ((s & SPEC_VERW) != 0) {
    const what = specMds(c) ? "MDS (no MDS_NO)" : specTaa(c) ? "TAA (TSX, no TAA_NO)" : "MMIO stale data";
    const micro = (c.edx7 & CPUID_7_EDX_MD_CLEAR) != 0 ? "" : "; no MD_CLEAR microcode: VERW may not clear the buffers";
    lines.push("  " + what + ": VERW before VM entry" + micro);
  } else {
    lines.push("  MDS, TAA, MMIO stale data: not affected");
  }
  if ((s & SPEC_L1D_FLUSH) != 0) {
    lines.push("  L1TF (no RDCL_NO): L1D flush before VM entry after another domain's or the host's work, " +
      ((s & SPEC_L1D_FLUSH_CMD) != 0 ? "through IA32_FLUSH_CMD" : "by reading 64 KiB (no IA32_FLUSH_CMD)"));
  } else {
    lines.push("  L1TF: " + ((c.caps & ARCH_CAP_RDCL_NO) != 0 ? "not affected" : "no flush needed (SKIP_L1DFL_VMENTRY)"));
  }
  return lines;
}
