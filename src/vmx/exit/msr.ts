// RDMSR and WRMSR (every MSR exits: the MSR bitmap is all ones). An
// allowlist is emulated: MSRs the VMCS holds for the guest, MSRs VMX does not
// switch (kept per vCPU and loaded on switch: src/sched/switch.ts), and a few
// read-only identification MSRs. Any other MSR gets #GP(0), as on a CPU
// without it; each is logged once per domain.
import { patValid } from "../guest-state";
import { isCanonical } from "../../arch/paging";
import { Vcpu, UNKNOWN_MSRS_REPORTED } from "../../domain/domain";
import { ACTION_NEXT, ACTION_RESUME } from "../action";
import { vmcsRead32, vmcsRead64, vmcsReadNat, vmcsWrite32, vmcsWrite64, vmcsWriteNat } from "../vmcs";
import { injectException } from "../event";
import { lapicModeChanged } from "../apic";
import { guestHasRdtscp } from "../capabilities";
import { gpr, setGpr, REG_RAX, REG_RCX, REG_RDX } from "../regs";
import { rdtsc, wrmsr, rdmsr } from "../../arch/hw";
import {
  IA32_TSC, IA32_TSC_ADJUST, IA32_PLATFORM_ID, IA32_APIC_BASE, IA32_BIOS_SIGN_ID, IA32_MTRRCAP, IA32_SYSENTER_CS,
  IA32_SYSENTER_ESP, IA32_SYSENTER_EIP, IA32_MCG_CAP, IA32_MCG_STATUS, IA32_MISC_ENABLE, IA32_PAT,
  IA32_MTRR_DEF_TYPE, IA32_EFER, IA32_STAR, IA32_LSTAR, IA32_CSTAR, IA32_FMASK, IA32_FS_BASE,
  IA32_GS_BASE, IA32_KERNEL_GS_BASE, IA32_TSC_AUX, IA32_FEATURE_CONTROL, IA32_FEATURE_CONTROL_LOCK,
  IA32_APIC_BASE_BSP, IA32_APIC_BASE_ENABLE, APIC_DEFAULT_BASE, IA32_MISC_ENABLE_FAST_STRINGS,
} from "../../arch/msr";
import {
  TSC_OFFSET, GUEST_SYSENTER_CS, GUEST_SYSENTER_ESP, GUEST_SYSENTER_EIP, GUEST_IA32_PAT,
  GUEST_IA32_EFER, GUEST_FS_BASE, GUEST_GS_BASE, GUEST_CR0,
} from "../../arch/vmcs";
import { VECTOR_GP } from "../../arch/vmx-exit";
import { EFER_SCE, EFER_LME, EFER_LMA, EFER_NXE, CR0_PG } from "../../arch/cr";
import { print, println, printHex, printDec } from "../../log/log";

const UNKNOWN: u64 = 0xffffffffffffffff;

export function handleRdmsr(vcpu: Vcpu): u32 {
  const msr = <u32>gpr(vcpu, REG_RCX);
  // A vCPU with a local APIC model: IA32_APIC_BASE, the x2APIC registers
  // and IA32_TSC_DEADLINE are its (src/devices/lapic.ts).
  const lapic = vcpu.lapic;
  if (lapic !== null && lapic.ownsMsr(msr)) {
    if (!lapic.readMsr(msr)) return faultGp();
    setGpr(vcpu, REG_RAX, lapic.msrValue & 0xffffffff);
    setGpr(vcpu, REG_RDX, lapic.msrValue >> 32);
    return ACTION_NEXT;
  }
  const value = readMsr(vcpu, msr);
  if (value == UNKNOWN) return unknownMsr(vcpu, msr, "rdmsr");
  setGpr(vcpu, REG_RAX, value & 0xffffffff);
  setGpr(vcpu, REG_RDX, value >> 32);
  return ACTION_NEXT;
}

