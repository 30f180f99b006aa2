// Building a vCPU's VMCS (SDM Vol. 3C Chapter 25): controls derived from the
// capability MSRs (required-1 and required-0 bits honoured), host state from
// the boot stub, and the guest's architectural state at entry for one of the
// entry modes the domain builder asks for.
import { Vcpu } from "../domain/domain";
import { vmclear, vmptrld, read_cr0, read_cr3, read_cr4, rdmsr } from "../arch/hw";
import { VMX_SUCCEED } from "../arch/vmx-status";
import { IA32_VMX_BASIC, IA32_PAT, IA32_EFER, IA32_PAT_RESET } from "../arch/msr";
import { HANDOFF_IDT, HANDOFF_VMEXIT, HANDOFF_VMEXIT_FLOOR, HOST_SEL_CODE, HOST_SEL_DATA, HOST_SEL_TSS } from "../arch/layout";
import * as F from "../arch/vmcs";
import * as V from "../arch/vmx";
import { CR0_PE, CR0_MP, CR0_ET, CR0_NE, CR0_WP, CR0_PG, CR4_PAE, EFER_LME, EFER_LMA, RFLAGS_FIXED } from "../arch/cr";
import {
  vmxRevisionId, vmxAdjustControls, vmxPinCtlsMsr, vmxProcCtlsMsr, vmxProc2CtlsMsr, vmxExitCtlsMsr,
  vmxEntryCtlsMsr, vmxAllowed1,
} from "./capabilities";
import { CR0_OWNED, CR4_OWNED, legalCr0, legalCr4 } from "./exit/cr-access";
import { vmcsWrite16, vmcsWrite32, vmcsWrite64, vmcsWriteNat } from "./vmcs";
import { frameAlloc } from "../mm/frames";
import { zeroFrame } from "../mm/scrub";
import { vmcsMadeHere, vmcsHostPerCpu } from "./switch";
import { thisCpu } from "../cpu/percpu";
import { panic } from "../log/log";
import { apicVmcsInit } from "./apic";

// How the guest starts (the domain builder decides).
export const START_REAL: u32 = 0;        // real mode at CS:IP = 0:entry
export const START_PROTECTED32: u32 = 1; // 32-bit protected mode, paging off (multiboot)
export const START_LONG64: u32 = 2;      // 64-bit mode with the builder's page tables

export class StartState {
  mode: u32 = START_PROTECTED32;
  rip: u64 = 0;
  rsp: u64 = 0;
  rax: u64 = 0;
  rbx: u64 = 0;
  rdi: u64 = 0;
  rsi: u64 = 0;
  cr3: u64 = 0;       // START_LONG64: the page tables
  gdtBase: u64 = 0;   // START_LONG64: a GDT with CODE64/DATA selectors
  gdtLimit: u32 = 0;
  realCs: u32 = 0;    // START_REAL: the code segment (RIP is the offset in it)

  // As new: protected mode, everything 0.
  clear(): StartState {
    this.mode = START_PROTECTED32;
    this.rip = 0;
    this.rsp = 0;
    this.rax = 0;
    this.rbx = 0;
    this.rdi = 0;
    this.rsi = 0;
    this.cr3 = 0;
    this.gdtBase = 0;
    this.gdtLimit = 0;
    this.realCs = 0;
    return this;
  }
}
export const GUEST_SEL_CODE: u32 = 0x08;
export const GUEST_SEL_DATA: u32 = 0x10;

// Segment access rights at entry (Vol. 3C 25.4.1, Table 25-2): present,
// accessed code (execute/read, type 0xb) or data (read/write, type 3).
const AR_CODE16: u32 = F.SEGMENT_AR_P | F.SEGMENT_AR_S | 0xb;
const AR_DATA16: u32 = F.SEGMENT_AR_P | F.SEGMENT_AR_S | 0x3;
const AR_CODE32: u32 = AR_CODE16 | F.SEGMENT_AR_DB | F.SEGMENT_AR_G;
const AR_DATA32: u32 = AR_DATA16 | F.SEGMENT_AR_DB | F.SEGMENT_AR_G;
const AR_CODE64: u32 = AR_CODE16 | F.SEGMENT_AR_L | F.SEGMENT_AR_G;
const AR_TSS_BUSY: u32 = F.SEGMENT_AR_P | 0xb;  // busy 32/64-bit TSS


