// Stopping a domain: it never runs again, and everything it held goes back
// (memory scrubbed first, so nothing of it reaches the next owner). Its
// record (name, stop reason, console ring, statistics: its arena) stays for
// `list -a`, `log` and `info` while it is among the STOPPED_KEEP domains
// stopped last; then it is reaped: its arena goes back and its id is
// unknown. A vCPU's objects are reused only once no CPU can still touch
// them: every online CPU has been back at the top of its run loop, or is
// asleep idle, since the domain stopped (the stop generation each has seen).
import { Domain, DOMSTATE_STOPPED, domains, domain0, domain0Clear } from "../domain/domain";
import { arenaFree, regionUse } from "../mm/region";
import { HV_CPUS_MAX, CPU_STATE_ONLINE } from "../arch/layout";
import { cpusFound, cpuBlock } from "../cpu/percpu";
import { forgetVcpu, vmcsEvict, tlbFlushEverywhere } from "../vmx/switch";
import { vpidFree } from "../vmx/vpid";
import { schedRemove } from "../sched/scheduler";
import { invept, invvpid } from "../arch/hw";
import { INVEPT_ALL_CONTEXT, INVVPID_SINGLE_CONTEXT } from "../arch/vmx";
import { frameFree } from "../mm/frames";
import { eptDestroy } from "../ept/ept";
import { guestMemoryFree } from "../domain/memory";
import { snapshotsDomainGone } from "../domain/snapshots";
import { eventsStop } from "../domain/events";
import { timersStop } from "../domain/timer";
import { serialConsoleRelease } from "../domain/serial-console";
import { print, println, printDec } from "../log/log";
import { dec, strCopy } from "../lib/str";
import { cpusOnline } from "../cpu/percpu";
import { DOMSTOP_EXIT, DOMSTOP_POWEROFF, DOMSTOP_REBOOT, DOMSTOP_CRASH } from "../arch/abi";
import { POLICY_DESTROY, POLICY_RESTART, POLICY_PRESERVE } from "../domain/config";

// Stopped domains whose records are kept.
export const STOPPED_KEEP: i32 = 16;

let stopGen: u32 = 0;
// The stop generation each CPU had seen when it last held no vCPU.
const seenGen = new StaticArray<u32>(<i32>HV_CPUS_MAX);

// CPU `cpu` holds no pointer to any vCPU or domain (top of its run loop, idle).
@inline export function cpuQuiescent(cpu: u32): void {
  unchecked(seenGen[cpu] = stopGen);
}

// A stopped domain whose record must stay: preserved, or waiting for its
// restart.
@inline function kept(d: Domain): bool {
  return d.preserved || restartsDue.includes(d);
}

// Reaps the oldest stopped domains beyond STOPPED_KEEP that no CPU can
// still touch; `cpu` (the caller's) is quiescent. Not on exit paths.
export function domainsReap(cpu: u32): void {
  cpuQuiescent(cpu);
  let stopped = 0;
  for (let i = 0; i < domains.length; i++) {
    const d = unchecked(domains[i]);
    if (d.state == DOMSTATE_STOPPED && !kept(d)) stopped++;
  }
  if (stopped <= STOPPED_KEEP) return;
  // Every online CPU has seen stops up to `safe`; one asleep in its idle
  // loop holds nothing now, however long it sleeps.
  let safe = stopGen;
  for (let c: u32 = 0; c < cpusFound(); c++) {
    const b = cpuBlock(c);
    if (b === null || b.state != CPU_STATE_ONLINE || b.idleSince != 0) continue;
    if (<i32>(unchecked(seenGen[c]) - safe) < 0) safe = unchecked(seenGen[c]);
  }
  while (stopped > STOPPED_KEEP) {
    // The one stopped longest ago.
    let oldest = -1;
    for (let i = 0; i < domains.length; i++) {
      const d = unchecked(domains[i]);
      if (d.state == DOMSTATE_STOPPED && !kept(d) && (oldest < 0 || d.stopGen < unchecked(domains[oldest]).stopGen)) oldest = i;
    }
    if (oldest < 0) return;
    const d = unchecked(domains[oldest]);
    if (<i32>(d.stopGen - safe) > 0) return;   // a CPU may still hold it
    domains.splice(oldest, 1);
    if (domain0() === d) domain0Clear();
    arenaFree(d.arena);
    stopped--;
  }
}

// "0,2,3": the CPUs of a mask.
function cpuListText(mask: u64): string {
  let s = "";
  for (let c: u64 = 0; c < 64; c++) if ((mask >> c) & 1) s += (s.length != 0 ? "," : "") + dec(c);
  return s;
}

// Domains stopped with on_*=restart, for the run loop (src/lifecycle/
// restart.ts) to build again; their records are not reaped before.
export const restartsDue: Domain[] = [];

// The policy its `cause` (DOMSTOP_*) calls for.
function policyFor(dom: Domain, cause: u32): u8 {
  if (cause == DOMSTOP_EXIT || cause == DOMSTOP_POWEROFF) return dom.onPoweroff;
  if (cause == DOMSTOP_REBOOT) return dom.onReboot;
  if (cause == DOMSTOP_CRASH) return dom.onCrash;
  return POLICY_DESTROY;
}

// Stops `dom` for `reason`; `cause` (DOMSTOP_*) decides what its policy
// does next (on_poweroff, on_reboot, on_crash). Domain 0 has none.
export function domainStop(dom: Domain, reason: string, cause: u32 = DOMSTOP_CRASH): void {
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
  dom.stopGen = ++stopGen;
  dom.stopCause = cause;
  const policy = dom === domain0() ? POLICY_DESTROY : policyFor(dom, cause);
  if (policy == POLICY_PRESERVE) dom.preserved = true;
  if (policy == POLICY_RESTART) restartsDue.push(dom);
  // The reason outlives this call's strings: into the domain's arena.
  const prev = regionUse(dom.arena);
  dom.stopReason = strCopy(reason);
  regionUse(prev);
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
  snapshotsDomainGone(dom);
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
