// Control-register accesses (SDM Vol. 3C 28.1.3, qualification Table 28-3).
// Guests own CR0 and CR4 except the bits in the guest/host masks (set up in
// src/vmx/vmcs-init.ts): CR0.NE, CR0.PG, CR0.CD and CR0.NW, and CR4.VMXE.
// NE must stay set in VMX operation, so the guest sees its own value through
// the read shadow; PG changes switch IA-32e mode, which the VM-entry
// controls must mirror; VMXE is hidden, as CPUID hides VMX. CD and NW are
// changed by neither VM entry nor VM exit (27.3.2.1, 28.5.1): a guest that
// owned them would turn the CPU's caches off for the hypervisor and every
// other domain, and a value emulated into GUEST_CR0 would not take. So the
// guest sees its CD and NW in the shadow and the CPU keeps them clear, as
// KVM does (memory types are EPT's).
import { Vcpu } from "../../domain/domain";
import { ACTION_NEXT, ACTION_RESUME, actionStop } from "../action";
import { vmcsRead32, vmcsRead64, vmcsReadNat, vmcsWrite32, vmcsWrite64, vmcsWriteNat } from "../vmcs";
import { injectException } from "../event";
import { gpr, setGpr } from "../regs";
import { rdmsr } from "../../arch/hw";
import { hostPhysBits } from "../guest-state";
import { IA32_VMX_CR0_FIXED0, IA32_VMX_CR0_FIXED1, IA32_VMX_CR4_FIXED0, IA32_VMX_CR4_FIXED1 } from "../../arch/msr";
import {
  EXIT_QUALIFICATION, GUEST_CR0, GUEST_CR3, GUEST_CR4, CR0_READ_SHADOW, CR4_READ_SHADOW,
  GUEST_IA32_EFER, VM_ENTRY_CONTROLS, GUEST_PDPTE0, GUEST_PDPTE1, GUEST_PDPTE2, GUEST_PDPTE3,
  GUEST_CS_ACCESS_RIGHTS, SEGMENT_AR_L,
} from "../../arch/vmcs";
import {
  CR_ACCESS_CR_MASK, CR_ACCESS_TYPE_SHIFT, CR_ACCESS_TYPE_MASK, CR_ACCESS_GPR_SHIFT, CR_ACCESS_GPR_MASK,
  CR_ACCESS_TYPE_MOV_TO_CR, CR_ACCESS_TYPE_MOV_FROM_CR, VECTOR_GP,
} from "../../arch/vmx-exit";
import { ENTRY_IA_32E_MODE_GUEST } from "../../arch/vmx";
import { CR0_PE, CR0_PG, CR0_NE, CR0_CD, CR0_NW, CR4_VMXE, CR4_SMXE, CR4_PAE, EFER_LME, EFER_LMA } from "../../arch/cr";
import { guestCopy } from "../../domain/memory";
import { dec } from "../../lib/str";

// Bits the hypervisor owns (the guest/host masks).
export const CR0_OWNED: u64 = CR0_NE | CR0_PG | CR0_CD | CR0_NW;
export const CR4_OWNED: u64 = CR4_VMXE | CR4_SMXE;

const pdptes = memory.data(32);
const PDPTE_RESERVED: u64 = 0x1e6;      // bits 2:1 and 8:5

// GUEST_IA32_EFER becomes `efer`, and the VM-entry control for IA-32e mode
// its LMA, as a VM entry requires (SDM Vol. 3C 27.3.1.1).
export function eferWithMode(efer: u64): void {
  const entry = vmcsRead32(VM_ENTRY_CONTROLS);
  vmcsWrite64(GUEST_IA32_EFER, efer);
  vmcsWrite32(VM_ENTRY_CONTROLS, (efer & EFER_LMA) != 0 ? entry | ENTRY_IA_32E_MODE_GUEST : entry & ~ENTRY_IA_32E_MODE_GUEST);
}

// The guest-visible CR0 `cr0` made legal for VMX (fixed bits, A.7), except PE
// and PG, which unrestricted guest lets the guest clear; CD and NW clear.
export function legalCr0(cr0: u64): u64 {
  return (cr0 | (rdmsr(IA32_VMX_CR0_FIXED0) & ~(CR0_PE | CR0_PG))) & rdmsr(IA32_VMX_CR0_FIXED1) & ~(CR0_CD | CR0_NW);
}

// The guest-visible CR4 made legal for VMX (fixed bits, A.8: VMXE set).
export function legalCr4(cr4: u64): u64 {
  return (cr4 | rdmsr(IA32_VMX_CR4_FIXED0)) & rdmsr(IA32_VMX_CR4_FIXED1);
}

export function handleCrAccess(vcpu: Vcpu): u32 {
  const q = vmcsReadNat(EXIT_QUALIFICATION);
  const cr = <u32>(q & CR_ACCESS_CR_MASK);
  const access = <u32>((q >> CR_ACCESS_TYPE_SHIFT) & CR_ACCESS_TYPE_MASK);
  const reg = <u32>((q >> CR_ACCESS_GPR_SHIFT) & CR_ACCESS_GPR_MASK);
  if (access == CR_ACCESS_TYPE_MOV_TO_CR) {
    const value = gpr(vcpu, reg);
    if (cr == 0) return writeCr0(vcpu, value);
    if (cr == 4) return writeCr4(vcpu, value);
    if (cr == 3) {
      vmcsWriteNat(GUEST_CR3, value);
      return ACTION_NEXT;
    }
    if (cr == 8) return writeCr8(vcpu, value);
  } else if (access == CR_ACCESS_TYPE_MOV_FROM_CR && cr == 3) {
    setGpr(vcpu, reg, vmcsReadNat(GUEST_CR3));
    return ACTION_NEXT;
  } else if (access == CR_ACCESS_TYPE_MOV_FROM_CR && cr == 8) {
    // CR8 is TPR[7:4] (SDM Vol. 3A 11.8.6.1).
    const lapic = vcpu.lapic;
    setGpr(vcpu, reg, lapic !== null ? <u64>(lapic.tpr() >> 4) : <u64>vcpu.state.cr8);
    return ACTION_NEXT;
  }
  return actionStop(vcpu.domain, "unexpected control-register access: CR" + dec(cr) + " access type " + dec(access));
}

