// The CPU side of a vCPU's local APIC model (src/devices/lapic.ts), one of
// two ways:
//
// - APIC virtualization (SDM Vol. 3C Chapter 30), where the CPU has the
//   APIC-access page, APIC-register virtualization and virtual-interrupt
//   delivery and the hypervisor command line does not say `apicv=0`: the
//   model's register page is the virtual-APIC page. Reads, xAPIC TPR (CR8
//   too) and EOIs of edge-triggered vectors cost no exit; the CPU delivers
//   from IRR by RVI at VM entry (apicvSync); other writes exit after the
//   fact (APIC write, the model does what they do), reads of the timer's
//   current count and odd accesses exit as APIC accesses, EOIs of level-
//   triggered vectors (the EOI-exit bitmap is TMR) exit for the I/O APIC.
// - Without: every xAPIC access is an EPT violation on the vCPU's MMIO bus,
//   every x2APIC MSR exits, CR8 exits to the model's TPR, and vectors are
//   injected as external interrupts.
//
// NMIs, ExtINT (the PIC's vector) and INIT are the same in both: injected,
// or, for INIT, the vCPU goes to wait-for-SIPI.
import { Vcpu, EOI_EXIT_UNKNOWN, EOI_EXIT_ALL } from "../domain/domain";
import { Lapic, x2apicReadable, IRR_MORE } from "../devices/lapic";
import { vmcsRead16, vmcsRead32, vmcsWrite16, vmcsWrite32, vmcsWrite64 } from "./vmcs";
import { vmxProcCtlsMsr, vmxProc2CtlsMsr, vmxPinCtlsMsr, vmxCanSet } from "./capabilities";
import { guestApicAccessPage } from "../domain/memory";
import { frameAlloc } from "../mm/frames";
import {
  CPU_BASED_VM_EXEC_CONTROL, SECONDARY_VM_EXEC_CONTROL, VIRTUAL_APIC_PAGE_ADDR, APIC_ACCESS_ADDR,
  TPR_THRESHOLD, GUEST_INTERRUPT_STATUS, EOI_EXIT_BITMAP0, EOI_EXIT_BITMAP1, EOI_EXIT_BITMAP2,
  EOI_EXIT_BITMAP3, MSR_BITMAP,
} from "../arch/vmcs";
import {
  PROC_USE_TPR_SHADOW, PROC_CR8_LOAD_EXITING, PROC_CR8_STORE_EXITING, PROC2_VIRTUALIZE_APIC_ACCESSES,
  PROC2_VIRTUALIZE_X2APIC_MODE, PROC2_APIC_REGISTER_VIRTUALIZATION, PROC2_VIRTUAL_INTERRUPT_DELIVERY,
  PIN_EXTERNAL_INTERRUPT_EXITING,
} from "../arch/vmx";
import { APIC_DEFAULT_BASE } from "../arch/msr";
import { X2APIC_MSR_BASE, LAPIC_TPR, LAPIC_EOI, LAPIC_SELF_IPI, LAPIC_TIMER_CURRENT } from "../arch/apic";

const APICV_PROC2: u32 = PROC2_VIRTUALIZE_APIC_ACCESSES | PROC2_VIRTUALIZE_X2APIC_MODE |
  PROC2_APIC_REGISTER_VIRTUALIZATION | PROC2_VIRTUAL_INTERRUPT_DELIVERY;

// Decided once at boot (apicvConfigure): the CPU has it all and the
// command line does not turn it off.
let apicv = false;
// The MSR bitmap of a vCPU in x2APIC mode with APIC virtualization: as the
// shared all-exit one (`exitAll`), but reads of the registers x2APIC mode
// has, other than the timer's current count, and writes of EOI pass (TPR
// and SELF IPI writes exit: apicvSync). The CPU reads any of 800H-8FFH
// from the virtual-APIC page without checking that the register exists
// (30.5), so reads of the others (DFR, APR, EOI, SELF IPI, reserved) exit
// to the model for #GP.
let msrBitmapAll: u64 = 0;
let msrBitmapX2apic: u64 = 0;

// `off`: the command line said apicv=0. Returns whether it is on.
export function apicvConfigure(off: bool): bool {
  apicv = !off && vmxCanSet(vmxProcCtlsMsr(), PROC_USE_TPR_SHADOW) && vmxCanSet(vmxProc2CtlsMsr(), APICV_PROC2) &&
    vmxCanSet(vmxPinCtlsMsr(), PIN_EXTERNAL_INTERRUPT_EXITING);
  return apicv;
}