export function handleWrmsr(vcpu: Vcpu): u32 {
  const msr = <u32>gpr(vcpu, REG_RCX);
  const value = (gpr(vcpu, REG_RDX) << 32) | (gpr(vcpu, REG_RAX) & 0xffffffff);
  const lapic = vcpu.lapic;
  if (lapic !== null && lapic.ownsMsr(msr)) {
    if (!lapic.writeMsr(msr, value)) return faultGp();
    if (msr == IA32_APIC_BASE) lapicModeChanged(vcpu);
    return ACTION_NEXT;
  }
  const result = writeMsr(vcpu, msr, value);
  if (result == WRITE_UNKNOWN) return unknownMsr(vcpu, msr, "wrmsr");
  if (result == WRITE_FAULT) return faultGp();
  return ACTION_NEXT;
}

function faultGp(): u32 {
  injectException(VECTOR_GP, true, 0);
  return ACTION_RESUME;
}

function readMsr(vcpu: Vcpu, msr: u32): u64 {
  switch (msr) {
    case IA32_TSC: return rdtsc() + vcpu.tscOffset;
    case IA32_TSC_ADJUST: return vcpu.state.tscAdjust;
    case IA32_APIC_BASE: return APIC_DEFAULT_BASE | IA32_APIC_BASE_ENABLE | (vcpu.index == 0 ? IA32_APIC_BASE_BSP : 0);
    case IA32_FEATURE_CONTROL: return IA32_FEATURE_CONTROL_LOCK; // locked, VMX off
    case IA32_PLATFORM_ID: return 0;
    case IA32_BIOS_SIGN_ID: return 0;
    case IA32_MTRRCAP: return 0;
    case IA32_MTRR_DEF_TYPE: return 0;
    case IA32_MCG_CAP: return 0;
    case IA32_MCG_STATUS: return 0;
    case IA32_MISC_ENABLE: return IA32_MISC_ENABLE_FAST_STRINGS;
    case IA32_SYSENTER_CS: return vmcsRead32(GUEST_SYSENTER_CS);
    case IA32_SYSENTER_ESP: return vmcsReadNat(GUEST_SYSENTER_ESP);
    case IA32_SYSENTER_EIP: return vmcsReadNat(GUEST_SYSENTER_EIP);
    case IA32_PAT: return vmcsRead64(GUEST_IA32_PAT);
    case IA32_EFER: return vmcsRead64(GUEST_IA32_EFER);
    case IA32_FS_BASE: return vmcsReadNat(GUEST_FS_BASE);
    case IA32_GS_BASE: return vmcsReadNat(GUEST_GS_BASE);
    case IA32_KERNEL_GS_BASE: return rdmsr(IA32_KERNEL_GS_BASE); // live: SWAPGS changes it
    case IA32_STAR: return vcpu.state.star;
    case IA32_LSTAR: return vcpu.state.lstar;
    case IA32_CSTAR: return vcpu.state.cstar;
    case IA32_FMASK: return vcpu.state.sfmask;
    case IA32_TSC_AUX: return guestHasRdtscp() ? vcpu.state.tscAux : UNKNOWN;
  }
  return UNKNOWN;
}

const WRITE_DONE: u32 = 0;
const WRITE_FAULT: u32 = 1;
const WRITE_UNKNOWN: u32 = 2;

