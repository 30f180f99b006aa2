// Round robin over the runnable vCPUs of all domains, one VMX-preemption
// timer slice each. (The credit scheduler replaces this policy.)
import { Vcpu, domains, DOMAIN_RUNNABLE } from "./domain";

let cursor: i32 = -1;

// The next vCPU after the current one that can run, or null if none can.
export function pickNext(): Vcpu | null {
  const n = domains.length;
  for (let i = 1; i <= n; i++) {
    const d = unchecked(domains[(cursor + i) % n]);
    if (d.state != DOMAIN_RUNNABLE || d.paused) continue;
    const v = unchecked(d.vcpus[0]);
    if (v.halted) continue;
    cursor = (cursor + i) % n;
    return v;
  }
  return null;
}