// All-ones I/O and MSR bitmaps, shared by every vCPU: every port and MSR
// access exits. A domain with devices of its own (Domain 0) has its own
// bitmap A instead (Domain.ioBitmapA).
let ioBitmapA: u64 = 0;
let ioBitmapB: u64 = 0;
let msrBitmap: u64 = 0;

function onesFrame(): u64 {
  const f = frameAlloc();
  if (f == 0) panic("no memory for the VMX bitmaps");
  memory.fill(<usize>f, 0xff, 4096);
  return f;
}

// A private I/O bitmap A on which every port exits; 0 if no frame is free.
export function ioBitmapAlloc(): u64 {
  const f = frameAlloc();
  if (f != 0) memory.fill(<usize>f, 0xff, 4096);
  return f;
}

// Ports [base, base + count) of bitmap A no longer exit: the guest's IN and
// OUT reach the hardware.
export function ioBitmapPass(bitmapA: u64, base: u32, count: u32): void {
  for (let p = base; p < base + count && p < V.IO_BITMAP_A_PORTS; p++) {
    const b = <usize>bitmapA + (p >> 3);
    store<u8>(b, load<u8>(b) & ~(<u8>1 << <u8>(p & 7)));
  }
}

// Do ports [base, base + count) all pass through bitmap A (0: none does)?
export function ioBitmapPasses(bitmapA: u64, base: u32, count: u32): bool {
  if (bitmapA == 0) return false;
  for (let p = base; p < base + count; p++) {
    if (p >= V.IO_BITMAP_A_PORTS || (load<u8>(<usize>bitmapA + (p >> 3)) & (<u8>1 << <u8>(p & 7))) != 0) return false;
  }
  return true;
}

// Allocates and fills the vCPU's VMCS and leaves it current on this CPU.
export function vmcsInit(vcpu: Vcpu, handoff: u32, start: StartState): void {
  if (msrBitmap == 0) {
    ioBitmapA = onesFrame();
    ioBitmapB = onesFrame();
    msrBitmap = onesFrame();
  }
  const vmcs = frameAlloc();
  if (vmcs == 0) panic("no memory for a VMCS");
  zeroFrame(vmcs);
  store<u32>(<usize>vmcs, vmxRevisionId(rdmsr(IA32_VMX_BASIC)));
  vcpu.vmcs = vmcs;
  vcpu.windowExiting = false;
  vcpu.nmiWindowExiting = false;
  if (vmclear(vmcs) != VMX_SUCCEED || vmptrld(vmcs) != VMX_SUCCEED) panic("VMCLEAR/VMPTRLD of a new VMCS failed");
  vmcsMadeHere(vcpu);

  controls(vcpu, start.mode == START_LONG64);
  hostState(handoff, vcpu.domain.floorExits);
  guestState(vcpu, start);
}

