// VT-x detection (SDM Vol. 3C 24.6 "Discovering Support for VMX", 24.7
// "Enabling and Entering VMX Operation") and decoding of the VMX capability
// MSRs (SDM Vol. 3D Appendix A). The decoders are pure functions of raw MSR
// values so the unit tests can feed values dumped from real CPUs.
import { cpuid, rdmsr, wrmsr } from "../arch/hw";
import { CPUID_LEAF_FEATURES, CPUID_ECX, CPUID_1_ECX_VMX } from "../arch/cpuid";
import {
  IA32_FEATURE_CONTROL, IA32_FEATURE_CONTROL_LOCK, IA32_FEATURE_CONTROL_VMX_OUTSIDE_SMX,
  IA32_VMX_BASIC, IA32_VMX_PINBASED_CTLS, IA32_VMX_PROCBASED_CTLS, IA32_VMX_EXIT_CTLS,
  IA32_VMX_ENTRY_CTLS, IA32_VMX_MISC, IA32_VMX_PROCBASED_CTLS2, IA32_VMX_EPT_VPID_CAP,
  IA32_VMX_TRUE_PINBASED_CTLS, IA32_VMX_TRUE_PROCBASED_CTLS, IA32_VMX_TRUE_EXIT_CTLS,
  IA32_VMX_TRUE_ENTRY_CTLS,
} from "../arch/msr";
import {
  VMX_BASIC_REVISION_MASK, VMX_BASIC_REGION_SIZE_SHIFT, VMX_BASIC_REGION_SIZE_MASK,
  VMX_BASIC_MEMORY_TYPE_SHIFT, VMX_BASIC_MEMORY_TYPE_MASK, VMX_BASIC_TRUE_CTLS,
  MEMORY_TYPE_UC, MEMORY_TYPE_WB,
  PIN_ACTIVATE_VMX_PREEMPTION_TIMER, PIN_PROCESS_POSTED_INTERRUPTS, PIN_VIRTUAL_NMIS,
  PROC_ACTIVATE_SECONDARY_CONTROLS,
  PROC2_ENABLE_EPT, PROC2_ENABLE_VPID, PROC2_UNRESTRICTED_GUEST, PROC2_ENABLE_RDTSCP,
  PROC2_APIC_REGISTER_VIRTUALIZATION, PROC2_VIRTUAL_INTERRUPT_DELIVERY, PROC2_VMCS_SHADOWING,
  VMX_MISC_PREEMPTION_TIMER_RATE_MASK, VMX_MISC_STORE_LMA, VMX_MISC_ACTIVITY_HLT,
  VMX_MISC_CR3_TARGET_SHIFT, VMX_MISC_CR3_TARGET_MASK, VMX_MISC_MSR_LIST_SHIFT, VMX_MISC_MSR_LIST_MASK,
  EPT_VPID_CAP_PAGE_WALK_4, EPT_VPID_CAP_MEMTYPE_WB, EPT_VPID_CAP_PDE_2MB,
  EPT_VPID_CAP_PDPTE_1GB, EPT_VPID_CAP_INVEPT, EPT_VPID_CAP_ACCESSED_DIRTY,
  EPT_VPID_CAP_INVEPT_SINGLE_CONTEXT, EPT_VPID_CAP_INVEPT_ALL_CONTEXT, EPT_VPID_CAP_INVVPID,
  EPT_VPID_CAP_INVVPID_INDIVIDUAL_ADDRESS, EPT_VPID_CAP_INVVPID_SINGLE_CONTEXT,
  EPT_VPID_CAP_INVVPID_ALL_CONTEXT,
} from "../arch/vmx";
import { print, println, printHex, printDec } from "../log/log";
import { dec } from "../lib/str";

// ── Pure decoders ─────────────────────────────────────────────────────────

// IA32_VMX_BASIC (A.1).
export function vmxRevisionId(basic: u64): u32 { return <u32>(basic & VMX_BASIC_REVISION_MASK); }
export function vmxRegionSize(basic: u64): u32 {
  return <u32>((basic >> VMX_BASIC_REGION_SIZE_SHIFT) & VMX_BASIC_REGION_SIZE_MASK);
}
export function vmxMemoryType(basic: u64): u32 {
  return <u32>((basic >> VMX_BASIC_MEMORY_TYPE_SHIFT) & VMX_BASIC_MEMORY_TYPE_MASK);
}
export function vmxHasTrueControls(basic: u64): bool { return (basic & VMX_BASIC_TRUE_CTLS) != 0; }

