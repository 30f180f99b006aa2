// The checks a VM entry makes on the guest-state area (SDM Vol. 3C 27.3.1,
// with unrestricted guest, as every domain here runs), made first on guest
// state that comes from outside: a vCPU record of a saved image (src/state/
// capture.ts), so that one whose CRCs match but whose fields a CPU would not
// enter is refused by name instead of stopping the domain at its first
// entry. The same rules guard the exits that take a value from the guest
// (PAT, MAXPHYADDR).
import { rdmsr, cpuid } from "../arch/hw";
import { IA32_VMX_CR0_FIXED0, IA32_VMX_CR0_FIXED1, IA32_VMX_CR4_FIXED0, IA32_VMX_CR4_FIXED1 } from "../arch/msr";
import { CPUID_LEAF_EXT_MAX, CPUID_LEAF_ADDRESS_SIZES, CPUID_EAX } from "../arch/cpuid";
import { CR0_PE, CR0_PG, CR4_PAE, EFER_SCE, EFER_LME, EFER_LMA, EFER_NXE } from "../arch/cr";
import { isCanonical } from "../arch/paging";
import { XSAVE_MXCSR, XSAVE_HEADER, XSAVE_HEADER_SIZE, MXCSR_RESERVED } from "../arch/cr";
import { hex } from "../lib/str";
import { VcpuState } from "../domain/domain";
import { xcr0Valid } from "./exit/xsetbv";
import { guestXcr0Allowed } from "./vmxon";
import { specGuestCtrlMask } from "../cpu/mitigations";

// Each of the eight entries a memory type PAT can hold: UC, WC, WT, WP, WB
// or UC- (0, 1, 4-7; SDM Vol. 3A 11.12.2). Any other is #GP, where VM entry
// would fail on it (27.3.1.1).
export function patValid(value: u64): bool {
  for (let i: u64 = 0; i < 64; i += 8) {
    const t = (value >> i) & 0xff;
    if (t == 2 || t == 3 || t > 7) return false;
  }
  return true;
}

// The host's MAXPHYADDR (CPUID 80000008H:EAX[7:0]; 36 without the leaf),
// the guest's too: its CPUID passes it through.
const regs = memory.data(16, 4);
let physBits: u32 = 0;
export function hostPhysBits(): u32 {
  if (physBits == 0) {
    cpuid(CPUID_LEAF_EXT_MAX, 0, regs);
    physBits = 36;
    if (load<u32>(regs, CPUID_EAX) >= CPUID_LEAF_ADDRESS_SIZES) {
      cpuid(CPUID_LEAF_ADDRESS_SIZES, 0, regs);
      const b = load<u32>(regs, CPUID_EAX) & 0xff;
      if (b >= 32 && b <= 52) physBits = b;
    }
  }
  return physBits;
}

// The fields checked, as a record holds them.
export class GuestState {
  cr0: u64 = 0; cr3: u64 = 0; cr4: u64 = 0; dr7: u64 = 0;
  debugctl: u64 = 0; pat: u64 = 0; efer: u64 = 0;
  rip: u64 = 0; rflags: u64 = 0; pendingDebug: u64 = 0;
  sysenterEsp: u64 = 0; sysenterEip: u64 = 0;
  fsBase: u64 = 0; gsBase: u64 = 0; ldtrBase: u64 = 0; trBase: u64 = 0; gdtrBase: u64 = 0; idtrBase: u64 = 0;
  gdtrLimit: u64 = 0; idtrLimit: u64 = 0;
  csAr: u64 = 0; ssAr: u64 = 0; trAr: u64 = 0; ldtrAr: u64 = 0;
  activity: u64 = 0; interruptibility: u64 = 0;
  entryIntr: u64 = 0; entryError: u64 = 0; entryLength: u64 = 0;
}