function writeCr0(vcpu: Vcpu, value: u64): u32 {
  // Faults the CPU itself would raise for MOV to CR0 (Vol. 2B, MOV CR).
  if ((value >> 32) != 0 || ((value & CR0_PG) != 0 && (value & CR0_PE) == 0) ||
      ((value & CR0_NW) != 0 && (value & CR0_CD) == 0)) {
    injectException(VECTOR_GP, true, 0);
    return ACTION_RESUME;
  }
  const actual = legalCr0(value);
  const wasPaging = (vmcsReadNat(GUEST_CR0) & CR0_PG) != 0;
  const paging = (value & CR0_PG) != 0;
  let efer = vmcsRead64(GUEST_IA32_EFER);
  // IA-32e mode is left from compatibility mode only: clearing PG in
  // 64-bit code is #GP (Vol. 2B MOV CR, 64-bit mode exceptions; 10.8.5.4).
  if (wasPaging && !paging && (efer & EFER_LMA) != 0 && (vmcsRead32(GUEST_CS_ACCESS_RIGHTS) & SEGMENT_AR_L) != 0) {
    injectException(VECTOR_GP, true, 0);
    return ACTION_RESUME;
  }
  // IA-32e mode needs PAE paging (Vol. 3A 10.8.5).
  if (paging && !wasPaging && (efer & EFER_LME) != 0 && (vmcsReadNat(GUEST_CR4) & CR4_PAE) == 0) {
    injectException(VECTOR_GP, true, 0);
    return ACTION_RESUME;
  }
  // PAE paging outside IA-32e mode: its PDPTEs are loaded (and checked)
  // before anything changes, as the CPU does (a bad one is #GP, CR0 kept).
  if (paging && !wasPaging && (efer & EFER_LME) == 0 && (vmcsReadNat(GUEST_CR4) & CR4_PAE) != 0 && !loadPdptes(vcpu)) {
    return ACTION_RESUME;
  }
  if (paging != wasPaging && (efer & EFER_LME) != 0) {
    // IA32_EFER.LMA follows CR0.PG when LME is set (Vol. 3A 10.8.5).
    eferWithMode(paging ? efer | EFER_LMA : efer & ~EFER_LMA);
  }
  vmcsWriteNat(GUEST_CR0, actual);
  vmcsWriteNat(CR0_READ_SHADOW, value);
  return ACTION_NEXT;
}

// MOV to CR8 exits (src/vmx/apic.ts: without a TPR shadow it would set the
// host's TPR): the LAPIC's TPR, or the vCPU's own copy without one.
function writeCr8(vcpu: Vcpu, value: u64): u32 {
  if (value > 15) {
    injectException(VECTOR_GP, true, 0);
    return ACTION_RESUME;
  }
  const lapic = vcpu.lapic;
  if (lapic !== null) lapic.setTpr(<u32>value << 4);
  else vcpu.state.cr8 = <u8>value;
  return ACTION_NEXT;
}

function writeCr4(vcpu: Vcpu, value: u64): u32 {
  const fixed1 = rdmsr(IA32_VMX_CR4_FIXED1);
  if ((value & CR4_OWNED) != 0 || (value & ~fixed1) != 0) {
    injectException(VECTOR_GP, true, 0);
    return ACTION_RESUME;
  }
  vmcsWriteNat(GUEST_CR4, legalCr4(value));
  vmcsWriteNat(CR4_READ_SHADOW, value);
  return ACTION_NEXT;
}

// PAE paging outside IA-32e mode with EPT: VM entry loads the four PDPTEs
// from the VMCS (Vol. 3C 27.3.2.4), so they are read from the guest here,
// and checked as MOV to CR0 checks them (Vol. 3A 5.4.1): a present one with
// a reserved bit set (2:1, 8:5, or at or above MAXPHYADDR) is #GP, where VM
// entry would fail on it (27.3.1.6). False, #GP injected, nothing loaded.
function loadPdptes(vcpu: Vcpu): bool {
  const cr3 = vmcsReadNat(GUEST_CR3) & 0xffffffe0;
  let ok = guestCopy(vcpu.domain, cr3, pdptes, 32, false);
  const reserved = PDPTE_RESERVED | ~((<u64>1 << <u64>hostPhysBits()) - 1);
  for (let i = 0; ok && i < 4; i++) {
    const e = load<u64>(pdptes + (<usize>i << 3));
    if ((e & 1) != 0 && (e & reserved) != 0) ok = false;
  }
  if (!ok) {
    injectException(VECTOR_GP, true, 0);
    return false;
  }
  vmcsWrite64(GUEST_PDPTE0, load<u64>(pdptes, 0));
  vmcsWrite64(GUEST_PDPTE1, load<u64>(pdptes, 8));
  vmcsWrite64(GUEST_PDPTE2, load<u64>(pdptes, 16));
  vmcsWrite64(GUEST_PDPTE3, load<u64>(pdptes, 24));
  return true;
}
