// CPU lists as the shell writes them (xl's syntax): `all`, `N`, `N-M`,
// `N,M-K`; as a mask, bit n = CPU n (HC_VCPU_PIN's and VCPUINFO_AFFINITY's).
import { dec } from "../src/lib/str";
import { parseDecimal } from "./words";

export const CPUS_ALL: u64 = <u64>-1;
const CPU_MAX: i64 = 63;

// Set when cpuListParse returns 0.
export let cpuListError: string = "";

// The mask `s` names (CPUS_ALL for `all`), or 0 with cpuListError set.
export function cpuListParse(s: string): u64 {
  if (s == "all") return CPUS_ALL;
  const bad = "\"" + s + "\": not a CPU list (all, N, N-M or N,M-K)";
  let mask: u64 = 0;
  const parts = s.split(",");
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    const dash = part.indexOf("-");
    const lo = parseDecimal(dash < 0 ? part : part.substring(0, dash));
    const hi = dash < 0 ? lo : parseDecimal(part.substring(dash + 1));
    if (lo < 0 || hi < 0 || hi < lo) {
      cpuListError = bad;
      return 0;
    }
    if (hi > CPU_MAX) {
      cpuListError = "\"" + s + "\": CPU " + dec(<u64>hi) + " is past the last one the hypervisor can name (" + dec(<u64>CPU_MAX) + ")";
      return 0;
    }
    for (let c = lo; c <= hi; c++) mask |= <u64>1 << <u64>c;
  }
  return mask;
}

// The CPUs 0 to `count` - 1 as a mask.
export function cpuMaskOf(count: u32): u64 {
  return count >= 64 ? CPUS_ALL : (<u64>1 << <u64>count) - 1;
}

// "0-1,3" for a mask; "" for none.
export function cpuListText(mask: u64): string {
  let s = "";
  let c = 0;
  while (c < 64) {
    if (((mask >> <u64>c) & 1) == 0) {
      c++;
      continue;
    }
    let end = c;
    while (end < 63 && ((mask >> <u64>(end + 1)) & 1) != 0) end++;
    if (s.length != 0) s += ",";
    s += dec(<u64>c);
    if (end > c) s += "-" + dec(<u64>end);
    c = end + 1;
  }
  return s;
}

// An affinity as `vcpu-list` shows it: `all` when it holds every one of the
// host's `count` CPUs, else its list.
export function affinityText(mask: u64, count: u32): string {
  const host = cpuMaskOf(count);
  return (mask & host) == host ? "all" : cpuListText(mask);
}
