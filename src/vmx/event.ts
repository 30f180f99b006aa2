// Event injection on VM entry (SDM Vol. 3C 27.6), re-injection of an event
// whose delivery a VM exit interrupted (28.2.4, IDT-vectoring info), and the
// delivery of a domain's event vector (src/domain/events.ts) as an external
// interrupt once the guest can take one. Runs with the vCPU's VMCS current.
import { Vcpu } from "../domain/domain";
import { vcpuStartup } from "../domain/wake";
import { vmcsRead32, vmcsReadNat, vmcsWrite32 } from "./vmcs";
import { rdtsc } from "../arch/hw";
import {
  VM_ENTRY_INTR_INFO_FIELD, VM_ENTRY_EXCEPTION_ERROR_CODE, VM_ENTRY_INSTRUCTION_LEN,
  IDT_VECTORING_INFO_FIELD, IDT_VECTORING_ERROR_CODE, VM_EXIT_INSTRUCTION_LEN,
  GUEST_RFLAGS, GUEST_INTERRUPTIBILITY_INFO, CPU_BASED_VM_EXEC_CONTROL,
} from "../arch/vmcs";
import {
  INTR_INFO_VALID, INTR_INFO_DELIVER_CODE, INTR_TYPE_HARD_EXCEPTION, INTR_INFO_TYPE_SHIFT,
  INTR_INFO_TYPE_MASK, INTR_TYPE_SOFT_INTR, INTR_TYPE_PRIV_SW_EXCEPTION, INTR_TYPE_SOFT_EXCEPTION,
  INTR_TYPE_EXT_INTR, GUEST_INTR_STATE_STI, GUEST_INTR_STATE_MOV_SS, GUEST_INTR_STATE_NMI, INTR_TYPE_NMI,
  VECTOR_NMI,
} from "../arch/vmx-exit";
import { PROC_INTERRUPT_WINDOW_EXITING, PROC_NMI_WINDOW_EXITING } from "../arch/vmx";
import { apicvSync, apicvIdle, APICV_PENDING, APICV_WINDOW } from "./apic";
import { RFLAGS_IF } from "../arch/cr";

// A fault with or without an error code, delivered at the current RIP.
export function injectException(vector: u32, hasErrorCode: bool = false, errorCode: u32 = 0): void {
  let info = INTR_INFO_VALID | (INTR_TYPE_HARD_EXCEPTION << INTR_INFO_TYPE_SHIFT) | vector;
  if (hasErrorCode) {
    info |= INTR_INFO_DELIVER_CODE;
    vmcsWrite32(VM_ENTRY_EXCEPTION_ERROR_CODE, errorCode);
  }
  vmcsWrite32(VM_ENTRY_INTR_INFO_FIELD, info);
}

// If the exit interrupted the delivery of an event, delivers it again on the
// next entry, as if the exit had not happened. Called before the handler,
// so a handler that injects its own event overrides it (the original is
// then re-raised by the guest re-executing the instruction).
export function reinjectIdtVectoring(): void {
  const info = vmcsRead32(IDT_VECTORING_INFO_FIELD);
  if ((info & INTR_INFO_VALID) == 0) return;
  vmcsWrite32(VM_ENTRY_INTR_INFO_FIELD, info & ~(<u32>0x1000)); // bit 12 is reserved on entry
  if (info & INTR_INFO_DELIVER_CODE) {
    vmcsWrite32(VM_ENTRY_EXCEPTION_ERROR_CODE, vmcsRead32(IDT_VECTORING_ERROR_CODE));
  }
  const type = (info >> INTR_INFO_TYPE_SHIFT) & INTR_INFO_TYPE_MASK;
  if (type == INTR_TYPE_SOFT_INTR || type == INTR_TYPE_PRIV_SW_EXCEPTION || type == INTR_TYPE_SOFT_EXCEPTION) {
    vmcsWrite32(VM_ENTRY_INSTRUCTION_LEN, vmcsRead32(VM_EXIT_INSTRUCTION_LEN));
  }
}

