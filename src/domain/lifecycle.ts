// Stopping a domain: it never runs again, and everything it held goes back
// (memory scrubbed first, so nothing of it reaches the next owner).
import { Domain, DOMAIN_STOPPED } from "../sched/domain";
import { forgetVcpu } from "../sched/switch";
import { schedRemove } from "../sched/scheduler";
import { vmclear, invept, invvpid } from "../arch/hw";
import { INVEPT_ALL_CONTEXT, INVVPID_SINGLE_CONTEXT } from "../arch/vmx";
import { frameFree } from "../mm/frames";
import { eptDestroy } from "../ept/ept";
import { guestMemoryFree } from "./memory";
import { eventsStop } from "./events";
import { serialConsoleRelease } from "../platform/serial-console";
import { print, println, printDec } from "../log/log";

export function domainStop(dom: Domain, reason: string): void {
  if (dom.state == DOMAIN_STOPPED) return;
  // First, so the lines below reach the serial port again.
  serialConsoleRelease(dom, reason);
  if (changetype<usize>(dom.console) != 0) dom.console.flush();
  print("hv: domain ");
  printDec(dom.id);
  print(" (");
  print(dom.name);
  print(") stopped: ");
  println(reason);
  dom.state = DOMAIN_STOPPED;
  dom.stopReason = reason;
  eventsStop(dom);
  for (let i = 0; i < dom.vcpus.length; i++) {
    const v = unchecked(dom.vcpus[i]);
    forgetVcpu(v);
    schedRemove(v);
    if (v.vmcs != 0) {
      vmclear(v.vmcs);
      frameFree(v.vmcs);
      v.vmcs = 0;
    }
    if (v.vpid != 0) invvpid(INVVPID_SINGLE_CONTEXT, v.vpid, 0);
  }
  // Its VMCS is cleared: the I/O bitmap is no longer referenced.
  if (dom.ioBitmapA != 0) {
    frameFree(dom.ioBitmapA);
    dom.ioBitmapA = 0;
  }
  // Cached translations of this EPT must not outlive its tables.
  if (dom.eptPointer != 0) invept(INVEPT_ALL_CONTEXT, 0);
  guestMemoryFree(dom);
  if (dom.eptPml4 != 0) {
    eptDestroy(dom.eptPml4);
    dom.eptPml4 = 0;
  }
}

// Run-time accounting: the run loop charges `ticks` TSC ticks spent in the
// guest (reported by HC_DOMAIN_INFO). Allocates nothing.
export function domainCharge(dom: Domain, ticks: u64): void {
  dom.runTicks += ticks;
}