// Whether the CPU has APIC virtualization, however configured.
export function apicvAvailable(): bool {
  return vmxCanSet(vmxProcCtlsMsr(), PROC_USE_TPR_SHADOW) && vmxCanSet(vmxProc2CtlsMsr(), APICV_PROC2);
}

export function apicvOn(): bool { return apicv; }

// Bit `msr` of the read (write) half of an MSR bitmap (Vol. 3C 25.6.9):
// low MSRs at 0 (2048 for writes), high ones (C0000000H-) at 1024 (3072).
function msrPass(bitmap: u64, msr: u32, write: bool): void {
  const base: usize = (write ? 2048 : 0) + ((msr & 0xc0000000) != 0 ? 1024 : 0);
  const bit = msr & 0x1fff;
  const at = <usize>bitmap + base + (bit >> 3);
  store<u8>(at, load<u8>(at) & ~(<u8>1 << <u8>(bit & 7)));
}

// After vmcsInit's controls: the APIC's part of a vCPU's VMCS. `all`: the
// shared all-exit MSR bitmap.
export function apicVmcsInit(vcpu: Vcpu, all: u64): void {
  msrBitmapAll = all;
  let proc = vmcsRead32(CPU_BASED_VM_EXEC_CONTROL);
  const lapic = vcpu.lapic;
  if (lapic === null || !apicv) {
    // MOV CR8 would reach the host's TPR: it exits, to the model or to a
    // vCPU's own copy.
    vmcsWrite32(CPU_BASED_VM_EXEC_CONTROL, (proc | PROC_CR8_LOAD_EXITING | PROC_CR8_STORE_EXITING) & ~PROC_USE_TPR_SHADOW);
    if (lapic !== null) {
      lapic.virtualDelivery = false;
      lapic.takePosted();
    }
    return;
  }
  vmcsWrite32(CPU_BASED_VM_EXEC_CONTROL, (proc | PROC_USE_TPR_SHADOW) & ~(PROC_CR8_LOAD_EXITING | PROC_CR8_STORE_EXITING));
  lapic.virtualDelivery = true;
  vmcsWrite64(VIRTUAL_APIC_PAGE_ADDR, <u64>lapic.block());
  vmcsWrite32(TPR_THRESHOLD, 0);
  const dom = vcpu.domain;
  vmcsWrite64(APIC_ACCESS_ADDR, guestApicAccessPage(dom));
  lapicModeChanged(vcpu);
  vcpu.eoiExit = EOI_EXIT_UNKNOWN;   // a fresh VMCS: RVI and the bitmap are written
  apicvSync(vcpu, false);
  vcpu.irqPending = true;   // the first entry looks at IRR (injectPending)
  const isr = lapic.highestIsr();
  const status = vmcsRead16(GUEST_INTERRUPT_STATUS) & 0xff;
  vmcsWrite16(GUEST_INTERRUPT_STATUS, <u16>(status | ((isr < 0 ? 0 : <u32>isr) << 8)));
}

// IA32_APIC_BASE changed (or the VMCS is new): the vCPU's MMIO bus follows
// the base, and with APIC virtualization the VMCS follows the mode: xAPIC
// at the default base virtualizes APIC accesses, x2APIC virtualizes the
// MSRs, anything else (disabled, moved) exits as without.
export function lapicModeChanged(vcpu: Vcpu): void {
  const lapic = vcpu.lapic;
  if (lapic === null) return;
  if (vcpu.mmio !== null) vcpu.mmio!.rebase(lapic, lapic.mmioBase());
  if (!lapic.virtualDelivery) return;
  let proc2 = vmcsRead32(SECONDARY_VM_EXEC_CONTROL) & ~(PROC2_VIRTUALIZE_APIC_ACCESSES | PROC2_VIRTUALIZE_X2APIC_MODE);
  proc2 |= PROC2_APIC_REGISTER_VIRTUALIZATION | PROC2_VIRTUAL_INTERRUPT_DELIVERY;
  let bitmap = msrBitmapAll;
  if (lapic.x2apicMode()) {
    proc2 |= PROC2_VIRTUALIZE_X2APIC_MODE;
    bitmap = x2apicBitmap();
  } else if (lapic.mmioActive() && lapic.mmioBase() == APIC_DEFAULT_BASE && vcpu.domain.apicAccessPage != 0) {
    proc2 |= PROC2_VIRTUALIZE_APIC_ACCESSES;
  }
  vmcsWrite32(SECONDARY_VM_EXEC_CONTROL, proc2);
  vmcsWrite64(MSR_BITMAP, bitmap);
}