// A control MSR (A.3-A.5): bits 31:0 are the allowed 0-settings (a 1 there
// means the control must be 1), bits 63:32 the allowed 1-settings (a 0 there
// means the control must be 0).
export function vmxAllowed0(ctl: u64): u32 { return <u32>ctl; }
export function vmxAllowed1(ctl: u64): u32 { return <u32>(ctl >> 32); }
// May `bits` all be set to 1?
export function vmxCanSet(ctl: u64, bits: u32): bool { return (vmxAllowed1(ctl) & bits) == bits; }
// The control word closest to `wanted` the CPU accepts (A.3.1's algorithm).
export function vmxAdjustControls(ctl: u64, wanted: u32): u32 {
  return (wanted | vmxAllowed0(ctl)) & vmxAllowed1(ctl);
}

// IA32_VMX_MISC (A.6).
export function vmxPreemptionTimerRate(misc: u64): u32 { return <u32>(misc & VMX_MISC_PREEMPTION_TIMER_RATE_MASK); }
export function vmxStoresLma(misc: u64): bool { return (misc & VMX_MISC_STORE_LMA) != 0; }
export function vmxHltActivity(misc: u64): bool { return (misc & VMX_MISC_ACTIVITY_HLT) != 0; }
export function vmxCr3TargetCount(misc: u64): u32 { return <u32>((misc >> VMX_MISC_CR3_TARGET_SHIFT) & VMX_MISC_CR3_TARGET_MASK); }
// Recommended maximum entries in each VM-exit/VM-entry MSR list.
export function vmxMaxMsrListSize(misc: u64): u32 {
  return 512 * (<u32>((misc >> VMX_MISC_MSR_LIST_SHIFT) & VMX_MISC_MSR_LIST_MASK) + 1);
}

// IA32_VMX_EPT_VPID_CAP (A.10): one bit per feature.
export function eptVpidHas(cap: u64, bits: u64): bool { return (cap & bits) == bits; }

// EPT is usable by this hypervisor: 4-level tables in WB memory, INVEPT.
export function eptUsable(proc2: u64, cap: u64): bool {
  return vmxCanSet(proc2, PROC2_ENABLE_EPT) &&
    eptVpidHas(cap, EPT_VPID_CAP_PAGE_WALK_4 | EPT_VPID_CAP_MEMTYPE_WB | EPT_VPID_CAP_INVEPT);
}

// ── Probe ─────────────────────────────────────────────────────────────────

export const VMX_OK: i32 = 0;
export const VMX_NO_CPUID: i32 = 1;         // CPUID.1:ECX.VMX = 0
export const VMX_FIRMWARE_LOCKED: i32 = 2;  // IA32_FEATURE_CONTROL locked, VMX off
export const VMX_MISSING_FEATURES: i32 = 3; // VMX present, but no EPT/unrestricted guest
export const VMX_NOT_PROBED: i32 = -1;

const scratch = memory.data(16);

let status: i32 = VMX_NOT_PROBED;
let featureControlBefore: u64 = 0;
let featureControl: u64 = 0;
let basic: u64 = 0;
let pinCtls: u64 = 0;
let procCtls: u64 = 0;
let proc2Ctls: u64 = 0;   // 0 when the CPU has no secondary controls
let exitCtls: u64 = 0;
let entryCtls: u64 = 0;
let misc: u64 = 0;
let eptVpidCap: u64 = 0;  // 0 when neither EPT nor VPID exists
let missing: string = "";  // ", "-separated required features the CPU lacks