const AR_UNUSABLE: u64 = 1 << 16;
const AR_RESERVED: u64 = 0xfffe0f00;   // bits 31:17 and 11:8
const AR_L: u64 = 1 << 13;
const RFLAGS_FIXED1: u64 = 1 << 1;
const RFLAGS_RESERVED: u64 = 0xffffffffffc08028;   // bits 63:22, 15, 5, 3
const RFLAGS_VM: u64 = 1 << 17;
const RFLAGS_IF: u64 = 1 << 9;
const DEBUGCTL_ALLOWED: u64 = 0xffc3;               // LBR, BTF, 15:6 (Vol. 3B 18.4.1)
const PENDING_DEBUG_RESERVED: u64 = 0xfffffffffffeaff0;   // all but B3-B0, BP (12), BS (14), RTM (16)
const ACTIVITY_HLT: u64 = 1;
const ACTIVITY_WAIT_SIPI: u64 = 3;
const AR_DPL_SHIFT: u64 = 5;
const INTR_VALID: u64 = 1 << 31;
const INTR_RESERVED: u64 = 0x7ffff000;              // bits 30:12
const INTR_TYPE_SHIFT: u64 = 8;
const INTR_TYPE_RESERVED: u64 = 1;
const INTR_TYPE_NMI: u64 = 2;
const INTR_TYPE_HARD_EXCEPTION: u64 = 3;
const INTR_TYPE_SOFT_INTR: u64 = 4;
const INTR_TYPE_OTHER: u64 = 7;
const INTR_ERROR_CODE: u64 = 1 << 11;
const VECTOR_NMI: u64 = 2;
// Exceptions that push an error code (Vol. 3A 6.15): #DF, #TS, #NP, #SS,
// #GP, #PF, #AC.
const ERROR_CODE_VECTORS: u64 = (1 << 8) | (1 << 10) | (1 << 11) | (1 << 12) | (1 << 13) | (1 << 14) | (1 << 17);

// What a vCPU record holds beyond the VMCS (its VcpuState `s` and XSAVE
// area), checked as the instructions that load them would be (XSETBV,
// WRMSR, XRSTOR's standard form): switching the vCPU in would fault in the
// host on a value they refuse (src/vmx/switch.ts). Why not, or "".
export function vcpuExtrasRefusal(s: VcpuState, xsave: usize): string {
  if (!xcr0Valid(s.xcr0)) return "XCR0 " + hex(s.xcr0) + " not one XSETBV takes";
  if (!isCanonical(s.kernelGsBase) || !isCanonical(s.lstar) || !isCanonical(s.cstar)) {
    return "IA32_KERNEL_GS_BASE, IA32_LSTAR or IA32_CSTAR not canonical";
  }
  if ((s.sfmask >> 32) != 0 || (s.tscAux >> 32) != 0) return "IA32_FMASK or IA32_TSC_AUX: bits 63:32 set";
  if ((s.specCtrl & ~specGuestCtrlMask()) != 0) return "IA32_SPEC_CTRL " + hex(s.specCtrl) + " sets bits this CPU lacks";
  if ((load<u32>(xsave + XSAVE_MXCSR) & MXCSR_RESERVED) != 0) return "MXCSR sets reserved bits";
  if ((load<u64>(xsave + XSAVE_HEADER) & ~guestXcr0Allowed()) != 0) return "XSTATE_BV names components this CPU lacks";
  for (let i: u32 = 8; i < XSAVE_HEADER_SIZE; i += 8) {
    if (load<u64>(xsave + XSAVE_HEADER + i) != 0) return "the XSAVE header sets reserved bytes";
  }
  return "";
}