function controls(vcpu: Vcpu, longMode: bool): void {
  const dom = vcpu.domain;
  vmcsWrite32(F.PIN_BASED_VM_EXEC_CONTROL, vmxAdjustControls(vmxPinCtlsMsr(),
    V.PIN_EXTERNAL_INTERRUPT_EXITING | V.PIN_NMI_EXITING | V.PIN_VIRTUAL_NMIS | V.PIN_ACTIVATE_VMX_PREEMPTION_TIMER));
  vmcsWrite32(F.CPU_BASED_VM_EXEC_CONTROL, vmxAdjustControls(vmxProcCtlsMsr(),
    V.PROC_HLT_EXITING | V.PROC_USE_TSC_OFFSETTING | V.PROC_MWAIT_EXITING | V.PROC_MONITOR_EXITING |
    V.PROC_USE_IO_BITMAPS | V.PROC_USE_MSR_BITMAPS | V.PROC_ACTIVATE_SECONDARY_CONTROLS));
  // Optional features only where the CPU has them.
  const proc2Allowed = vmxAllowed1(vmxProc2CtlsMsr());
  let proc2 = V.PROC2_ENABLE_EPT | V.PROC2_UNRESTRICTED_GUEST;
  proc2 |= proc2Allowed & (V.PROC2_ENABLE_VPID | V.PROC2_ENABLE_RDTSCP | V.PROC2_ENABLE_INVPCID);
  vmcsWrite32(F.SECONDARY_VM_EXEC_CONTROL, vmxAdjustControls(vmxProc2CtlsMsr(), proc2));
  vmcsWrite32(F.VM_EXIT_CONTROLS, vmxAdjustControls(vmxExitCtlsMsr(),
    V.EXIT_HOST_ADDRESS_SPACE_SIZE | V.EXIT_SAVE_IA32_PAT | V.EXIT_LOAD_IA32_PAT | V.EXIT_SAVE_IA32_EFER |
    V.EXIT_LOAD_IA32_EFER | V.EXIT_SAVE_VMX_PREEMPTION_TIMER_VALUE | V.EXIT_ACKNOWLEDGE_INTERRUPT_ON_EXIT));
  vmcsWrite32(F.VM_ENTRY_CONTROLS, vmxAdjustControls(vmxEntryCtlsMsr(),
    V.ENTRY_LOAD_IA32_PAT | V.ENTRY_LOAD_IA32_EFER | (longMode ? V.ENTRY_IA_32E_MODE_GUEST : 0)));
  vmcsWrite32(F.EXCEPTION_BITMAP, 0);
  vmcsWrite32(F.CR3_TARGET_COUNT, 0);
  vmcsWrite32(F.VM_EXIT_MSR_STORE_COUNT, 0);
  vmcsWrite32(F.VM_EXIT_MSR_LOAD_COUNT, 0);
  vmcsWrite32(F.VM_ENTRY_MSR_LOAD_COUNT, 0);
  vmcsWrite32(F.VM_ENTRY_INTR_INFO_FIELD, 0);
  vmcsWriteNat(F.CR0_GUEST_HOST_MASK, CR0_OWNED);
  vmcsWriteNat(F.CR4_GUEST_HOST_MASK, CR4_OWNED);
  vmcsWrite64(F.IO_BITMAP_A, dom.ioBitmapA != 0 ? dom.ioBitmapA : ioBitmapA);
  vmcsWrite64(F.IO_BITMAP_B, ioBitmapB);
  vmcsWrite64(F.MSR_BITMAP, msrBitmap);
  vmcsWrite64(F.EPT_POINTER, dom.eptPointer);
  if (proc2Allowed & V.PROC2_ENABLE_VPID) vmcsWrite16(F.VIRTUAL_PROCESSOR_ID, <u16>vcpu.vpid);
  vcpu.tscOffset = dom.tscOffset;
  vmcsWrite64(F.TSC_OFFSET, vcpu.tscOffset);
  vmcsWrite64(F.VMCS_LINK_POINTER, 0xffffffffffffffff);
  apicVmcsInit(vcpu, msrBitmap);
}

