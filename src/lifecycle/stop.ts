// Stopping a domain: it never runs again, and everything it held goes back
// (memory scrubbed first, so nothing of it reaches the next owner).
import { Domain, DOMSTATE_STOPPED } from "../domain/domain";
import { forgetVcpu, vmcsEvict, tlbFlushEverywhere } from "../vmx/switch";
import { vpidFree } from "../vmx/vpid";
import { schedRemove } from "../sched/scheduler";
import { invept, invvpid } from "../arch/hw";
import { INVEPT_ALL_CONTEXT, INVVPID_SINGLE_CONTEXT } from "../arch/vmx";
import { frameFree } from "../mm/frames";
import { eptDestroy } from "../ept/ept";
import { guestMemoryFree } from "../domain/memory";
import { eventsStop } from "../domain/events";
import { timersStop } from "../domain/timer";
import { serialConsoleRelease } from "../domain/serial-console";
import { print, println, printDec } from "../log/log";
import { dec } from "../lib/str";
import { cpusOnline } from "../cpu/percpu";

// "0,2,3": the CPUs of a mask.
function cpuListText(mask: u64): string {
  let s = "";
  for (let c: u64 = 0; c < 64; c++) if ((mask >> c) & 1) s += (s.length != 0 ? "," : "") + dec(c);
  return s;
}

export function domainStop(dom: Domain, reason: string): void {
  if (dom.state == DOMSTATE_STOPPED) return;
  // First, so the lines below reach the serial port again.
  serialConsoleRelease(dom, reason);
  if (changetype<usize>(dom.console) != 0) dom.console.flush();
  print("hv: domain ");
  printDec(dom.id);
  print(" (");
  print(dom.name);
  print(") stopped: ");
  println(reason);
  dom.state = DOMSTATE_STOPPED;
  dom.stopReason = reason;
  eventsStop(dom);
  timersStop(dom);
  for (let i = 0; i < dom.vcpus.length; i++) {
    const v = unchecked(dom.vcpus[i]);
    // Where it ran, on a host with a choice (pinning shows here).
    if (cpusOnline() > 1 && v.stats.ranOn != 0) {
      println("hv: domain " + dec(dom.id) + " (" + dom.name + ") vCPU " + dec(i) + " ran on CPUs " + cpuListText(v.stats.ranOn));
    }
    schedRemove(v);
    // A vCPU in a guest on another CPU leaves it first: the VMCLEAR request
    // is served only once that CPU is out of the guest (src/cpu/ipi.ts).
    vmcsEvict(v);
    forgetVcpu(v);
    if (v.vmcs != 0) {
      frameFree(v.vmcs);
      v.vmcs = 0;
    }
    if (v.vpid != 0) {
      invvpid(INVVPID_SINGLE_CONTEXT, v.vpid, 0);
      vpidFree(v.vpid);
    }
  }
  // Its VMCSs are cleared: the I/O bitmap is no longer referenced.
  if (dom.ioBitmapA != 0) {
    frameFree(dom.ioBitmapA);
    dom.ioBitmapA = 0;
  }
  // Cached translations of this EPT and these VPIDs must not outlive its
  // tables: here at once, on every other CPU before its next VM entry.
  if (dom.eptPointer != 0) invept(INVEPT_ALL_CONTEXT, 0);
  tlbFlushEverywhere();
  guestMemoryFree(dom);
  if (dom.eptPml4 != 0) {
    eptDestroy(dom.eptPml4);
    dom.eptPml4 = 0;
  }
}

// Run-time accounting: the run loop charges `ticks` TSC ticks spent in the
// guest (reported by HC_DOMAIN_INFO). Allocates nothing.
export function domainCharge(dom: Domain, ticks: u64): void {
  dom.stats.runTicks += ticks;
}