// Why a VM entry would refuse `g`, or "".
export function guestStateRefusal(g: GuestState): string {
  const fixed0 = rdmsr(IA32_VMX_CR0_FIXED0) & ~(CR0_PE | CR0_PG);
  if ((g.cr0 & fixed0) != fixed0 || (g.cr0 & ~rdmsr(IA32_VMX_CR0_FIXED1)) != 0) return "CR0 " + hex(g.cr0) + " breaks VMX's fixed bits";
  if ((g.cr0 & CR0_PG) != 0 && (g.cr0 & CR0_PE) == 0) return "CR0 " + hex(g.cr0) + ": paging without protection";
  const f4 = rdmsr(IA32_VMX_CR4_FIXED0);
  if ((g.cr4 & f4) != f4 || (g.cr4 & ~rdmsr(IA32_VMX_CR4_FIXED1)) != 0) return "CR4 " + hex(g.cr4) + " breaks VMX's fixed bits";
  if ((g.cr3 >> <u64>hostPhysBits()) != 0) return "CR3 " + hex(g.cr3) + " beyond the physical address width";
  if ((g.debugctl & ~DEBUGCTL_ALLOWED) != 0) return "IA32_DEBUGCTL " + hex(g.debugctl) + " sets reserved bits";
  if (!patValid(g.pat)) return "IA32_PAT " + hex(g.pat) + " holds a reserved memory type";
  if ((g.efer & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)) != 0) return "IA32_EFER " + hex(g.efer) + " sets bits a guest cannot";
  const long = (g.efer & EFER_LMA) != 0;
  if ((g.cr0 & CR0_PG) != 0 && long != ((g.efer & EFER_LME) != 0)) return "IA32_EFER " + hex(g.efer) + ": LMA and LME differ with paging on";
  if (long && ((g.cr0 & CR0_PG) == 0 || (g.cr4 & CR4_PAE) == 0)) return "IA-32e mode without paging and PAE";
  if ((g.dr7 >> 32) != 0) return "DR7 " + hex(g.dr7) + ": bits 63:32 set";
  if (!isCanonical(g.sysenterEsp) || !isCanonical(g.sysenterEip)) return "IA32_SYSENTER_ESP or _EIP not canonical";
  if (!isCanonical(g.fsBase) || !isCanonical(g.gsBase) || !isCanonical(g.ldtrBase) || !isCanonical(g.trBase) ||
      !isCanonical(g.gdtrBase) || !isCanonical(g.idtrBase)) return "a segment or table base not canonical";
  if (g.gdtrLimit > 0xffff || g.idtrLimit > 0xffff) return "a GDTR or IDTR limit above 0xffff";
  for (let i = 0; i < 4; i++) {
    const ar = i == 0 ? g.csAr : i == 1 ? g.ssAr : i == 2 ? g.trAr : g.ldtrAr;
    if ((ar & AR_UNUSABLE) == 0 && (ar & AR_RESERVED) != 0) return "access rights " + hex(ar) + " set reserved bits";
  }
  if ((g.trAr & AR_UNUSABLE) != 0) return "TR unusable";
  if ((g.rflags & RFLAGS_RESERVED) != 0 || (g.rflags & RFLAGS_FIXED1) == 0) return "RFLAGS " + hex(g.rflags) + ": reserved bits";
  if ((g.rflags & RFLAGS_VM) != 0 && (long || (g.cr0 & CR0_PE) == 0)) return "RFLAGS.VM outside protected mode";
  const wide = long && (g.csAr & AR_L) != 0;
  if (wide ? !isCanonical(g.rip) : (g.rip >> 32) != 0) return "RIP " + hex(g.rip) + " outside its mode's range";
  if ((g.pendingDebug & PENDING_DEBUG_RESERVED) != 0) return "pending debug exceptions set reserved bits";
  if (g.activity > ACTIVITY_WAIT_SIPI) return "activity state " + hex(g.activity);
  if (g.activity == ACTIVITY_HLT && ((g.ssAr >> AR_DPL_SHIFT) & 3) != 0) return "halted outside ring 0";
  if ((g.interruptibility >> 5) != 0 || (g.interruptibility & 3) == 3) return "interruptibility " + hex(g.interruptibility);
  if ((g.interruptibility & 1) != 0 && (g.rflags & RFLAGS_IF) == 0) return "blocking by STI with IF clear";
  return (g.entryIntr & INTR_VALID) != 0 ? injectionRefusal(g) : "";
}

// An event to inject as the VM-entry control checks take it (Vol. 3C
// 27.2.1.3): a VM entry that fails these fails as an instruction.
function injectionRefusal(g: GuestState): string {
  const info = g.entryIntr;
  const type = (info >> INTR_TYPE_SHIFT) & 7, vector = info & 0xff;
  const bad = "an event to inject that a CPU would not (" + hex(info) + ")";
  if ((info & INTR_RESERVED) != 0 || type == INTR_TYPE_RESERVED || type == INTR_TYPE_OTHER) return bad;
  if (type == INTR_TYPE_NMI && vector != VECTOR_NMI) return bad;
  if (type == INTR_TYPE_HARD_EXCEPTION && vector > 31) return bad;
  const coded = type == INTR_TYPE_HARD_EXCEPTION && vector < 32 && ((ERROR_CODE_VECTORS >> vector) & 1) != 0 && (g.cr0 & CR0_PE) != 0;
  if (((info & INTR_ERROR_CODE) != 0) != coded) return bad + ": error code";
  if ((info & INTR_ERROR_CODE) != 0 && (g.entryError >> 16) != 0) return bad + ": error code above 16 bits";
  if (type >= INTR_TYPE_SOFT_INTR && type != INTR_TYPE_OTHER && (g.entryLength == 0 || g.entryLength > 15)) return bad + ": instruction length";
  return "";
}