// What the CPU loads on every VM exit (Vol. 3C 25.5): this CPU's state as
// the boot stub set it up. The per-CPU part (vmcsHostPerCpu) is rewritten
// when the VMCS is loaded on another CPU.
function hostState(handoff: u32, floorExits: bool): void {
  vmcsWriteNat(F.HOST_CR0, read_cr0());
  vmcsWriteNat(F.HOST_CR3, read_cr3());
  vmcsWriteNat(F.HOST_CR4, read_cr4());
  vmcsWrite16(F.HOST_ES_SELECTOR, <u16>HOST_SEL_DATA);
  vmcsWrite16(F.HOST_CS_SELECTOR, <u16>HOST_SEL_CODE);
  vmcsWrite16(F.HOST_SS_SELECTOR, <u16>HOST_SEL_DATA);
  vmcsWrite16(F.HOST_DS_SELECTOR, <u16>HOST_SEL_DATA);
  vmcsWrite16(F.HOST_FS_SELECTOR, 0);
  vmcsWrite16(F.HOST_GS_SELECTOR, 0);
  vmcsWrite16(F.HOST_TR_SELECTOR, <u16>HOST_SEL_TSS);
  vmcsWriteNat(F.HOST_FS_BASE, 0);
  vmcsHostPerCpu();
  vmcsWriteNat(F.HOST_IDTR_BASE, load<u64>(handoff + HANDOFF_IDT));
  vmcsWrite32(F.HOST_IA32_SYSENTER_CS, 0);
  vmcsWriteNat(F.HOST_IA32_SYSENTER_ESP, 0);
  vmcsWriteNat(F.HOST_IA32_SYSENTER_EIP, 0);
  vmcsWrite64(F.HOST_IA32_PAT, rdmsr(IA32_PAT));
  vmcsWrite64(F.HOST_IA32_EFER, rdmsr(IA32_EFER));
  vmcsWriteNat(F.HOST_RIP, load<u64>(handoff + (floorExits ? HANDOFF_VMEXIT_FLOOR : HANDOFF_VMEXIT)));
}

function segment(sel: u32, base: u32, limit: u32, ar: u32, value: u32, baseField: u32, limitField: u32, arField: u32): void {
  vmcsWrite16(sel, <u16>value);
  vmcsWriteNat(baseField, base);
  vmcsWrite32(limitField, limit);
  vmcsWrite32(arField, ar);
}

function dataSegments(sel: u32, limit: u32, ar: u32): void {
  segment(F.GUEST_ES_SELECTOR, 0, limit, ar, sel, F.GUEST_ES_BASE, F.GUEST_ES_LIMIT, F.GUEST_ES_ACCESS_RIGHTS);
  segment(F.GUEST_SS_SELECTOR, 0, limit, ar, sel, F.GUEST_SS_BASE, F.GUEST_SS_LIMIT, F.GUEST_SS_ACCESS_RIGHTS);
  segment(F.GUEST_DS_SELECTOR, 0, limit, ar, sel, F.GUEST_DS_BASE, F.GUEST_DS_LIMIT, F.GUEST_DS_ACCESS_RIGHTS);
  segment(F.GUEST_FS_SELECTOR, 0, limit, ar, sel, F.GUEST_FS_BASE, F.GUEST_FS_LIMIT, F.GUEST_FS_ACCESS_RIGHTS);
  segment(F.GUEST_GS_SELECTOR, 0, limit, ar, sel, F.GUEST_GS_BASE, F.GUEST_GS_LIMIT, F.GUEST_GS_ACCESS_RIGHTS);
}

