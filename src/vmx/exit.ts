// Exit dispatch: every basic exit reason (SDM Vol. 3D Appendix C) in order,
// each either handled (a handler in src/vmx/exit/), "undefined" (the guest
// gets #UD, as on a CPU without the feature) or "unhandled" (stops the domain
// with the reason logged and the VMCS dumped). No reason falls through.
import { Vcpu } from "../domain/domain";
import { ACTION_RESUME, actionStop } from "./action";
import { injectException } from "./event";
import { vmcsDump } from "./vmcs";
import * as R from "../arch/vmx-exit";
import { handleExceptionOrNmi, handleExternalInterrupt } from "./exit/interrupt";
import { handleTripleFault } from "./exit/triple-fault";
import { handleInterruptWindow } from "./exit/interrupt-window";
import { handleCpuid } from "./exit/cpuid";
import { handleHlt } from "./exit/hlt";
import { handleInvd } from "./exit/invd";
import { handleVmcall } from "./exit/vmcall";
import { handleCrAccess } from "./exit/cr-access";
import { handleIoInstruction } from "./exit/io";
import { handleRdmsr, handleWrmsr } from "./exit/msr";
import { handleEptViolation, handleEptMisconfig } from "./exit/ept-violation";
import { handlePreemptionTimer } from "./exit/preemption-timer";
import { handleXsetbv } from "./exit/xsetbv";
import { handleApicAccess, handleVirtualizedEoi, handleApicWrite } from "./exit/apic";

export const EXIT_HANDLED: u8 = 1;
export const EXIT_UNDEFINED: u8 = 2;  // inject #UD
export const EXIT_UNHANDLED: u8 = 3;  // stop the domain

const H = EXIT_HANDLED;
const U = EXIT_UNDEFINED;
const X = EXIT_UNHANDLED;

// Indexed by basic exit reason.
const DISPOSITION = memory.data<u8>([
  H, //  0 exception or NMI (NMI exiting; no exceptions intercepted)
  H, //  1 external interrupt
  H, //  2 triple fault
  X, //  3 INIT signal (single-vCPU domains have no one to send it)
  X, //  4 start-up IPI
  X, //  5 I/O SMI
  X, //  6 other SMI
  H, //  7 interrupt window (an event waits for RFLAGS.IF)
  H, //  8 NMI window (an NMI waits for NMI blocking to end)
  X, //  9 task switch (hardware task switching is not emulated)
  H, // 10 CPUID
  U, // 11 GETSEC (SMX is hidden)
  H, // 12 HLT
  H, // 13 INVD
  X, // 14 INVLPG (not intercepted)
  X, // 15 RDPMC (not intercepted)
  X, // 16 RDTSC (passed through with an offset)
  X, // 17 RSM (not in SMM)
  H, // 18 VMCALL: hypercalls
  U, // 19 VMCLEAR: VMX is hidden from guests
  U, // 20 VMLAUNCH
  U, // 21 VMPTRLD
  U, // 22 VMPTRST
  U, // 23 VMREAD
  U, // 24 VMRESUME
  U, // 25 VMWRITE
  U, // 26 VMXOFF
  U, // 27 VMXON
  H, // 28 control-register access
  X, // 29 MOV DR (not intercepted)
  H, // 30 I/O instruction
  H, // 31 RDMSR
  H, // 32 WRMSR
  X, // 33 VM-entry failure: invalid guest state (checked before dispatch)
  X, // 34 VM-entry failure: MSR loading
  X, // 35 reserved
  U, // 36 MWAIT (MONITOR/MWAIT are hidden)
  X, // 37 monitor trap flag (not requested)
  X, // 38 reserved
  U, // 39 MONITOR
  X, // 40 PAUSE (not intercepted)
  X, // 41 VM-entry failure: machine-check event
  X, // 42 reserved
  X, // 43 TPR below threshold (the threshold stays 0)
  H, // 44 APIC access: one the CPU does not virtualize
  H, // 45 virtualized EOI of a level-triggered vector
  X, // 46 access to GDTR or IDTR (not intercepted)
  X, // 47 access to LDTR or TR (not intercepted)
  H, // 48 EPT violation
  H, // 49 EPT misconfiguration
  U, // 50 INVEPT
  X, // 51 RDTSCP (not intercepted)
  H, // 52 VMX-preemption timer expired
  U, // 53 INVVPID
  X, // 54 WBINVD (not intercepted)
  H, // 55 XSETBV
  H, // 56 APIC write
  X, // 57 RDRAND (not intercepted)
  X, // 58 INVPCID (not intercepted)
  U, // 59 VMFUNC
  U, // 60 ENCLS (SGX is hidden)
  X, // 61 RDSEED (not intercepted)
  X, // 62 page-modification log full
  X, // 63 XSAVES (not intercepted)
  X, // 64 XRSTORS (not intercepted)
  X, // 65 PCONFIG
  X, // 66 SPP-related event
  X, // 67 UMWAIT
  X, // 68 TPAUSE
  X, // 69 LOADIWKEY
  X, // 70 ENCLV
  X, // 71 reserved
  X, // 72 ENQCMD PASID translation failure
  X, // 73 ENQCMDS PASID translation failure
  X, // 74 bus lock
  X, // 75 instruction timeout
  X, // 76 SEAMCALL
  X, // 77 TDCALL
]);
// One entry per basic exit reason.
export const DISPOSITION_COUNT: u32 = R.EXIT_REASON_COUNT;