// Finds VMX, enables it in IA32_FEATURE_CONTROL if firmware left that
// unlocked, and reads the capability MSRs (only those whose presence the
// CPU has announced: reading another raises #GP). Returns a VMX_* status.
export function vmxProbe(): i32 {
  featureControlBefore = featureControl = 0;
  basic = pinCtls = procCtls = proc2Ctls = exitCtls = entryCtls = misc = eptVpidCap = 0;
  missing = "";
  cpuid(CPUID_LEAF_FEATURES, 0, scratch);
  if ((load<u32>(scratch + CPUID_ECX) & CPUID_1_ECX_VMX) == 0) return status = VMX_NO_CPUID;

  // 24.7: VMXON #GPs unless the MSR is locked with bit 2 set; firmware that
  // leaves it unlocked expects the OS to choose (and lock) for itself.
  let fc = featureControlBefore = rdmsr(IA32_FEATURE_CONTROL);
  if ((fc & IA32_FEATURE_CONTROL_LOCK) == 0) {
    fc |= IA32_FEATURE_CONTROL_LOCK | IA32_FEATURE_CONTROL_VMX_OUTSIDE_SMX;
    wrmsr(IA32_FEATURE_CONTROL, fc);
  }
  featureControl = fc;
  if ((fc & IA32_FEATURE_CONTROL_VMX_OUTSIDE_SMX) == 0) return status = VMX_FIRMWARE_LOCKED;

  // A.1: with BASIC bit 55 the TRUE MSRs report which default-1 controls
  // may in fact be 0; they supersede the legacy MSRs.
  basic = rdmsr(IA32_VMX_BASIC);
  const t = vmxHasTrueControls(basic);
  pinCtls = rdmsr(t ? IA32_VMX_TRUE_PINBASED_CTLS : IA32_VMX_PINBASED_CTLS);
  procCtls = rdmsr(t ? IA32_VMX_TRUE_PROCBASED_CTLS : IA32_VMX_PROCBASED_CTLS);
  exitCtls = rdmsr(t ? IA32_VMX_TRUE_EXIT_CTLS : IA32_VMX_EXIT_CTLS);
  entryCtls = rdmsr(t ? IA32_VMX_TRUE_ENTRY_CTLS : IA32_VMX_ENTRY_CTLS);
  misc = rdmsr(IA32_VMX_MISC);
  // A.3.3: PROCBASED_CTLS2 exists only if secondary controls may be 1;
  // A.10: EPT_VPID_CAP only if EPT or VPID may be 1.
  if (vmxCanSet(procCtls, PROC_ACTIVATE_SECONDARY_CONTROLS)) proc2Ctls = rdmsr(IA32_VMX_PROCBASED_CTLS2);
  if (vmxCanSet(proc2Ctls, PROC2_ENABLE_EPT) || vmxCanSet(proc2Ctls, PROC2_ENABLE_VPID)) {
    eptVpidCap = rdmsr(IA32_VMX_EPT_VPID_CAP);
  }

  // Required: EPT (guest memory) and unrestricted guest (real-mode guests,
  // Linux's boot path) -- both need the secondary controls.
  if (!vmxCanSet(proc2Ctls, PROC2_ENABLE_EPT)) addMissing("EPT");
  else if (!eptUsable(proc2Ctls, eptVpidCap)) addMissing("EPT with 4-level walk, WB and INVEPT");
  if (!vmxCanSet(proc2Ctls, PROC2_UNRESTRICTED_GUEST)) addMissing("unrestricted guest");
  return status = missing.length == 0 ? VMX_OK : VMX_MISSING_FEATURES;
}

// Another CPU than the one vmxProbe ran on: VMX present and enabled in its
// own IA32_FEATURE_CONTROL (locked the same way if firmware left it open),
// and the same capabilities, since a vCPU's VMCS moves between CPUs.
// Returns "" or why the CPU cannot join.
export function vmxCpuCheck(): string {
  cpuid(CPUID_LEAF_FEATURES, 0, scratch);
  if ((load<u32>(scratch + CPUID_ECX) & CPUID_1_ECX_VMX) == 0) return "no VMX";
  let fc = rdmsr(IA32_FEATURE_CONTROL);
  if ((fc & IA32_FEATURE_CONTROL_LOCK) == 0) {
    fc |= IA32_FEATURE_CONTROL_LOCK | IA32_FEATURE_CONTROL_VMX_OUTSIDE_SMX;
    wrmsr(IA32_FEATURE_CONTROL, fc);
  }
  if ((fc & IA32_FEATURE_CONTROL_VMX_OUTSIDE_SMX) == 0) return "the firmware locked VMX off in IA32_FEATURE_CONTROL";
  const b = rdmsr(IA32_VMX_BASIC);
  const t = vmxHasTrueControls(b);
  if (b != basic ||
      rdmsr(t ? IA32_VMX_TRUE_PINBASED_CTLS : IA32_VMX_PINBASED_CTLS) != pinCtls ||
      rdmsr(t ? IA32_VMX_TRUE_PROCBASED_CTLS : IA32_VMX_PROCBASED_CTLS) != procCtls ||
      rdmsr(t ? IA32_VMX_TRUE_EXIT_CTLS : IA32_VMX_EXIT_CTLS) != exitCtls ||
      rdmsr(t ? IA32_VMX_TRUE_ENTRY_CTLS : IA32_VMX_ENTRY_CTLS) != entryCtls ||
      (proc2Ctls != 0 && rdmsr(IA32_VMX_PROCBASED_CTLS2) != proc2Ctls) ||
      (eptVpidCap != 0 && rdmsr(IA32_VMX_EPT_VPID_CAP) != eptVpidCap)) {
    return "VMX capabilities differ from the boot CPU's";
  }
  return "";
}