function guestState(vcpu: Vcpu, s: StartState): void {
  let cr0: u64 = CR0_ET;
  let cr4: u64 = 0;
  let efer: u64 = 0;
  if (s.mode == START_REAL) {
    segment(F.GUEST_CS_SELECTOR, s.realCs << 4, 0xffff, AR_CODE16, s.realCs, F.GUEST_CS_BASE, F.GUEST_CS_LIMIT, F.GUEST_CS_ACCESS_RIGHTS);
    dataSegments(0, 0xffff, AR_DATA16);
    vmcsWrite32(F.GUEST_IDTR_LIMIT, 0x3ff);
    vmcsWrite32(F.GUEST_GDTR_LIMIT, 0xffff);
  } else if (s.mode == START_PROTECTED32) {
    cr0 |= CR0_PE;
    segment(F.GUEST_CS_SELECTOR, 0, 0xffffffff, AR_CODE32, GUEST_SEL_CODE, F.GUEST_CS_BASE, F.GUEST_CS_LIMIT, F.GUEST_CS_ACCESS_RIGHTS);
    dataSegments(GUEST_SEL_DATA, 0xffffffff, AR_DATA32);
    vmcsWrite32(F.GUEST_IDTR_LIMIT, 0);
    vmcsWrite32(F.GUEST_GDTR_LIMIT, 0xffff);
  } else {
    cr0 |= CR0_PE | CR0_MP | CR0_NE | CR0_WP | CR0_PG;
    cr4 |= CR4_PAE;
    efer = EFER_LME | EFER_LMA;
    segment(F.GUEST_CS_SELECTOR, 0, 0xffffffff, AR_CODE64, GUEST_SEL_CODE, F.GUEST_CS_BASE, F.GUEST_CS_LIMIT, F.GUEST_CS_ACCESS_RIGHTS);
    dataSegments(GUEST_SEL_DATA, 0xffffffff, AR_DATA32);
    vmcsWriteNat(F.GUEST_CR3, s.cr3);
    vmcsWriteNat(F.GUEST_GDTR_BASE, s.gdtBase);
    vmcsWrite32(F.GUEST_GDTR_LIMIT, s.gdtLimit);
    vmcsWrite32(F.GUEST_IDTR_LIMIT, 0);
  }
  segment(F.GUEST_TR_SELECTOR, 0, 0xffff, AR_TSS_BUSY, 0, F.GUEST_TR_BASE, F.GUEST_TR_LIMIT, F.GUEST_TR_ACCESS_RIGHTS);
  segment(F.GUEST_LDTR_SELECTOR, 0, 0, F.SEGMENT_AR_UNUSABLE, 0, F.GUEST_LDTR_BASE, F.GUEST_LDTR_LIMIT, F.GUEST_LDTR_ACCESS_RIGHTS);
  if (s.mode != START_LONG64) vmcsWriteNat(F.GUEST_GDTR_BASE, 0);
  vmcsWriteNat(F.GUEST_IDTR_BASE, 0);
  vmcsWriteNat(F.GUEST_CR0, legalCr0(cr0));
  vmcsWriteNat(F.CR0_READ_SHADOW, cr0);
  vmcsWriteNat(F.GUEST_CR4, legalCr4(cr4));
  vmcsWriteNat(F.CR4_READ_SHADOW, cr4);
  vmcsWrite64(F.GUEST_IA32_EFER, efer);
  vmcsWrite64(F.GUEST_IA32_PAT, IA32_PAT_RESET);
  vmcsWrite64(F.GUEST_IA32_DEBUGCTL, 0);
  vmcsWriteNat(F.GUEST_DR7, 0x400);
  vmcsWriteNat(F.GUEST_RIP, s.rip);
  vmcsWriteNat(F.GUEST_RSP, s.rsp);
  vmcsWriteNat(F.GUEST_RFLAGS, RFLAGS_FIXED);
  vmcsWrite32(F.GUEST_ACTIVITY_STATE, 0);
  vmcsWrite32(F.GUEST_INTERRUPTIBILITY_INFO, 0);
  vmcsWriteNat(F.GUEST_PENDING_DEBUG_EXCEPTIONS, 0);
  vmcsWrite32(F.GUEST_SYSENTER_CS, 0);
  vmcsWriteNat(F.GUEST_SYSENTER_ESP, 0);
  vmcsWriteNat(F.GUEST_SYSENTER_EIP, 0);
  store<u64>(vcpu.regs, s.rax, 0);
  store<u64>(vcpu.regs, s.rbx, 24);
  store<u64>(vcpu.regs, s.rsi, 48);
  store<u64>(vcpu.regs, s.rdi, 56);
}
