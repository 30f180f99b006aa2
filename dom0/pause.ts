// Calls that need a DomU paused and off every CPU (snapshots, forks, dedup,
// save): pausing a group for the call and letting it run on after, and
// retrying while a CPU still runs a domain that was just paused.
import { vmcall, rdtsc } from "./hw";
import { domId, domFlags } from "./domains";
import { HC_DOMAIN_PAUSE, HC_DOMAIN_UNPAUSE, HC_YIELD, DOMFLAG_PAUSED, DOMFLAG_CONTROL, EBUSY } from "../src/arch/abi";

// How long a call waits for the paused domain to leave its CPU, in TSC
// ticks: 32 scheduler slices (2^21 ticks each). A CPU leaves a guest at
// once when asked, except that Bochs delivers the request only when the
// guest enables interrupts or its slice ends.
const BUSY_TICKS: u64 = 1 << 26;

// TSC ticks the last call made through timed() took, the VM exit and entry
// included (what the commands report: in Bochs, emulated instructions).
let ticks: u64 = 0;
export function callTicks(): u64 { return ticks; }

export function timed(nr: u32, a0: u64, a1: u64, a2: u64, a3: u64): i64 {
  const t = rdtsc();
  const rc = vmcall(nr, a0, a1, a2, a3);
  ticks = rdtsc() - t;
  return rc;
}

// Pauses the domains at `slots` that run (not a control domain: the call
// refuses it and says so), their ids into `paused`; 0, or the first
// refusal's errno (then none is left paused).
export function pauseAll(slots: i32[], paused: u64[]): i64 {
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i];
    if ((domFlags(s) & (DOMFLAG_PAUSED | DOMFLAG_CONTROL)) != 0) continue;
    const rc = vmcall(HC_DOMAIN_PAUSE, <u64>domId(s), 0, 0, 0);
    if (rc < 0) {
      unpauseAll(paused);
      return rc;
    }
    paused.push(<u64>domId(s));
  }
  return 0;
}

export function unpauseAll(ids: u64[]): void {
  for (let i = 0; i < ids.length; i++) vmcall(HC_DOMAIN_UNPAUSE, ids[i], 0, 0, 0);
}

// Call `nr`, again while it says -EBUSY (a CPU still runs a paused domain).
export function untilOffCpu(nr: u32, a0: u64, a1: u64, a2: u64, a3: u64): i64 {
  const until = rdtsc() + BUSY_TICKS;
  let rc = timed(nr, a0, a1, a2, a3);
  while (rc == -<i64>EBUSY && rdtsc() < until) {
    vmcall(HC_YIELD, 0, 0, 0, 0);
    rc = timed(nr, a0, a1, a2, a3);
  }
  return rc;
}