export function exitDisposition(reason: u32): u8 {
  return reason < DISPOSITION_COUNT ? load<u8>(DISPOSITION + reason) : EXIT_UNHANDLED;
}

export function dispatchExit(vcpu: Vcpu, reason: u32): u32 {
  const disposition = exitDisposition(reason);
  if (disposition == EXIT_UNDEFINED) {
    injectException(R.VECTOR_UD);
    return ACTION_RESUME;
  }
  if (disposition == EXIT_HANDLED) {
    switch (reason) {
      case R.EXIT_REASON_EXCEPTION_OR_NMI: return handleExceptionOrNmi(vcpu);
      case R.EXIT_REASON_EXTERNAL_INTERRUPT: return handleExternalInterrupt(vcpu);
      case R.EXIT_REASON_TRIPLE_FAULT: return handleTripleFault(vcpu);
      case R.EXIT_REASON_INTERRUPT_WINDOW: return handleInterruptWindow(vcpu);
      case R.EXIT_REASON_CPUID: return handleCpuid(vcpu);
      case R.EXIT_REASON_HLT: return handleHlt(vcpu);
      case R.EXIT_REASON_INVD: return handleInvd(vcpu);
      case R.EXIT_REASON_VMCALL: return handleVmcall(vcpu);
      case R.EXIT_REASON_CR_ACCESS: return handleCrAccess(vcpu);
      case R.EXIT_REASON_IO_INSTRUCTION: return handleIoInstruction(vcpu);
      case R.EXIT_REASON_RDMSR: return handleRdmsr(vcpu);
      case R.EXIT_REASON_WRMSR: return handleWrmsr(vcpu);
      case R.EXIT_REASON_EPT_VIOLATION: return handleEptViolation(vcpu);
      case R.EXIT_REASON_EPT_MISCONFIG: return handleEptMisconfig(vcpu);
      case R.EXIT_REASON_VMX_PREEMPTION_TIMER_EXPIRED: return handlePreemptionTimer(vcpu);
      case R.EXIT_REASON_XSETBV: return handleXsetbv(vcpu);
      case R.EXIT_REASON_NMI_WINDOW: return handleInterruptWindow(vcpu);
      case R.EXIT_REASON_APIC_ACCESS: return handleApicAccess(vcpu);
      case R.EXIT_REASON_VIRTUALIZED_EOI: return handleVirtualizedEoi(vcpu);
      case R.EXIT_REASON_APIC_WRITE: return handleApicWrite(vcpu);
    }
  }
  vmcsDump();
  return actionStop(vcpu.domain, "unexpected VM exit: " + R.exitReasonName(reason));
}