// Before a VM entry with something pending (enterOnce looks at the flags):
// what the vCPU's LAPIC (and through it the PIC) and its event vector have
// for it, as a CPU takes them: INIT, then an NMI, then one external
// interrupt: the PIC's vector (ExtINT), the LAPIC's highest deliverable
// vector (without virtual-interrupt delivery; with it the CPU takes it
// from RVI at entry, src/vmx/apic.ts), the event vector
// (src/domain/events.ts). The guest takes an external interrupt only with
// RFLAGS.IF = 1, no blocking by STI or MOV SS and no other event being
// injected (27.6.2: an IDT-vectoring re-injection or a fault the handler
// injected goes first); an NMI not while NMIs are blocked. Otherwise
// interrupt-window (NMI-window) exiting makes the CPU exit as soon as it
// can, and the entry after that injects.
// False if an INIT sent the vCPU to wait-for-SIPI: it does not enter.
// (With a fresh VMCS, current, if a STARTUP followed the INIT.)
export function injectPending(vcpu: Vcpu): bool {
  const lapic = vcpu.lapic;
  // With virtual-interrupt delivery, most often after the CPU delivered
  // the one vector there was: nothing to look at.
  if (lapic !== null && lapic.virtualDelivery && !vcpu.state.intrPending && !vcpu.windowExiting &&
      !vcpu.nmiWindowExiting && apicvIdle(vcpu)) {
    vcpu.irqPending = false;
    return true;
  }
  let busy = (vmcsRead32(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID) != 0;
  const blocking = vmcsRead32(GUEST_INTERRUPTIBILITY_INFO);
  let open = !busy && (vmcsReadNat(GUEST_RFLAGS) & RFLAGS_IF) != 0 &&
    (blocking & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS)) == 0;
  let window = false;
  let nmiWindow = false;
  if (lapic !== null && vcpu.irqPending) {
    if (lapic.takeInit()) {
      vcpuWaitSipi(vcpu);
      // A STARTUP sent after the INIT, before this vCPU had a CPU to take
      // the INIT on (the LAPIC drops one that came before), starts it now:
      // the entry goes on with its fresh VMCS.
      const vector = lapic.takeSipi();
      if (vector >= 0) vcpuStartup(vcpu, <u32>vector);
      return !vcpu.state.waitSipi;
    }
    lapic.takeSipi();   // a STARTUP outside wait-for-SIPI is ignored (SDM Vol. 3A 9.4.2)
    if (lapic.pendingNmi()) {
      if (!busy && (blocking & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS | GUEST_INTR_STATE_NMI)) == 0) {
        lapic.takeNmi();
        vmcsWrite32(VM_ENTRY_INTR_INFO_FIELD, INTR_INFO_VALID | (INTR_TYPE_NMI << INTR_INFO_TYPE_SHIFT) | VECTOR_NMI);
        busy = true;
        open = false;
      } else {
        nmiWindow = true;
      }
    }
    const vid = lapic.virtualDelivery;
    if (lapic.pendingExtInt()) {
      if (open) {
        const pic = vcpu.domain.pic;
        lapic.takeExtInt();
        if (pic !== null) injectExternal(<u32>pic.acknowledge());
        open = false;
      } else {
        window = true;
      }
    } else if (!vid) {
      const vector = lapic.highestDeliverable();
      if (vector >= 0) {
        if (open) {
          lapic.accept(<u32>vector);
          injectExternal(<u32>vector);
          open = false;
        } else {
          window = true;
        }
      }
    }
    // With virtual-interrupt delivery the CPU takes the highest vector from
    // IRR at this entry if the guest can, after the PIC's.
    const apicv = vid ? apicvSync(vcpu, open) : 0;
    if ((apicv & APICV_WINDOW) != 0) window = true;
    // Still something to do at a later entry? (With virtual-interrupt
    // delivery, while anything waits in IRR.)
    vcpu.irqPending = lapic.pendingNmi() || lapic.pendingExtInt() || (vid ? (apicv & APICV_PENDING) != 0 : lapic.wants());
  }
  if (vcpu.state.intrPending) {
    const dom = vcpu.domain;
    if (dom.eventPageHost == 0) {
      vcpu.state.intrPending = false;
    } else if (open) {
      injectExternal(dom.guest.eventVector);
      vcpu.state.intrPending = false;
      eventLatency(vcpu);
    } else {
      window = true;
    }
  }
  if (window != vcpu.windowExiting) setWindowExiting(vcpu, PROC_INTERRUPT_WINDOW_EXITING, window);
  if (nmiWindow != vcpu.nmiWindowExiting) setWindowExiting(vcpu, PROC_NMI_WINDOW_EXITING, nmiWindow);
  return true;
}

function injectExternal(vector: u32): void {
  vmcsWrite32(VM_ENTRY_INTR_INFO_FIELD, INTR_INFO_VALID | (INTR_TYPE_EXT_INTR << INTR_INFO_TYPE_SHIFT) | (vector & 0xff));
}

// From a physical interrupt's event to its injection (DomainStats).
function eventLatency(vcpu: Vcpu): void {
  if (vcpu.stats.raisedAt == 0) return;
  const dom = vcpu.domain;
  const t = rdtsc() - vcpu.stats.raisedAt;
  vcpu.stats.raisedAt = 0;
  if (dom.stats.irqEvents == 0 || t < dom.stats.irqLatencyMin) dom.stats.irqLatencyMin = t;
  if (t > dom.stats.irqLatencyMax) dom.stats.irqLatencyMax = t;
  dom.stats.irqLatencySum += t;
  dom.stats.irqEvents++;
}

// An INIT (SDM Vol. 3A 9.4.2): the vCPU stops until a STARTUP; nothing but
// that wakes it (src/domain/pc.ts takes it, src/lifecycle/startup.ts acts).
function vcpuWaitSipi(vcpu: Vcpu): void {
  vcpu.state.waitSipi = true;
  vcpu.state.haltIf = false;
  vcpu.state.intrPending = false;
  vcpu.irqPending = false;
  if (vcpu.windowExiting) setWindowExiting(vcpu, PROC_INTERRUPT_WINDOW_EXITING, false);
  if (vcpu.nmiWindowExiting) setWindowExiting(vcpu, PROC_NMI_WINDOW_EXITING, false);
}

function setWindowExiting(vcpu: Vcpu, control: u32, on: bool): void {
  const c = vmcsRead32(CPU_BASED_VM_EXEC_CONTROL);
  vmcsWrite32(CPU_BASED_VM_EXEC_CONTROL, on ? c | control : c & ~control);
  if (control == PROC_INTERRUPT_WINDOW_EXITING) vcpu.windowExiting = on;
  else vcpu.nmiWindowExiting = on;
}