function addMissing(what: string): void {
  missing = missing.length == 0 ? what : missing + ", " + what;
}

export function vmxStatus(): i32 { return status; }
// IA32_FEATURE_CONTROL as firmware left it, and as it is after the probe.
export function vmxFeatureControlBefore(): u64 { return featureControlBefore; }
export function vmxFeatureControl(): u64 { return featureControl; }
// Raw capability MSRs as read by vmxProbe (0 if absent); the TRUE variants
// when BASIC bit 55 is set. For VMCS set-up with vmxAdjustControls.
export function vmxBasicMsr(): u64 { return basic; }
export function vmxPinCtlsMsr(): u64 { return pinCtls; }
export function vmxProcCtlsMsr(): u64 { return procCtls; }
export function vmxProc2CtlsMsr(): u64 { return proc2Ctls; }
export function vmxExitCtlsMsr(): u64 { return exitCtls; }
export function vmxEntryCtlsMsr(): u64 { return entryCtls; }
export function vmxMiscMsr(): u64 { return misc; }
export function vmxEptVpidCapMsr(): u64 { return eptVpidCap; }

// Why VT-x cannot be used, in a few words ("" when it can).
export function vmxMissingReason(): string {
  if (status == VMX_NO_CPUID) return "CPUID.1:ECX.VMX is clear";
  if (status == VMX_FIRMWARE_LOCKED) return "the firmware locked VMX off in IA32_FEATURE_CONTROL";
  if (status == VMX_MISSING_FEATURES) return "VMX lacks " + missing;
  if (status == VMX_NOT_PROBED) return "VT-x was not probed";
  return "";
}

// ── Log output ────────────────────────────────────────────────────────────

function yesNo(b: bool): string { return b ? "yes" : "no"; }

function memoryTypeName(t: u32): string {
  return t == MEMORY_TYPE_WB ? "WB" : t == MEMORY_TYPE_UC ? "UC" : "type " + dec(t);
}

function printControls(name: string, ctl: u64): void {
  print(name);
  printHex(vmxAllowed0(ctl), 8);
  print("/");
  printHex(vmxAllowed1(ctl), 8);
}

// A comma-separated list of the EPT features `cap` reports that this
// hypervisor may use (UC paging structures are not among them).
export function eptFeatureText(cap: u64): string {
  let s = "";
  if (eptVpidHas(cap, EPT_VPID_CAP_PAGE_WALK_4)) s += ", 4-level walk";
  if (eptVpidHas(cap, EPT_VPID_CAP_MEMTYPE_WB)) s += ", WB";
  if (eptVpidHas(cap, EPT_VPID_CAP_PDE_2MB)) s += ", 2M pages";
  if (eptVpidHas(cap, EPT_VPID_CAP_PDPTE_1GB)) s += ", 1G pages";
  if (eptVpidHas(cap, EPT_VPID_CAP_ACCESSED_DIRTY)) s += ", A/D flags";
  if (eptVpidHas(cap, EPT_VPID_CAP_INVEPT)) {
    const single = eptVpidHas(cap, EPT_VPID_CAP_INVEPT_SINGLE_CONTEXT);
    const all = eptVpidHas(cap, EPT_VPID_CAP_INVEPT_ALL_CONTEXT);
    s += single && all ? ", INVEPT single/all-context" : single ? ", INVEPT single-context" :
      all ? ", INVEPT all-context" : ", INVEPT";
  }
  return s.length > 0 ? s.substring(2) : "none";
}

// The INVVPID types `cap` reports, "individual/single/all" style (the
// single-context-retaining-globals type, bit 43, is not used).
export function invvpidTypesText(cap: u64): string {
  if (!eptVpidHas(cap, EPT_VPID_CAP_INVVPID)) return "no INVVPID";
  let s = "";
  if (eptVpidHas(cap, EPT_VPID_CAP_INVVPID_INDIVIDUAL_ADDRESS)) s += "/individual";
  if (eptVpidHas(cap, EPT_VPID_CAP_INVVPID_SINGLE_CONTEXT)) s += "/single";
  if (eptVpidHas(cap, EPT_VPID_CAP_INVVPID_ALL_CONTEXT)) s += "/all";
  return "INVVPID " + (s.length > 0 ? s.substring(1) : "(no types)");
}