function writeMsr(vcpu: Vcpu, msr: u32, value: u64): u32 {
  switch (msr) {
    case IA32_TSC: {
      // This vCPU's TSC only, as on hardware. Its timers' deadlines are on
      // its TSC and stay where they are on it. TSC_ADJUST moves with it.
      const now = rdtsc();
      vcpu.state.tscAdjust += value - (now + vcpu.tscOffset);
      setTscOffset(vcpu, value - now);
      return WRITE_DONE;
    }
    case IA32_TSC_ADJUST:
      // The TSC moves by the change (SDM Vol. 3B 17.17.3).
      setTscOffset(vcpu, vcpu.tscOffset + (value - vcpu.state.tscAdjust));
      vcpu.state.tscAdjust = value;
      return WRITE_DONE;
    case IA32_APIC_BASE:
    case IA32_BIOS_SIGN_ID:
    case IA32_MTRR_DEF_TYPE:
    case IA32_MCG_STATUS:
    case IA32_MISC_ENABLE:
      return WRITE_DONE; // accepted and ignored
    case IA32_SYSENTER_CS: vmcsWrite32(GUEST_SYSENTER_CS, <u32>value & 0xffff); return WRITE_DONE;
    case IA32_SYSENTER_ESP: if (!isCanonical(value)) return WRITE_FAULT; vmcsWriteNat(GUEST_SYSENTER_ESP, value); return WRITE_DONE;
    case IA32_SYSENTER_EIP: if (!isCanonical(value)) return WRITE_FAULT; vmcsWriteNat(GUEST_SYSENTER_EIP, value); return WRITE_DONE;
    case IA32_PAT: if (!patValid(value)) return WRITE_FAULT; vmcsWrite64(GUEST_IA32_PAT, value); return WRITE_DONE;
    case IA32_EFER: return writeEfer(value);
    case IA32_FS_BASE: if (!isCanonical(value)) return WRITE_FAULT; vmcsWriteNat(GUEST_FS_BASE, value); return WRITE_DONE;
    case IA32_GS_BASE: if (!isCanonical(value)) return WRITE_FAULT; vmcsWriteNat(GUEST_GS_BASE, value); return WRITE_DONE;
    case IA32_KERNEL_GS_BASE: if (!isCanonical(value)) return WRITE_FAULT; vcpu.state.kernelGsBase = value; break;
    case IA32_STAR: vcpu.state.star = value; break;
    case IA32_LSTAR: if (!isCanonical(value)) return WRITE_FAULT; vcpu.state.lstar = value; break;
    case IA32_CSTAR: if (!isCanonical(value)) return WRITE_FAULT; vcpu.state.cstar = value; break;
    case IA32_FMASK:
      // Bits 63:32 are reserved: a CPU that faults on them would fault in
      // the wrmsr below, in the hypervisor.
      if ((value >> 32) != 0) return WRITE_FAULT;
      vcpu.state.sfmask = value;
      break;
    case IA32_TSC_AUX:
      if (!guestHasRdtscp()) return WRITE_UNKNOWN;
      if ((value >> 32) != 0) return WRITE_FAULT;
      vcpu.state.tscAux = value;
      break;
    default: return WRITE_UNKNOWN;
  }
  // Not switched by VMX: the guest's value is live in the CPU while it runs.
  wrmsr(msr, value);
  return WRITE_DONE;
}

function setTscOffset(vcpu: Vcpu, offset: u64): void {
  vcpu.tscOffset = offset;
  vmcsWrite64(TSC_OFFSET, offset);
}

// LMA is the CPU's to set; LME may not change while paging is on.
function writeEfer(value: u64): u32 {
  if ((value & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)) != 0) return WRITE_FAULT;
  const old = vmcsRead64(GUEST_IA32_EFER);
  if ((vmcsReadNat(GUEST_CR0) & CR0_PG) != 0 && ((old ^ value) & EFER_LME) != 0) return WRITE_FAULT;
  vmcsWrite64(GUEST_IA32_EFER, (value & ~EFER_LMA) | (old & EFER_LMA));
  return WRITE_DONE;
}

// #GP, as on a CPU without the MSR. The first UNKNOWN_MSRS_REPORTED
// distinct ones are logged once each; after that they are only counted
// (DomainStats.unknownMsrs), so neither the log nor the heap grows with
// what a guest tries.
function unknownMsr(vcpu: Vcpu, msr: u32, what: string): u32 {
  const st = vcpu.domain.stats;
  st.unknownMsrs++;
  let known = false;
  for (let i = 0; i < st.reportedMsrCount; i++) if (unchecked(st.reportedMsrs[i]) == msr) known = true;
  if (!known && st.reportedMsrCount < UNKNOWN_MSRS_REPORTED) {
    unchecked(st.reportedMsrs[st.reportedMsrCount] = msr);
    st.reportedMsrCount++;
    const dom = vcpu.domain;
    print("hv: domain ");
    printDec(dom.id);
    print(" (");
    print(dom.name);
    print("): ");
    print(what);
    print(" of unknown MSR ");
    printHex(msr, 8);
    println(st.reportedMsrCount < UNKNOWN_MSRS_REPORTED ? ": #GP injected (reported once)" :
      ": #GP injected (reported once; further unknown MSRs are only counted)");
  }
  injectException(VECTOR_GP, true, 0);
  return ACTION_RESUME;
}