function x2apicBitmap(): u64 {
  if (msrBitmapX2apic != 0) return msrBitmapX2apic;
  const f = frameAlloc();
  if (f == 0) return msrBitmapAll;
  memory.fill(<usize>f, 0xff, 4096);
  for (let r: u32 = 0; r < 0x100; r++) {
    if (r != LAPIC_TIMER_CURRENT >> 4 && x2apicReadable(r << 4)) msrPass(f, X2APIC_MSR_BASE + r, false);
  }
  msrPass(f, X2APIC_MSR_BASE + (LAPIC_EOI >> 4), true);
  msrBitmapX2apic = f;
  return f;
}

// RVI from GUEST_INTERRUPT_STATUS `status` if it is the highest vector in
// IRR (the processor keeps it so once apicvSync wrote it), else -1.
@inline function knownRvi(vcpu: Vcpu, status: u32): i32 {
  return vcpu.eoiExit == EOI_EXIT_UNKNOWN ? -1 : <i32>(status & 0xff);
}

// Before an entry: nothing left for the LAPIC's CPU side to do (the CPU
// delivered what IRR held, nothing came since), with the EOI-exit bitmap
// already TMR. One VMREAD instead of apicvSync's work.
export function apicvIdle(vcpu: Vcpu): bool {
  if (vcpu.eoiExit < 0) return false;
  return vcpu.lapic!.idle(knownRvi(vcpu, vmcsRead16(GUEST_INTERRUPT_STATUS)));
}

// What apicvSync reports: something waits in IRR (for a later entry too),
// an interrupt window is wanted.
export const APICV_PENDING: u32 = 1;
export const APICV_WINDOW: u32 = 2;

// Virtual-interrupt delivery, before a VM entry: the posted vectors enter
// IRR and RVI is the highest vector requested. The CPU delivers from IRR
// only at this entry, and only while the guest can take an interrupt
// (`open`: RFLAGS.IF = 1, no STI or MOV SS blocking, no event injected).
// Bochs, where the tests run, delivers a pending virtual interrupt even
// with RFLAGS.IF = 0 when a physical one arrives (its
// InterruptAcknowledge does not look at IF), so nothing may become pending
// inside the guest: one deliverable now but not open waits for an
// interrupt window (APICV_WINDOW); while others wait in IRR every EOI exits
// (the EOI-exit bitmap all ones; otherwise TMR, for the I/O APIC's level-
// triggered vectors), and SELF IPI and TPR writes exit (x2apicBitmap), as
// those are the other evaluations of pending virtual interrupts (30.1.2-4).
// The EOI-exit bitmap changes with IRR, so the processor never delivers a
// level vector it would not report the EOI of.
// Returns APICV_* flags.
export function apicvSync(vcpu: Vcpu, open: bool): u32 {
  const lapic = vcpu.lapic!;
  const status = vmcsRead16(GUEST_INTERRUPT_STATUS);
  const got = lapic.takePosted(knownRvi(vcpu, status));
  const rvi: u32 = got < 0 ? 0 : <u32>got & 0xff;
  if ((status & 0xff) != rvi) vmcsWrite16(GUEST_INTERRUPT_STATUS, <u16>((status & 0xff00) | rvi));
  const deliverable = got >= 0 && lapic.deliverable(<i32>rvi);
  const now = deliverable && open;
  if ((now && (got & IRR_MORE) != 0) || (!now && got >= 0)) {
    if (vcpu.eoiExit != EOI_EXIT_ALL) {
      vmcsWrite64(EOI_EXIT_BITMAP0, U64.MAX_VALUE);
      vmcsWrite64(EOI_EXIT_BITMAP1, U64.MAX_VALUE);
      vmcsWrite64(EOI_EXIT_BITMAP2, U64.MAX_VALUE);
      vmcsWrite64(EOI_EXIT_BITMAP3, U64.MAX_VALUE);
      vcpu.eoiExit = EOI_EXIT_ALL;
    }
  } else if (vcpu.eoiExit != <i64>lapic.tmrSeq) {
    vmcsWrite64(EOI_EXIT_BITMAP0, <u64>lapic.tmrWord(0) | (<u64>lapic.tmrWord(1) << 32));
    vmcsWrite64(EOI_EXIT_BITMAP1, <u64>lapic.tmrWord(2) | (<u64>lapic.tmrWord(3) << 32));
    vmcsWrite64(EOI_EXIT_BITMAP2, <u64>lapic.tmrWord(4) | (<u64>lapic.tmrWord(5) << 32));
    vmcsWrite64(EOI_EXIT_BITMAP3, <u64>lapic.tmrWord(6) | (<u64>lapic.tmrWord(7) << 32));
    vcpu.eoiExit = <i64>lapic.tmrSeq;
  }
  return (got >= 0 ? APICV_PENDING : 0) | (deliverable && !open ? APICV_WINDOW : 0);
}