// The capabilities vmxProbe found, one "vmx: " line per topic.
export function vmxPrintSummary(): void {
  if (status != VMX_OK && status != VMX_MISSING_FEATURES) {
    println("vmx: VT-x not available: " + vmxMissingReason());
    return;
  }
  println("vmx: VT-x available");
  print("vmx: VMCS revision ");
  printHex(vmxRevisionId(basic), 8);
  print(", region ");
  printDec(vmxRegionSize(basic));
  println(" bytes, memory type " + memoryTypeName(vmxMemoryType(basic)));

  const ept = vmxCanSet(proc2Ctls, PROC2_ENABLE_EPT);
  println("vmx: EPT " + (ept ? "yes: " + eptFeatureText(eptVpidCap) : "no"));
  const vpid = vmxCanSet(proc2Ctls, PROC2_ENABLE_VPID);
  println("vmx: VPID " + (vpid ? "yes: " + invvpidTypesText(eptVpidCap) : "no"));
  println("vmx: unrestricted guest " + yesNo(vmxCanSet(proc2Ctls, PROC2_UNRESTRICTED_GUEST)));

  print("vmx: VMX-preemption timer ");
  if (vmxCanSet(pinCtls, PIN_ACTIVATE_VMX_PREEMPTION_TIMER)) {
    print("yes, rate TSC/");
    printDec(<u64>1 << vmxPreemptionTimerRate(misc));
    println("");
  } else {
    println("no");
  }
  println("vmx: APIC virtualization " + yesNo(vmxCanSet(proc2Ctls, PROC2_APIC_REGISTER_VIRTUALIZATION)) +
    ", virtual-interrupt delivery " + yesNo(vmxCanSet(proc2Ctls, PROC2_VIRTUAL_INTERRUPT_DELIVERY)) +
    ", posted interrupts " + yesNo(vmxCanSet(pinCtls, PIN_PROCESS_POSTED_INTERRUPTS)) +
    ", VMCS shadowing " + yesNo(vmxCanSet(proc2Ctls, PROC2_VMCS_SHADOWING)));
  print("vmx: virtual NMIs " + yesNo(vmxCanSet(pinCtls, PIN_VIRTUAL_NMIS)) +
    ", HLT activity state " + yesNo(vmxHltActivity(misc)) +
    ", stores LMA " + yesNo(vmxStoresLma(misc)) + ", CR3 targets ");
  printDec(vmxCr3TargetCount(misc));
  print(", MSR lists ");
  printDec(vmxMaxMsrListSize(misc));
  println("");

  printControls("vmx: controls (allowed-0/allowed-1): pin ", pinCtls);
  printControls(", proc ", procCtls);
  printControls(", proc2 ", proc2Ctls);
  printControls(", exit ", exitCtls);
  printControls(", entry ", entryCtls);
  println(vmxHasTrueControls(basic) ? " (TRUE MSRs)" : "");
  if (missing.length == 0) println("vmx: required features present: EPT, unrestricted guest");
  else println("vmx: missing: " + missing);
}

// For a CPU without usable VT-x: what is wrong and how to fix it, in lines
// shorter than 80 columns.
export function vmxPrintMissing(): void {
  println("VT-x is not available: " + vmxMissingReason() + ".");
  if (status == VMX_NO_CPUID) {
    println("This CPU does not offer VMX (an AMD CPU, or QEMU without KVM).");
  } else if (status == VMX_FIRMWARE_LOCKED) {
    println("IA32_FEATURE_CONTROL is locked with VMX disabled by the firmware.");
  } else if (status == VMX_MISSING_FEATURES) {
    println("This CPU's VT-x is too old for this hypervisor.");
  }
  println("The hypervisor needs Intel VT-x with EPT and unrestricted guest.");
  println("To fix it:");
  println(" - enable Intel Virtualization Technology (VT-x) in the firmware setup;");
  println(" - on a machine without VT-x, run it in Bochs, which emulates VMX and");
  println("   EPT (`make run` does);");
  println(" - under QEMU, use KVM with nested VT-x: `modprobe kvm_intel nested=1`,");
  println("   then `-enable-kvm -cpu host`.");
}

// Guests run RDTSCP and RDPID (and so have IA32_TSC_AUX) where VMX lets
// them; elsewhere both raise #UD and the MSR is unknown.
let rdtscp: i32 = -1;  // unknown until asked
export function guestHasRdtscp(): bool {
  if (rdtscp < 0) rdtscp = (vmxAllowed1(vmxProc2CtlsMsr()) & PROC2_ENABLE_RDTSCP) != 0 ? 1 : 0;
  return rdtscp == 1;
}
